//! An operator's view: `warden attach TASK` in a pseudo-terminal shows the worker's pane;
//! C-b d detaches and hands the terminal back.

mod support;

use std::time::Duration;

use support::live::Live;

#[test]
fn attach_sees_worker_output_and_detaches() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("talk", "status: ready\nfake: silent 60");
    live.up(&[]);
    live.wait_for("the worker to start", Duration::from_secs(30), |l| {
        l.jobs("talk").first().is_some_and(|j| j["pid"].is_u64())
    });
    let mut cmd = live.command(&["attach", "talk"]);
    cmd.env("TERM", "xterm-256color");
    let mut session =
        rexpect::session::spawn_command(cmd, Some(15_000)).expect("spawn warden attach in a pty");
    let seen = session.exp_string("going quiet for 60 s on task 'talk'");
    assert!(seen.is_ok(), "the worker's output is on screen");
    session.send_control('b').expect("prefix");
    session.send("d").expect("detach");
    session.flush().expect("flush the keys to the terminal");
    let detached = session.exp_string("[detached");
    assert!(detached.is_ok(), "tmux says detached");
    session.exp_eof().expect("the client exits");
    // Detaching left the worker running.
    let job = &live.jobs("talk")[0];
    assert!(job["ended_at"].is_null(), "{job:#}");
}
