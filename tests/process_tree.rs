//! Issue 9, item 11: `warden down --kill-workers` stops each job's whole process tree, not
//! only its process group. The agent here starts a child that leaves the group and the
//! session (`setsid`) and records its pid; after `down --kill-workers` it must be gone,
//! whether the supervisor stops the workers or `warden down` does it itself.
//!
//! A guard kills that child by its pid if a test fails, so nothing outlives the test.

mod support;

use std::path::Path;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::guards::Escaped;
use support::live::{Live, process_alive};

const WAIT: Duration = Duration::from_secs(30);

/// The agent: a child in a session of its own, its pid in `escaped.pid`, then a long wait.
const ESCAPE: &str = "#!/bin/sh\nsetsid sh -c 'echo $$ > \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec sleep 300' \"$WARDEN_ROOT/escaped.pid\" &\nexec sleep 300\n";

const CONFIG: &str = "[dispatch]\ncommand = [\"scripts/escape\"]\n[heartbeat]\ninterval = \"1s\"\n";

/// A repository whose task `t` runs `scripts/escape`, up, with the escaped child running.
fn start() -> (Live, Escaped) {
    let live = Live::new(CONFIG);
    live.repo.write_aged("scripts/escape", ESCAPE, 0);
    std::fs::set_permissions(
        live.repo.path("scripts/escape"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    live.task("t", "status: ready");
    live.up(&[]);
    let pidfile = live.repo.path("escaped.pid");
    live.wait_for("the escaped child to record its pid", WAIT, |_| {
        read_pid(&pidfile).is_some_and(process_alive)
    });
    let pid = read_pid(&pidfile).expect("pid");
    let escaped = Escaped { pid };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    // state ppid pgrp session: it leads a session (and group) of its own.
    assert_eq!(
        fields.get(3).copied(),
        Some(pid.to_string().as_str()),
        "the child left the job's session: {stat}"
    );
    (live, escaped)
}

fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn down(live: &Live) {
    let (run, took) = live.run_within(
        &["down", "--kill-workers", "--timeout", "2s"],
        Duration::from_secs(30),
    );
    let run = run.unwrap_or_else(|| panic!("`warden down --kill-workers` hung for {took:?}"));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// The supervisor stops the workers (`Action::Signal`).
#[test]
fn down_kill_workers_stops_a_child_that_left_the_process_group() {
    let (live, escaped) = start();
    down(&live);
    live.wait_until(
        &format!(
            "the setsid child (pid {}) to be stopped by the supervisor's `down --kill-workers`",
            escaped.pid
        ),
        Duration::from_secs(10),
        |_| !process_alive(escaped.pid),
    );
}

/// No supervisor runs (it was killed): `warden down --kill-workers` stops the workers
/// itself.
#[test]
fn down_kill_workers_without_a_supervisor_stops_a_child_that_left_the_process_group() {
    let (live, escaped) = start();
    let supervisor = live.supervisor_pid().expect("the supervisor's pid");
    kill(Pid::from_raw(supervisor), Signal::SIGKILL).expect("kill the supervisor");
    live.wait_until("the supervisor to be gone", WAIT, |_| {
        !process_alive(supervisor)
    });
    down(&live);
    live.wait_until(
        &format!(
            "the setsid child (pid {}) to be stopped by `warden down --kill-workers` without a supervisor",
            escaped.pid
        ),
        Duration::from_secs(10),
        |_| !process_alive(escaped.pid),
    );
}
