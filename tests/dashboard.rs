//! The dashboard on real tmux: the supervisor's `warden` window draws it, keys sent to the
//! window act (select, show a worker's window, kill with a confirmation, help), `q` never
//! stops the supervisor; `warden top` in another window leaves with `q`; `--once` prints a
//! frame and a pipe gets the plain heartbeat. A private tmux server per test, polling with
//! deadlines.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(40);

fn config() -> String {
    "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{task}\"]\nagent = \"claude\"\nmax_workers = 2\n\
     [heartbeat]\ninterval = \"1s\"\n\
     [thresholds]\nwaiting_input_after = \"1s\"\n"
        .to_owned()
}

/// `warden up` with colour allowed (the tests' commands set NO_COLOR, which turns the
/// dashboard off in favour of the plain heartbeat).
fn up_with_dashboard(live: &Live) {
    let out = live
        .command(&["up"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .output()
        .expect("warden up");
    assert!(
        out.status.success(),
        "warden up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The window's screen as it is now, with its escape sequences (`-e`).
fn screen(live: &Live, target: &str) -> String {
    String::from_utf8_lossy(
        &live
            .tmux(&["capture-pane", "-e", "-p", "-t", target])
            .stdout,
    )
    .into_owned()
}

fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: up to the final byte.
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn keys(live: &Live, target: &str, keys: &[&str]) {
    for k in keys {
        let mut args = vec!["send-keys", "-t", target];
        args.push(k);
        assert!(live.tmux(&args).status.success(), "send-keys {k}");
    }
}

/// The selected row (drawn reversed, SGR 7), without its escapes.
fn selected(live: &Live) -> String {
    screen(live, "warden")
        .lines()
        .find(|l| l.contains("\u{1b}[7m"))
        .map(plain)
        .unwrap_or_default()
}

fn active_window(live: &Live) -> String {
    let out = live.tmux(&["list-windows", "-F", "#{window_active} #{window_name}"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("1 ").map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn the_warden_window_is_a_dashboard_whose_keys_act() {
    let live = Live::new(&config());
    live.task(
        "asks",
        "status: ready\npriority: p0\nfake: hooks start prompt tool permission hang",
    );
    live.task(
        "works",
        "status: ready\npriority: p1\nfake: hooks start prompt tool hang",
    );
    up_with_dashboard(&live);

    live.wait_for("the dashboard with the waiting agent", WAIT, |l| {
        let s = plain(&screen(l, "warden"));
        s.contains("WAITING") && s.contains("waiting for you") && s.contains("works")
    });
    let colours = screen(&live, "warden");
    let waiting = colours
        .lines()
        .find(|l| l.contains("WAITING"))
        .unwrap_or_default();
    assert!(
        waiting.contains("\u{1b}[1m") || waiting.contains(";1m") || waiting.contains("[1;"),
        "the waiting state stands out (bold): {waiting:?}"
    );
    assert!(
        // SGR 33, or colour 3 of 256 as tmux writes it back.
        waiting.contains("33m") || waiting.contains("38;5;3m"),
        "the waiting state is yellow: {waiting:?}"
    );

    // Ages tick between snapshots: the header's "snapshot … ago" changes on its own.
    let first = selected(&live);
    assert!(first.contains("asks"), "the first row is selected: {first}");
    keys(&live, "warden", &["j"]);
    live.wait_for("the selection to move down", WAIT, |l| {
        selected(l).contains("works")
    });
    keys(&live, "warden", &["k"]);
    live.wait_for("the selection back on asks", WAIT, |l| {
        selected(l).contains("asks")
    });

    // Help, then any key closes it.
    keys(&live, "warden", &["?"]);
    live.wait_for("the help", WAIT, |l| {
        plain(&screen(l, "warden")).contains("show the worker's window")
    });
    keys(&live, "warden", &["Escape"]);
    live.wait_for("the help to close", WAIT, |l| {
        !plain(&screen(l, "warden")).contains("show the worker's window")
    });

    // Enter shows the selected worker's window on the same client.
    keys(&live, "warden", &["Enter"]);
    live.wait_for("the worker's window to be the current one", WAIT, |l| {
        active_window(l).starts_with("w-asks")
    });
    assert!(
        live.tmux(&["select-window", "-t", "warden"])
            .status
            .success()
    );

    // K asks first; n cancels; K then y kills.
    keys(&live, "warden", &["K"]);
    live.wait_for("the kill confirmation", WAIT, |l| {
        plain(&screen(l, "warden")).contains("Kill the worker of asks?")
    });
    keys(&live, "warden", &["n"]);
    live.wait_for("the kill to be cancelled", WAIT, |l| {
        plain(&screen(l, "warden")).contains("kill cancelled")
    });
    assert!(
        live.jobs("asks").iter().all(|j| !Live::ended(j)),
        "a cancelled kill kills nothing"
    );
    keys(&live, "warden", &["K"]);
    live.wait_for("the kill confirmation again", WAIT, |l| {
        plain(&screen(l, "warden")).contains("Kill the worker of asks?")
    });
    keys(&live, "warden", &["y"]);
    live.wait_for("the worker of asks to end", WAIT, |l| {
        l.jobs("asks").iter().any(Live::ended)
    });
    live.wait_for("the supervisor's answer in the status line", WAIT, |l| {
        plain(&screen(l, "warden")).contains("sent SIGTERM")
    });

    // q in the window never stops the supervisor.
    keys(&live, "warden", &["q"]);
    live.wait_for("the note that the supervisor keeps running", WAIT, |l| {
        plain(&screen(l, "warden")).contains("keeps running")
    });
    assert_eq!(
        live.run(&["status"]).code,
        0,
        "the supervisor still answers"
    );
    let log = live.repo.path(".warden/supervisor.log");
    assert!(log.exists(), "the supervisor's log went to its file");
}

#[test]
fn warden_top_prints_a_frame_streams_heartbeats_to_a_pipe_and_leaves_with_q() {
    let live = Live::new(&config());
    live.task("solo", "status: ready\nfake: hooks start prompt tool hang");
    live.up(&[]);
    live.wait_for("the worker", WAIT, |l| {
        l.snapshot()["workers"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["agent"]["state"] == "working"))
    });

    let once = live.run(&["top", "--once"]);
    assert_eq!(once.code, 0, "{}", once.stderr);
    assert!(once.stdout.contains("workers 1/2"), "{}", once.stdout);
    assert!(once.stdout.contains("solo"), "{}", once.stdout);
    assert!(once.stdout.contains("working"), "{}", once.stdout);
    assert!(
        !once.stdout.contains('\u{1b}'),
        "a printed frame is plain text"
    );

    // A pipe gets the plain heartbeat, one per publish.
    let mut child = live
        .command(&["top"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("warden top");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut headers = 0;
    let deadline = std::time::Instant::now() + WAIT;
    while headers < 2 && std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) {
            assert!(
                !line.contains('\u{1b}'),
                "no terminal codes in a pipe: {line:?}"
            );
            if line.starts_with("warden heartbeat") || line.contains("Escalation signals") {
                headers += 1;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(headers >= 2, "two heartbeats streamed, one per publish");

    // In a terminal (a window of the same server), q leaves `warden top`.
    let bin = env!("CARGO_BIN_EXE_warden");
    let root = live.repo.root().display().to_string();
    let cmd = format!(
        "cd '{root}' && env -u NO_COLOR TERM=xterm-256color WARDEN_TMUX_SOCKET='{}' '{bin}' top",
        live.socket
    );
    assert!(
        live.tmux(&["new-window", "-d", "-n", "viewer", &cmd])
            .status
            .success()
    );
    live.wait_for("warden top to draw", WAIT, |l| {
        plain(&screen(l, "viewer")).contains("solo")
    });
    keys(&live, "viewer", &["q"]);
    live.wait_for("warden top to leave", WAIT, |l| {
        String::from_utf8_lossy(
            &l.tmux(&["display-message", "-p", "-t", "viewer", "#{pane_dead}"])
                .stdout,
        )
        .trim()
            == "1"
    });
    assert_eq!(
        live.run(&["status"]).code,
        0,
        "leaving top leaves the supervisor"
    );
}

#[test]
fn warden_top_without_a_supervisor_says_so() {
    let live = Live::new(&config());
    let run = live.run(&["top", "--once"]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("no supervisor is running"),
        "{}",
        run.stderr
    );
}
