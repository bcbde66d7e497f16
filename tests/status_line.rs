//! What the tmux status line tells a person, end to end: each worker window's state mark
//! (`@warden_state`) as its agent waits and as its job ends, compact panes titled with their
//! task and state, the counts in `status-right`, and the bell that comes with a message
//! that matters. Real tmux on a private server per test, the fake agent in hooks mode.

mod support;

use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(40);

fn config(agent_wait_secs: u32) -> String {
    format!(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{{task}}\"]\nagent = \"claude\"\nmax_workers = 4\n\
         [heartbeat]\ninterval = \"1s\"\n\
         [thresholds]\nwaiting_input_after = \"{agent_wait_secs}s\"\n"
    )
}

fn text(out: std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `name mark` for each window.
fn windows(live: &Live) -> String {
    text(live.tmux(&[
        "list-windows",
        "-a",
        "-F",
        "#{window_name} #{@warden_state}",
    ]))
}

fn status_right(live: &Live) -> String {
    text(live.tmux(&["show-options", "-gv", "status-right"]))
}

/// Whether the supervisor's own window (`warden`) has its bell flag up.
fn warden_bell(live: &Live) -> bool {
    text(live.tmux(&[
        "list-windows",
        "-a",
        "-F",
        "#{window_name} #{window_bell_flag}",
    ]))
    .lines()
    .any(|l| l == "warden 1")
}

fn agent_state(live: &Live, task: &str) -> String {
    live.snapshot()["workers"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["task"] == task).cloned())
        .and_then(|w| w["agent"]["state"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn each_worker_window_shows_its_state_and_the_status_line_counts_them() {
    let live = Live::new(&config(30));
    live.task(
        "asks",
        "status: ready\nfake: hooks start prompt tool permission hang",
    )
    .task("fine", "status: ready\nfake: ok 0.2")
    .task("bad", "status: ready\nfake: exit 3 0.2")
    .task("killed", "status: ready\nfake: signal KILL 0.2");
    live.up(&[]);
    live.wait_for("each window's mark", WAIT, |l| {
        let w = windows(l);
        w.contains("w-asks wait\n")
            && w.contains("w-fine ✓\n")
            && w.contains("w-bad ✗ 3\n")
            && w.contains("w-killed ✗ SIGKILL\n")
    });
    // The names stay the jobs' own, and the supervisor's window has no mark.
    let w = windows(&live);
    assert!(w.lines().any(|l| l == "warden "), "{w}");
    assert!(!w.contains('!'), "{w}");
    live.wait_for("the counts", WAIT, |l| {
        let right = status_right(l);
        right.contains("/4 running") && right.contains("1 waiting")
    });
    // The waiting worker stands out: its entry in the status line is black on yellow.
    let entry = text(live.tmux(&[
        "display-message",
        "-p",
        "-t",
        "w-asks",
        "#{E:window-status-format}",
    ]));
    assert!(
        entry.contains("bg=yellow") && entry.contains("w-asks wait"),
        "{entry}"
    );
}

#[test]
fn an_agent_waiting_for_you_rings_the_bell() {
    let live = Live::new(&config(30));
    // A turn that works a few seconds before it asks.
    live.task(
        "asks",
        "status: ready\nfake: hooks start prompt tool sleep:4 permission hang",
    );
    live.up(&[]);
    live.wait_for("the agent at work", WAIT, |l| {
        agent_state(l, "asks") == "working"
    });
    assert!(!warden_bell(&live), "no bell before anything matters");
    live.wait_for("the waiting mark", WAIT, |l| {
        windows(l).contains("w-asks wait\n")
    });
    // No client is attached, so the bell the supervisor rang in its own window flags it.
    live.wait_for("the bell", WAIT, warden_bell);
}

#[test]
fn compact_panes_carry_their_task_and_state_on_their_border() {
    let live = Live::new(&config(30));
    live.task(
        "asks",
        "status: ready\nfake: hooks start prompt tool permission hang",
    )
    .task("fine", "status: ready\nfake: ok 0.2");
    live.up(&["--layout", "compact"]);
    let titles = |l: &Live| {
        text(l.tmux(&[
            "list-panes",
            "-a",
            "-F",
            "#{@warden_title}|#{pane-border-status}",
        ]))
    };
    live.wait_for("the panes' titles", WAIT, |l| {
        let t = titles(l);
        t.contains("asks wait|top") && t.contains("fine ✓|top")
    });
    // The supervisor's window has no pane borders.
    let border = text(live.tmux(&["show-options", "-wv", "-t", "warden", "pane-border-status"]));
    assert!(!border.contains("top"), "{border}");
}
