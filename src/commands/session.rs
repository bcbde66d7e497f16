//! `warden up` and `warden supervise` (and the cron pass): starting the session's life.
//! `down.rs` ends it, `attach.rs` joins it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::attach::attach;
use super::output::{print, print_exact, print_painted};
use crate::cli::OverrideArgs;
use crate::config::LoadedConfig;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::layout::load_layout;
use crate::paint::Paint;
use crate::supervisor::{
    LockError, PASS_WAIT, Request, Response, Role, RuntimePaths, StartLock, SuperviseError,
    Supervisor, SupervisorLock, request,
};
use crate::tmux::{Spawn, Tmux, TmuxError, TmuxPort, WindowSpec};

fn exe() -> Result<PathBuf, Error> {
    std::env::current_exe().map_err(|source| Error::Run {
        what: "find the warden binary".to_owned(),
        source,
    })
}

/// The flags that reproduce this command's overrides for the supervisor it starts.
fn override_flags(o: &OverrideArgs, config: Option<&std::path::Path>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = config {
        out.push(format!("--config={}", c.display()));
    }
    if let Some(color) = o.color {
        out.push(format!("--color={}", color.as_str()));
    }
    if let Some(n) = o.max_workers {
        out.push(format!("--max-workers={n}"));
    }
    if let Some(d) = o.interval {
        out.push(format!("--interval={d}"));
    }
    for (name, value) in [
        ("escalation", o.escalation),
        ("dry-run", o.dry_run),
        ("mark-started-on-dispatch", o.mark_started_on_dispatch),
    ] {
        if let Some(v) = value {
            out.push(format!("--{name}={v}"));
        }
    }
    out
}

/// The argv that runs `args` in this repository with this binary.
fn warden_argv(
    exe: &std::path::Path,
    loaded: &LoadedConfig,
    flags: &[String],
    args: &[&str],
) -> Vec<String> {
    let mut argv = vec![
        exe.to_string_lossy().into_owned(),
        "-C".to_owned(),
        loaded.root.to_string_lossy().into_owned(),
    ];
    argv.extend(flags.iter().cloned());
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    argv
}

/// A supervisor for `loaded` with `layout`, and the argv of its heartbeat view.
fn prepare(
    loaded: LoadedConfig,
    layout: &str,
    flags: &OverrideArgs,
    paint: Paint,
) -> Result<(Supervisor, Vec<String>), Error> {
    let paths = RuntimePaths::new(&loaded);
    let layout = load_layout(layout, &paths.user_layouts)?;
    let exe = exe()?;
    let port = Box::new(Tmux::new(paths.tmux_socket.clone()));
    let view = warden_argv(
        &exe,
        &loaded,
        &override_flags(flags, loaded.file.as_deref()),
        &["heartbeat", "--no-write"],
    );
    let mut supervisor = Supervisor::new(loaded, flags.to_overrides(), layout, exe, port);
    supervisor.exec.paint = paint;
    Ok((supervisor, view))
}

/// `warden supervise`: the loop, in this terminal.
pub(crate) fn supervise(
    loaded: LoadedConfig,
    layout: &str,
    flags: &OverrideArgs,
    paint: Paint,
) -> Result<ExitCode, Error> {
    let (supervisor, view) = prepare(loaded, layout, flags, paint)?;
    supervisor.run(&view[1..])?;
    Ok(ExitCode::Ok)
}

/// `warden heartbeat --once --dispatch-ready`: one supervised pass without the loop.
pub(crate) fn dispatch_once(
    loaded: LoadedConfig,
    json: bool,
    flags: &OverrideArgs,
    paint: Paint,
) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(&loaded);
    // A supervisor (running, or being started by `warden up`) dispatches already: one line,
    // and nothing to do.
    if StartLock::held(&paths.start_lock) {
        print("warden up is starting a supervisor for this repository; it dispatches\n")?;
        return Ok(ExitCode::Ok);
    }
    let (supervisor, view) = prepare(loaded, &paths.layout_name(), flags, paint)?;
    let snapshot = match supervisor.run_once(&view[1..]) {
        Ok(s) => s,
        Err(SuperviseError::Lock(LockError::Held { holder, .. })) => {
            let who = match holder.role {
                Some(Role::Pass) => "another cron pass",
                _ => "a supervisor",
            };
            print(&format!(
                "{who} ({holder}) holds this repository and dispatches; nothing to do\n"
            ))?;
            return Ok(ExitCode::Ok);
        }
        Err(e) => return Err(e.into()),
    };
    if json {
        print_exact(&crate::snapshot::to_json(&snapshot)?)?;
    } else {
        print_painted(&crate::snapshot::render_heartbeat(&snapshot, paint))?;
    }
    Ok(ExitCode::Ok)
}

