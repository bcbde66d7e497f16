//! The supervisor end to end, its configuration at work: SIGHUP reloads (a bad config, an
//! overlong duration), the compact layout, and cron mode. Real tmux on a private server per
//! test, the scripted fake agent, polling with deadlines.

mod support;

use std::time::Duration;

use nix::sys::signal::Signal;
use support::guards::send;
use support::live::{Live, end_of, record_ended};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn sighup_reloads_and_an_invalid_config_keeps_the_old_one() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 1\n[heartbeat]\ninterval = \"1s\"\n",
    );
    for t in ["a", "b", "c"] {
        live.task(t, "status: ready\nfake: silent 60");
    }
    live.up(&[]);
    live.wait_for("one worker", WAIT, |l| {
        l.snapshot()["counts"]["workers_live"] == 1
    });
    let pid = live.supervisor_pid().expect("pid");
    live.repo
        .write_aged("warden.toml", "[dispatch]\nmax_workers = \"many\"\n", 0);
    send(pid, Signal::SIGHUP);
    live.wait_for("the reload error in the supervisor's window", WAIT, |l| {
        l.supervisor_window()
            .contains("keeping the previous config")
    });
    assert!(
        live.supervisor_window().contains("warden.toml"),
        "the error names the file"
    );
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "still supervising"
    );
    live.repo.write_aged("warden.toml", "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 3\n[heartbeat]\ninterval = \"1s\"\n", 0);
    // `warden reload` is the same SIGHUP, sent to the lock's supervisor for you.
    let reload = live.run(&["reload"]);
    assert_eq!(reload.code, 0, "{}\n{}", reload.stdout, reload.stderr);
    live.wait_for("three workers after a good reload", WAIT, |l| {
        l.snapshot()["counts"]["workers_live"] == 3
    });
}

/// A duration whose sum with now overflowed: loaded on SIGHUP, it killed the supervisor
/// (and `warden up` printed "warden is up" before its supervisor died of it again). It is
/// refused when read, so the supervisor keeps the config it has.
#[test]
fn sighup_with_an_overlong_duration_keeps_the_old_config() {
    let good = "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 1\n[heartbeat]\ninterval = \"1s\"\n";
    let live = Live::new(good);
    for t in ["a", "b"] {
        live.task(t, "status: ready\nfake: silent 60");
    }
    live.up(&[]);
    live.wait_for("one worker", WAIT, |l| {
        l.snapshot()["counts"]["workers_live"] == 1
    });
    let pid = live.supervisor_pid().expect("pid");
    live.repo.write_aged(
        "warden.toml",
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 2\n[heartbeat]\ninterval = \"106751991167300d\"\n",
        0,
    );
    send(pid, Signal::SIGHUP);
    live.wait_for("the reload error in the supervisor's window", WAIT, |l| {
        l.supervisor_window()
            .contains("keeping the previous config")
    });
    assert!(
        live.supervisor_window().contains("longer than the maximum"),
        "{}",
        live.supervisor_window()
    );
    // Still beating every second with the old config: heartbeats go on, one worker only.
    let seen = live.snapshot()["generated_at"].clone();
    live.wait_for("a later heartbeat", WAIT, |l| {
        l.snapshot()["generated_at"] != seen
    });
    assert!(support::live::process_alive(pid), "still supervising");
    assert_eq!(live.snapshot()["counts"]["workers_live"], 1);
    let up = live.run(&["up"]);
    assert_eq!(up.code, 4, "{}\n{}", up.stdout, up.stderr);
    assert!(!up.stdout.contains("warden is up"), "{}", up.stdout);
    assert!(up.stderr.contains("line 5, column 12"), "{}", up.stderr);
    // Put the good config back, so the teardown's `warden down` can read it.
    live.repo.write_aged("warden.toml", good, 0);
}

#[test]
fn compact_layout_tiles_workers_and_the_supervisor_stops_without_them() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 3\n[heartbeat]\ninterval = \"1s\"\n",
    );
    for t in ["a", "b", "c"] {
        live.task(t, "status: ready\nfake: silent 60");
    }
    live.up(&["--layout", "compact"]);
    live.wait_for("three workers", WAIT, |l| {
        ["a", "b", "c"]
            .iter()
            .all(|t| l.jobs(t).first().is_some_and(|j| j["pane"].is_string()))
    });
    let panes = live.tmux(&["list-panes", "-s", "-F", "#{@warden_job} #{window_id}"]);
    let panes = String::from_utf8_lossy(&panes.stdout).into_owned();
    let windows: std::collections::BTreeSet<&str> = panes
        .lines()
        .filter(|l| l.starts_with('j'))
        .filter_map(|l| l.split(' ').nth(1))
        .collect();
    assert_eq!(
        windows.len(),
        1,
        "three workers tiled in one window: {panes}"
    );

    // SIGTERM stops the supervisor; the workers keep running.
    let pid = live.supervisor_pid().expect("pid");
    send(pid, Signal::SIGTERM);
    // Exited, not necessarily reaped: tmux 3.3a may leave its pane's process a zombie
    // until its server gets another SIGCHLD.
    live.wait_for("the supervisor to exit", WAIT, |_| {
        !support::live::process_alive(pid)
    });
    let alive = |l: &Live| {
        String::from_utf8_lossy(
            &l.tmux(&["list-panes", "-s", "-F", "#{@warden_job} #{pane_dead}"])
                .stdout,
        )
        .lines()
        .filter(|x| x.starts_with('j') && x.ends_with(" 0"))
        .count()
    };
    assert_eq!(alive(&live), 3, "workers outlive their supervisor");
    // `up` again adopts them; `down` without --kill-workers also leaves them running.
    live.up(&[]);
    let down = live.run(&["down"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(alive(&live), 3);
    for t in ["a", "b", "c"] {
        assert_eq!(live.jobs(t).len(), 1, "{t} was not dispatched twice");
        assert!(!Live::ended(&live.jobs(t)[0]));
    }
}

#[test]
fn cron_mode_dispatches_once_and_records_exits_next_time() {
    let live = Live::new("[dispatch]\ncommand = [\"scripts/fake-agent\"]\n");
    live.task("job", "status: ready\nfake: exit 5 0.1");
    let first = live.run(&["heartbeat", "--once", "--dispatch-ready"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert!(
        first.stdout.contains("workers  1 running"),
        "{}",
        first.stdout
    );
    assert!(
        live.supervisor_pid()
            .is_some_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists()),
        "no supervisor stays behind"
    );
    let job = live.jobs("job")[0]["job"].as_str().expect("job").to_owned();
    let record = live.repo.path(&format!(".warden/jobs/{job}.json"));
    live.wait_for("the worker to exit", WAIT, |_| record_ended(&record));
    let second = live.run(&["heartbeat", "--once", "--dispatch-ready", "--json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(end_of(&live.jobs("job")[0]), "exit 5");
    let v: serde_json::Value = serde_json::from_str(&second.stdout).expect("json");
    assert!(
        v["escalation"]["signals"]
            .as_array()
            .expect("signals")
            .iter()
            .any(|s| s["code"] == "dispatch_failed")
    );
}
