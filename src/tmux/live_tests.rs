//! The driver against real tmux. Every test has its own private server (`-L <unique name>
//! -f /dev/null`, started with `SHELL=/bin/sh` and no `TMUX`/`TMUX_PANE`); the guard kills
//! that server by name and removes its socket file. The default server is never touched,
//! and the only processes signalled are the servers these tests started, by pid.

use std::cell::Cell;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::driver::Tmux;
use super::error::TmuxError;
use super::port::{Spawn, TmuxPort, WindowSpec};

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_socket() -> String {
    format!(
        "wtp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Polls `check` until it holds, or fails the test naming `what`.
fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn is_gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit_once(") ")
            .is_none_or(|(_, rest)| rest.starts_with('Z'))
    })
}

/// One private server for one test, torn down on drop.
struct Server {
    socket: String,
    tmux: Tmux,
    pid: Option<i32>,
    /// Set while the server is SIGSTOPped, so teardown continues it first.
    stopped: Cell<bool>,
}

impl Server {
    /// A name no server uses; nothing is started.
    fn unstarted() -> Self {
        let socket = unique_socket();
        let tmux = Tmux::new(socket.clone());
        Self {
            socket,
            tmux,
            pid: None,
            stopped: Cell::new(false),
        }
    }

    /// A running server with session `s`, its first window `main` running `sleep`.
    fn with_session() -> Self {
        let mut server = Self::unstarted();
        // Started here first so the server's environment (which panes inherit) is a known
        // one; the driver's `start_session` then runs on it.
        let out = server.raw(&["start-server", ";", "set", "-s", "exit-empty", "off"]);
        assert!(out.status.success(), "{out:?}");
        let pid = server.raw(&["display-message", "-p", "#{pid}"]);
        server.pid = String::from_utf8_lossy(&pid.stdout).trim().parse().ok();
        assert!(server.pid.is_some(), "{pid:?}");
        let argv = sleep();
        let spawn = Spawn {
            argv: &argv,
            cwd: Path::new("/"),
            env: &[],
        };
        server
            .tmux
            .start_session("s", "main", &spawn, (120, 40))
            .expect("session starts");
        server
    }

    /// tmux on this server, bypassing the driver.
    fn raw(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("SHELL", "/bin/sh")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run tmux")
    }

    fn stop(&self) {
        let pid = self.pid.expect("a started server");
        kill(Pid::from_raw(pid), Signal::SIGSTOP).expect("SIGSTOP our own server");
        self.stopped.set(true);
    }

    fn windows(&self) -> Vec<String> {
        let out = self.raw(&["list-windows", "-t", "s:", "-F", "#{window_name}"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            if self.stopped.get() {
                let _ = kill(Pid::from_raw(pid), Signal::SIGCONT);
            }
            let _ = self.raw(&["kill-server"]);
            let start = Instant::now();
            while !is_gone(pid) && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = std::fs::remove_file(self.tmux.socket_file());
    }
}

fn sleep() -> Vec<String> {
    vec!["sleep".to_owned(), "60".to_owned()]
}

fn window<'a>(name: &'a str, job: &'a str, argv: &'a [String]) -> WindowSpec<'a> {
    WindowSpec {
        name,
        spawn: Spawn {
            argv,
            cwd: Path::new("/"),
            env: &[],
        },
        job: Some(job),
        pipe: None,
    }
}

