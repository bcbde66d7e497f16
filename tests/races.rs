//! Starting warden while it is being started: concurrent `warden up`s, and a cron pass
//! (`heartbeat --once --dispatch-ready`) racing `up`. Exactly one supervisor wins; every other
//! command says so in one line and exits 0; nothing is dispatched twice.

mod support;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use support::live::Live;

const WAIT: Duration = Duration::from_secs(60);

const CONFIG: &str =
    "[dispatch]\ncommand = [\"scripts/fake-agent\"]\n[heartbeat]\ninterval = \"1s\"\n";

fn spawn(live: &Live, args: &[&str]) -> Child {
    live.command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn warden")
}

/// Waits for every child, failing the test if one takes longer than `WAIT` (it is killed).
fn finish(children: Vec<Child>) -> Vec<Output> {
    let start = Instant::now();
    let mut outputs = Vec::new();
    for mut child in children {
        loop {
            if child.try_wait().expect("try_wait").is_some() {
                break;
            }
            if start.elapsed() > WAIT {
                let _ = child.kill();
                panic!("a warden command hung for {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        outputs.push(child.wait_with_output().expect("output"));
    }
    outputs
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}stderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A supervisor answers (an unknown task is refused by a live one: 9; none running: 7).
fn supervisor_answers(live: &Live) -> bool {
    live.run(&["dispatch", "no-such-task"]).code == 9
}

fn lock_role(live: &Live) -> String {
    std::fs::read_to_string(live.repo.path(".warden/supervisor.role"))
        .unwrap_or_default()
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned()
}

#[test]
fn three_concurrent_ups_start_one_supervisor_and_the_others_say_so() {
    let live = Live::new(CONFIG);
    live.task("t", "status: ready\nfake: silent 60");
    let outputs = finish((0..3).map(|_| spawn(&live, &["up"])).collect());
    let all: Vec<String> = outputs.iter().map(text).collect();
    for o in &outputs {
        assert_eq!(o.status.code(), Some(0), "{all:#?}");
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.starts_with("warden is up") || stdout.starts_with("warden is already running"),
            "{all:#?}"
        );
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("duplicate session"),
            "{all:#?}"
        );
    }
    let winners = outputs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stdout).starts_with("warden is up"))
        .count();
    assert_eq!(winners, 1, "{all:#?}");
    let losers: Vec<String> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .filter(|s| s.starts_with("warden is already running"))
        .collect();
    assert!(losers.iter().all(|s| s.lines().count() == 1), "{losers:#?}");
    assert!(supervisor_answers(&live));
    assert_eq!(lock_role(&live), "supervisor");
    let windows =
        String::from_utf8_lossy(&live.tmux(&["list-windows", "-F", "#{window_name}"]).stdout)
            .into_owned();
    assert_eq!(
        windows.lines().filter(|w| *w == "warden").count(),
        1,
        "{windows}"
    );
    live.wait_for("the task's one job", WAIT, |l| {
        l.jobs("t").first().is_some_and(|j| j["pid"].is_u64())
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(live.jobs("t").len(), 1, "dispatched once");
}

#[test]
fn a_cron_pass_racing_up_leaves_one_supervisor_and_nothing_run_twice() {
    for round in 0..4 {
        let live = Live::new(CONFIG);
        live.task("t", "status: ready\nfake: silent 60");
        let children = if round % 2 == 0 {
            vec![
                spawn(&live, &["up"]),
                spawn(&live, &["heartbeat", "--once", "--dispatch-ready"]),
            ]
        } else {
            vec![
                spawn(&live, &["heartbeat", "--once", "--dispatch-ready"]),
                spawn(&live, &["up"]),
            ]
        };
        let outputs = finish(children);
        let all: Vec<String> = outputs.iter().map(text).collect();
        for o in &outputs {
            assert_eq!(o.status.code(), Some(0), "round {round}: {all:#?}");
        }
        live.wait_for("a supervisor to answer", WAIT, supervisor_answers);
        assert_eq!(lock_role(&live), "supervisor", "round {round}: {all:#?}");
        live.wait_for("the task's job to run", WAIT, |l| {
            l.jobs("t").first().is_some_and(|j| j["pid"].is_u64())
        });
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(
            live.jobs("t").len(),
            1,
            "round {round}: dispatched once: {all:#?}"
        );
    }
}
