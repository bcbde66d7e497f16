//! `warden up`, `warden down`, `warden attach` and `warden supervise`: the session's life.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::output::print;
use crate::cli::OverrideArgs;
use crate::config::{HumanDuration, LoadedConfig};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::layout::load_layout;
use crate::register::load_register;
use crate::supervisor::{Request, Response, RuntimePaths, Supervisor, SupervisorLock, request};
use crate::tmux::{Spawn, Tmux, TmuxPort, WindowSpec};

fn exe() -> Result<PathBuf, Error> {
    std::env::current_exe()
        .map_err(|e| Error::Other(format!("failed to find the warden binary: {e}")))
}

/// The flags that reproduce this command's overrides for the supervisor it starts.
fn override_flags(o: &OverrideArgs, config: Option<&std::path::Path>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = config {
        out.push(format!("--config={}", c.display()));
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
) -> Result<(Supervisor, Vec<String>), Error> {
    let paths = RuntimePaths::new(&loaded);
    let layout =
        load_layout(layout, &paths.user_layouts).map_err(|e| Error::Other(e.to_string()))?;
    let exe = exe()?;
    let view = warden_argv(
        &exe,
        &loaded,
        &override_flags(flags, loaded.file.as_deref()),
        &["heartbeat", "--no-write"],
    );
    Ok((
        Supervisor::new(loaded, flags.to_overrides(), layout, exe),
        view,
    ))
}

/// `warden supervise`: the loop, in this terminal.
pub(crate) fn supervise(
    loaded: LoadedConfig,
    layout: &str,
    flags: &OverrideArgs,
) -> Result<ExitCode, Error> {
    let (supervisor, view) = prepare(loaded, layout, flags)?;
    supervisor
        .run(&view[1..])
        .map_err(|e| Error::Other(e.to_string()))?;
    Ok(ExitCode::Ok)
}

/// `warden heartbeat --once --dispatch-ready`: one supervised pass without the loop.
pub(crate) fn dispatch_once(
    loaded: LoadedConfig,
    json: bool,
    flags: &OverrideArgs,
) -> Result<ExitCode, Error> {
    let layout = RuntimePaths::new(&loaded).layout_name();
    let (supervisor, view) = prepare(loaded, &layout, flags)?;
    let snapshot = supervisor
        .run_once(&view[1..])
        .map_err(|e| Error::Other(e.to_string()))?;
    if json {
        print(&crate::snapshot::to_json(&snapshot)?)?;
    } else {
        print(&crate::snapshot::render_heartbeat(&snapshot))?;
    }
    Ok(ExitCode::Ok)
}

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

/// `warden up`.
pub(crate) fn up(
    loaded: LoadedConfig,
    attach_after: bool,
    layout_name: &str,
    flags: &OverrideArgs,
) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(&loaded);
    let layout =
        load_layout(layout_name, &paths.user_layouts).map_err(|e| Error::Other(e.to_string()))?;
    let tmux = Tmux::new(paths.tmux_socket.clone());
    if let Some(pid) = SupervisorLock::probe(&paths.lock) {
        print(&format!(
            "warden is already running (supervisor pid {pid}, session {}, tmux -L {})\n",
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
    let tmux_err = |e: crate::tmux::TmuxError| Error::Other(e.to_string());
    // Not knowing is treated as "no session", as before: starting one then says what failed.
    if tmux.has_session(&paths.session).unwrap_or(false) {
        // Workers may still run from a supervisor that died: restart only its window.
        let panes = tmux.list_panes(&paths.session).map_err(tmux_err)?;
        match panes
            .iter()
            .find(|p| p.window_name == layout.supervisor_window && p.job.is_none())
        {
            Some(p) => tmux.respawn_pane(&p.pane_id, &spawn).map_err(tmux_err)?,
            None => {
                let spec = WindowSpec {
                    name: &layout.supervisor_window,
                    spawn,
                    job: None,
                    pipe: None,
                };
                tmux.new_window(&paths.session, &spec).map_err(tmux_err)?;
            }
        }
    } else {
        tmux.start_session(&paths.session, &layout.supervisor_window, &spawn, (200, 50))
            .map_err(tmux_err)?;
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
        return Err(Error::Other(format!(
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

/// `warden down`.
pub(crate) fn down(
    loaded: &LoadedConfig,
    kill_workers: bool,
    timeout: HumanDuration,
) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let tmux = Tmux::new(paths.tmux_socket.clone());
    let running = SupervisorLock::probe(&paths.lock).is_some();
    if running {
        let req = Request::Stop {
            kill_workers,
            timeout_secs: timeout.as_secs(),
        };
        match request(&paths.control, &req, Duration::from_secs(10)) {
            Ok(Response::Ok { message }) => print(&format!("{message}\n"))?,
            Ok(Response::Error { message }) => return Err(Error::Other(message)),
            Ok(Response::Snapshot { .. } | Response::Decisions { .. }) => {}
            Err(e) => return Err(Error::Other(e.to_string())),
        }
        let deadline = Instant::now() + timeout.to_std() + Duration::from_secs(10);
        while SupervisorLock::probe(&paths.lock).is_some() {
            if Instant::now() >= deadline {
                return Err(Error::Other(
                    "the supervisor did not stop in time".to_owned(),
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        print("warden is down\n")?;
        return Ok(ExitCode::Ok);
    }
    if !kill_workers {
        print("no supervisor is running\n")?;
        return Ok(ExitCode::Ok);
    }
    // No supervisor, but workers may remain: stop them here.
    if !tmux
        .has_session(&paths.session)
        .map_err(|e| Error::Other(e.to_string()))?
    {
        print("no supervisor and no session are running\n")?;
        return Ok(ExitCode::Ok);
    }
    let panes = tmux
        .list_panes(&paths.session)
        .map_err(|e| Error::Other(e.to_string()))?;
    let groups: Vec<i32> = panes
        .iter()
        .filter(|p| p.job.is_some() && !p.dead)
        .filter_map(|p| p.pane_pid.and_then(|pid| i32::try_from(pid).ok()))
        .collect();
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    for g in &groups {
        let _ = kill(Pid::from_raw(-g), Signal::SIGTERM);
    }
    let deadline = Instant::now() + timeout.to_std();
    while Instant::now() < deadline
        && groups
            .iter()
            .any(|g| kill(Pid::from_raw(*g), None).is_ok() && !is_zombie(*g))
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    for g in &groups {
        let _ = kill(Pid::from_raw(-g), Signal::SIGKILL);
    }
    let _ = tmux.kill_server();
    print(&format!(
        "stopped {} worker(s) and removed the session\n",
        groups.len()
    ))?;
    Ok(ExitCode::Ok)
}

/// A pane process that exited but tmux has not reaped yet still "exists" for kill(0).
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| rest.starts_with('Z')))
        .unwrap_or(true)
}

/// `warden attach [TASK|manager]`.
pub(crate) fn attach(loaded: &LoadedConfig, target: Option<&str>) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let tmux = Tmux::new(paths.tmux_socket.clone());
    if !tmux
        .has_session(&paths.session)
        .map_err(|e| Error::Other(e.to_string()))?
    {
        return Err(Error::Other(format!(
            "no warden session for {}; start one with `warden up`",
            paths.root.display()
        )));
    }
    let layout = load_layout(&paths.layout_name(), &paths.user_layouts)
        .map_err(|e| Error::Other(e.to_string()))?;
    let panes = tmux
        .list_panes(&paths.session)
        .map_err(|e| Error::Other(e.to_string()))?;
    let pane = match target {
        None => panes
            .iter()
            .find(|p| p.window_name == layout.supervisor_window)
            .map(|p| p.pane_id.clone()),
        Some("manager") => {
            let managers: Vec<_> = panes
                .iter()
                .filter(|p| p.window_name == layout.manager_window)
                .collect();
            managers
                .iter()
                .find(|p| !p.dead)
                .or(managers.first())
                .map(|p| p.pane_id.clone())
        }
        Some(task) => {
            let register = load_register(&paths.register).map_err(Error::Register)?;
            let jobs: Vec<String> = register
                .jobs
                .iter()
                .filter(|j| j.task == task)
                .map(|j| j.job.clone())
                .collect();
            let found = jobs
                .iter()
                .rev()
                .find_map(|job| panes.iter().find(|p| p.job.as_ref() == Some(job)));
            match found {
                Some(p) => Some(p.pane_id.clone()),
                None => {
                    return Err(Error::Other(format!(
                        "{task} has no worker pane (running or recently ended)"
                    )));
                }
            }
        }
    };
    let Some(pane) = pane else {
        return Err(Error::Other(
            "that window does not exist in the session".to_owned(),
        ));
    };
    // Inside a client of this very server, switch it; anywhere else, attach.
    let inside_ours = std::env::var("TMUX").ok().is_some_and(|t| {
        t.split(',')
            .next()
            .is_some_and(|sock| sock.ends_with(&format!("/{}", paths.tmux_socket)))
    });
    // Returns only on failure: tmux replaces this process.
    match tmux.attach(&pane, inside_ours) {
        Ok(()) => Ok(ExitCode::Ok),
        Err(e) => Err(Error::Other(e.to_string())),
    }
}