/// How long an `up` waits for another `up` to finish starting the supervisor (which itself
/// waits up to 15 s for its supervisor to answer).
const START_WAIT: Duration = Duration::from_secs(40);

/// Waits until the supervisor answers on its socket.
fn wait_until_up(paths: &RuntimePaths, deadline: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if matches!(
            request(&paths.control, &Request::Ping, Duration::from_secs(1)),
            Ok(Response::Ok { .. })
        ) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// `warden up`; `preflight`: doctor's checks first, refusing on a failure.
pub(crate) fn up(
    loaded: LoadedConfig,
    attach_after: bool,
    layout_name: &str,
    flags: &OverrideArgs,
    preflight: bool,
) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(&loaded);
    // Refused here, before the session: a supervisor that refuses to start in its window
    // would only be seen after the 15 s wait below.
    paths.secure()?;
    // With a supervisor running there is nothing to start, and nothing to check first.
    if preflight && SupervisorLock::probe(&paths.lock).is_none() {
        super::preflight::preflight(&loaded)?;
    }
    let layout = load_layout(layout_name, &paths.user_layouts)?;
    let tmux = Tmux::new(paths.tmux_socket.clone());
    // Concurrent `up`s take turns: the first starts the supervisor, the others then find it.
    let _start = StartLock::acquire(&paths.start_lock, START_WAIT)?;
    // A cron pass holds the lock for a moment only: wait it out, then start.
    if let Some(holder) = SupervisorLock::wait_out_pass(&paths.lock, PASS_WAIT) {
        print(&format!(
            "warden is already running ({holder}, session {}, tmux -L {})\n",
            paths.session, paths.tmux_socket
        ))?;
        return if attach_after {
            attach(&loaded, None)
        } else {
            Ok(ExitCode::Ok)
        };
    }
    let exe = exe()?;
    let argv = warden_argv(
        &exe,
        &loaded,
        &override_flags(flags, loaded.file.as_deref()),
        &["supervise", "--layout", layout_name],
    );
    let spawn = Spawn {
        argv: &argv,
        cwd: &loaded.root,
        env: &[],
    };
    // A fresh start is one tmux call; an existing session (workers may still run from a
    // supervisor that died) answers "duplicate session", and only its window is restarted.
    match tmux.start_session(&paths.session, &layout.supervisor_window, &spawn, (200, 50)) {
        Ok(_) => {}
        Err(TmuxError::Refused { stderr, .. }) if stderr.contains("duplicate session") => {
            let panes = tmux.list_panes(&paths.session)?;
            match panes
                .iter()
                .find(|p| p.window_name == layout.supervisor_window && p.job.is_none())
            {
                Some(p) => tmux.respawn_pane(&p.pane_id, &spawn)?,
                None => {
                    let spec = WindowSpec {
                        name: &layout.supervisor_window,
                        spawn,
                        job: None,
                        pipe: None,
                    };
                    tmux.new_window(&paths.session, &spec)?;
                }
            }
        }
        Err(e) => return Err(e.into()),
    }
    if !wait_until_up(&paths, Duration::from_secs(15)) {
        let screen = tmux
            .list_panes(&paths.session)
            .ok()
            .and_then(|panes| {
                panes
                    .into_iter()
                    .find(|p| p.window_name == layout.supervisor_window)
            })
            .and_then(|p| tmux.capture_pane(&p.pane_id).ok())
            .unwrap_or_default();
        return Err(Error::Failed(format!(
            "the supervisor did not come up within 15s; its window shows:\n{}",
            screen.trim_end()
        )));
    }
    print(&format!(
        "warden is up: session {} on the private tmux server {}\n  attach: warden attach    stop: warden down [--kill-workers]\n",
        paths.session, paths.tmux_socket
    ))?;
    if attach_after {
        attach(&loaded, None)
    } else {
        Ok(ExitCode::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paint::ColorChoice;

    #[test]
    fn the_supervisor_inherits_an_explicit_colour_choice_only() {
        let auto = OverrideArgs::default();
        assert!(
            override_flags(&auto, None).is_empty(),
            "auto decides per terminal"
        );
        let never = OverrideArgs {
            color: Some(ColorChoice::Never),
            max_workers: Some(2),
            ..OverrideArgs::default()
        };
        assert_eq!(
            override_flags(&never, None),
            ["--color=never", "--max-workers=2"]
        );
        let parsed = crate::cli::parse(["warden", "--color=never", "supervise"]).expect("parses");
        assert_eq!(parsed.overrides.color, Some(ColorChoice::Never));
    }
}