#[test]
fn a_stopped_server_times_out_instead_of_hanging() {
    let server = Server::with_session();
    let pid = server.tmux.server_pid("s").expect("pid");
    assert_eq!(Some(pid), server.pid);
    server.stop();
    let tmux = Tmux::new(server.socket.clone()).with_timeout(Duration::from_millis(300));
    let start = Instant::now();
    let listed = tmux.list_panes("s");
    let took = start.elapsed();
    assert!(
        matches!(&listed, Err(TmuxError::Timeout { after, .. }) if *after == Duration::from_millis(300)),
        "{listed:?}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(listed.is_err_and(|e| e.is_unanswered()));
    assert!(tmux.has_session("s").is_err_and(|e| e.is_unanswered()));
    // Bounded too, and the socket of a server that may still live is kept.
    let start = Instant::now();
    let killed = tmux.kill_server();
    assert!(
        matches!(killed, Err(TmuxError::Timeout { .. })),
        "{killed:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(tmux.socket_file().exists());
}

#[test]
fn no_server_is_an_unanswered_error_and_no_session() {
    let server = Server::unstarted();
    let tmux = &server.tmux;
    let listed = tmux.list_panes("s");
    assert!(
        matches!(listed, Err(TmuxError::NoServer { .. })),
        "{listed:?}"
    );
    assert!(listed.is_err_and(|e| e.is_unanswered()));
    assert_eq!(tmux.has_session("s").ok(), Some(false));
    assert!(matches!(
        tmux.server_pid("s"),
        Err(TmuxError::NoServer { .. })
    ));
    let argv = sleep();
    let batch = tmux.new_windows("s", &[window("w", "j1", &argv)]);
    assert!(batch.made.is_empty());
    assert!(matches!(batch.error, Some(TmuxError::NoServer { .. })));
}

#[test]
fn a_missing_session_is_an_answer() {
    let server = Server::with_session();
    let tmux = &server.tmux;
    let listed = tmux.list_panes("nosuch");
    assert!(
        matches!(&listed, Err(TmuxError::NoSession { session, .. }) if session == "nosuch"),
        "{listed:?}"
    );
    assert!(!listed.is_err_and(|e| e.is_unanswered()));
    assert_eq!(tmux.has_session("nosuch").ok(), Some(false));
    assert_eq!(tmux.has_session("s").ok(), Some(true));
    assert!(matches!(
        tmux.server_pid("nosuch"),
        Err(TmuxError::NoSession { .. })
    ));
    assert_eq!(tmux.server_pid("s").ok(), server.pid);
    let argv = sleep();
    let batch = tmux.new_windows("nosuch", &[window("w", "j1", &argv)]);
    assert!(batch.made.is_empty());
    assert!(matches!(batch.error, Some(TmuxError::NoSession { .. })));
}

#[test]
fn a_batch_stops_at_the_window_tmux_refuses() {
    let server = Server::with_session();
    let tmux = &server.tmux;
    let argv = sleep();
    let huge = vec!["sleep".to_owned(), "6".repeat(17_500)];
    let specs = [
        window("w1", "j1", &argv),
        window("w2", "j2", &argv),
        window("w3", "j3", &huge),
        window("w4", "j4", &argv),
    ];
    let batch = tmux.new_windows("s", &specs);
    assert_eq!(batch.made.len(), 2, "{batch:?}");
    assert!(
        matches!(&batch.error, Some(TmuxError::Refused { command, stderr })
            if command == "new-window (batch of 1)" && stderr.contains("command too long")),
        "{batch:?}"
    );
    assert_eq!(server.windows(), ["main", "w1", "w2"]);
    let rows = tmux.list_panes("s").expect("listed");
    let jobs: Vec<_> = rows.iter().filter_map(|r| r.job.as_deref()).collect();
    assert_eq!(jobs, ["j1", "j2"]);
    assert_eq!(rows[1].pane_id, batch.made[0].pane_id);

    // A NUL byte: caught before anything runs; the windows before it are still made.
    let nul = vec!["sleep".to_owned(), "6\0".to_owned()];
    let specs = [window("w5", "j5", &argv), window("w6", "j6", &nul)];
    let batch = tmux.new_windows("s", &specs);
    assert_eq!(batch.made.len(), 1);
    assert!(
        matches!(&batch.error, Some(TmuxError::InvalidArgument { .. })),
        "{batch:?}"
    );
    assert!(tmux.new_window("s", &specs[1]).is_err());
    assert_eq!(server.windows(), ["main", "w1", "w2", "w5"]);
}

#[test]
fn values_ending_with_a_semicolon_reach_the_pane_unchanged() {
    let server = Server::with_session();
    let dir = tempfile::Builder::new()
        .prefix("wtp")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let cwd = dir.path().join("d;");
    std::fs::create_dir(&cwd).expect("mkdir");
    let argv: Vec<String> = [
        "/bin/sh",
        "-c",
        r#"printf '%s|' "$@" "$X" "$(pwd)" > ../out.tmp && mv ../out.tmp ../out; exec sleep 60"#,
        "sh",
        "semi;",
        "a\\;",
        ";",
    ]
    .map(str::to_owned)
    .to_vec();
    let env = [("X".to_owned(), "x;".to_owned())];
    let spec = WindowSpec {
        name: "w;",
        spawn: Spawn {
            argv: &argv,
            cwd: &cwd,
            env: &env,
        },
        job: Some("j;"),
        pipe: None,
    };
    server.tmux.new_window("s", &spec).expect("window made");
    let out = dir.path().join("out");
    wait_until("the pane's output", Duration::from_secs(5), || out.exists());
    let seen = std::fs::read_to_string(&out).expect("read");
    assert_eq!(seen, format!("semi;|a\\;|;|x;|{}|", cwd.display()));
    let rows = server.tmux.list_panes("s").expect("listed");
    let row = rows.last().expect("a row");
    assert_eq!(
        (row.window_name.as_str(), row.job.as_deref()),
        ("w;", Some("j;"))
    );
}

#[test]
fn the_verbs_work_end_to_end() {
    let server = Server::with_session();
    let tmux = &server.tmux;
    let dir = tempfile::Builder::new()
        .prefix("wtp")
        .tempdir_in("/tmp")
        .expect("tempdir");
    // More than a pipe buffer (64 KiB) of screen, so the capture must be drained.
    let chatty: Vec<String> = [
        "/bin/sh",
        "-c",
        "i=0; while [ $i -lt 3000 ]; do echo line-$i-0123456789012345678901234567890123456789012345678901234567890123456789; i=$((i+1)); done; echo DONE; exec sleep 60",
    ]
    .map(str::to_owned)
    .to_vec();
    let log = dir.path().join("log");
    let pipe = format!("cat >> {}", log.display());
    let argv = sleep();
    let mut specs = vec![window("a", "ja", &chatty), window("b", "jb", &argv)];
    specs[0].pipe = Some(&pipe);
    let batch = tmux.new_windows("s", &specs);
    assert!(batch.error.is_none(), "{batch:?}");
    let (a, b) = (&batch.made[0], &batch.made[1]);
    let split = tmux
        .split_window(&b.window_id, &specs[1].spawn, Some("jc"), None)
        .expect("split");
    assert_eq!(split.window_id, b.window_id);
    let rows = tmux.list_panes("s").expect("listed");
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows.iter().filter(|r| r.window_id == b.window_id).count(),
        2
    );
    let mut screen = String::new();
    wait_until("the chatty pane's output", Duration::from_secs(10), || {
        screen = tmux.capture_pane(&a.pane_id).unwrap_or_default();
        screen.contains("DONE")
    });
    assert!(screen.len() > 100_000, "{}", screen.len());
    wait_until("the piped log", Duration::from_secs(5), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("DONE"))
    });
    tmux.respawn_pane(&split.pane_id, &specs[1].spawn)
        .expect("respawned");
    tmux.kill_pane(&split.pane_id).expect("killed");
    assert!(matches!(
        tmux.kill_pane(&split.pane_id),
        Err(TmuxError::Refused { .. })
    ));
    tmux.display_message("s", "50% #done", None).expect("shown");
    let socket = tmux.socket_file();
    assert!(socket.exists());
    tmux.kill_server().expect("server killed");
    assert!(!socket.exists());
    assert!(server.pid.is_some_and(is_gone));
    assert_eq!(tmux.has_session("s").ok(), Some(false));
}

/// `cargo test latency -- --ignored --nocapture`: what the deadline machinery costs on a
/// normal call, against `Command::output()` running the same tmux call.
#[test]
#[ignore = "a measurement, not a check"]
fn latency_of_bounded_calls() {
    let server = Server::with_session();
    let args = super::args::argv(
        &server.socket,
        &[tmux_interface::DisplayMessage::new()
            .print()
            .message("#{pid}")
            .build()],
    );
    let bin = Path::new("tmux");
    let (mut ours, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..400 {
        let start = Instant::now();
        let out = super::exec::run(bin, &args, Duration::from_secs(2)).expect("ran");
        ours.push(start.elapsed());
        assert!(out.status.success());
        let start = Instant::now();
        let out = super::exec::client(bin, &args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("ran");
        plain.push(start.elapsed());
        assert!(out.status.success());
    }
    for (name, mut times) in [("exec::run", ours), ("Command::output", plain)] {
        times.sort();
        let mean = times.iter().sum::<Duration>() / u32::try_from(times.len()).unwrap_or(1);
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!(
            "{name:16} mean {mean:?} p50 {:?} p90 {:?} p99 {:?} max {:?}",
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
    }
}

/// Marks and counts reach tmux as options, and the session's formats show them: a waiting
/// window stands out, a compact pane's border carries its title, values are never formats.
#[test]
fn options_set_the_marks_the_status_line_shows() {
    use super::port::{OptionSet, Scope};
    let server = Server::with_session();
    let tmux = &server.tmux;
    let argv = sleep();
    let batch = tmux.new_windows(
        "s",
        &[window("w-a", "ja", &argv), window("w-b", "jb", &argv)],
    );
    let (a, b) = (&batch.made[0], &batch.made[1]);
    let marker = std::env::temp_dir().join(format!("wtp-pwned-{}", std::process::id()));
    let hostile = format!("#(touch {}) x\x1b[2J;", marker.display());
    let set = |scope, name, value| OptionSet { scope, name, value };
    tmux.set_options(&[
        set(Scope::Window(&a.pane_id), "@warden_state", "wait"),
        set(Scope::Window(&b.pane_id), "@warden_state", "✗ SIGKILL"),
        set(Scope::Pane(&a.pane_id), "@warden_title", "task-a wait"),
        set(Scope::Pane(&b.pane_id), "@warden_title", &hostile),
        set(Scope::Global, "status-right", "2/4 running · 1 waiting"),
    ])
    .expect("set");
    let text = |out: Output| String::from_utf8_lossy(&out.stdout).into_owned();
    let windows = text(server.raw(&[
        "list-windows",
        "-t",
        "s:",
        "-F",
        "#{window_name} #{@warden_state}",
    ]));
    assert!(windows.contains("w-a wait\n"), "{windows}");
    assert!(windows.contains("w-b ✗ SIGKILL\n"), "{windows}");
    let right = text(server.raw(&["show-options", "-gv", "status-right"]));
    assert_eq!(right.trim_end(), "2/4 running · 1 waiting");
    // The status line's entry for each window, as tmux expands it.
    let entry = |pane: &str, option: &str| {
        text(server.raw(&[
            "display-message",
            "-p",
            "-t",
            pane,
            &format!("#{{E:{option}}}"),
        ]))
    };
    let waiting = entry(&a.pane_id, "window-status-format");
    assert!(
        waiting.starts_with("#[fg=black bg=yellow bold]"),
        "{waiting}"
    );
    assert!(waiting.contains(":w-a wait"), "{waiting}");
    let failed = entry(&b.pane_id, "window-status-format");
    assert!(!failed.contains("yellow"), "{failed}");
    assert!(failed.contains(":w-b ✗ SIGKILL"), "{failed}");
    let border = entry(&a.pane_id, "pane-border-format");
    assert!(
        border.contains("yellow") && border.contains(" task-a wait "),
        "{border}"
    );
    // A value is shown as it is: no command ran, no escape reached tmux.
    let border = entry(&b.pane_id, "pane-border-format");
    assert!(!border.contains("yellow"), "{border}");
    assert!(border.contains("#(touch"), "{border}");
    assert!(!border.contains('\x1b'), "{border:?}");
    assert!(!marker.exists());
    // A pane that is gone: an error, which callers log.
    let gone = tmux.set_options(&[set(Scope::Window("%999"), "@warden_state", "run")]);
    assert!(matches!(gone, Err(TmuxError::Refused { .. })), "{gone:?}");
}
