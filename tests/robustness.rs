//! The supervisor when the world around it misbehaves: a wedged (SIGSTOPped) tmux server, a
//! tmux socket file deleted under a live server, a tmux server that is really gone, a state
//! folder that cannot be written, and a supervisor that does not answer `warden down`.
//!
//! Every test runs on its own private tmux server. Guards undo what a test did to the
//! machine (SIGSTOP, `chattr +i`, a missing socket) even when an assertion fails, before
//! `Live` tears the session down, and a last guard kills, by pid, whatever the test started
//! that is still running after that.

mod support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use support::guards::{Child, SocketGuard, Stopped, Sweeper, Unwritable, processes_in, send};
use support::live::{Live, end_of, process_alive, record_ended};

const WAIT: Duration = Duration::from_secs(30);

/// The workers run the fake agent; one heartbeat a second.
const BASE: &str = "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n";

/// tmux wedged (its server SIGSTOPped): the supervisor keeps writing snapshots and
/// raises a critical `tmux_unreachable` after `thresholds.tmux_unreachable_after`,
/// answers `warden status` promptly, marks no job `lost` and dispatches nothing while
/// tmux cannot be asked. Once tmux answers again, the exit that happened meanwhile is
/// taken from the wrapper's record, the signal clears, and the task that became ready
/// meanwhile is dispatched.
#[test]
fn a_stopped_tmux_server_is_unreachable_never_gone_and_everything_resumes() {
    let sweeper = Sweeper::default();
    let live = Live::new(&format!(
        "{BASE}[thresholds]\ntmux_unreachable_after = \"2s\"\n"
    ));
    sweeper.watch(&live);
    live.task("long", "status: ready\nfake: silent 60")
        .task("short", "status: ready\nfake: ok 3");
    live.up(&[]);
    live.wait_for("both workers to have pids", WAIT, |l| {
        ["long", "short"]
            .iter()
            .all(|t| l.jobs(t).first().is_some_and(|j| j["pid"].is_u64()))
    });
    let server = live.server_pid().expect("the tmux server's pid");
    sweeper.server(server, &live.socket);
    let short = job_id(&live, "short");
    let record = live.repo.path(&format!(".warden/jobs/{short}.json"));

    let stopped = Stopped::new(server);
    let stopped_at = Instant::now();
    live.task("late", "status: ready\nfake: ok 1");

    live.wait_until(
        "a critical tmux_unreachable signal in the snapshot while tmux is stopped",
        WAIT,
        |l| signal(&l.snapshot(), "tmux_unreachable").is_some_and(|s| s["severity"] == "critical"),
    );
    let unreachable = signal(&live.snapshot(), "tmux_unreachable").expect("the signal");
    assert_eq!(
        unreachable["subject"],
        json!({"kind": "repository"}),
        "{unreachable:#}"
    );
    assert!(
        unreachable["evidence"]["detail"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty()),
        "the error text is in evidence.detail: {unreachable:#}"
    );

    let (status, took) = live.run_within(&["status", "--json"], Duration::from_secs(15));
    let status = status.unwrap_or_else(|| {
        panic!("`warden status --json` hung for {took:?} while tmux was stopped (killed)")
    });
    assert_eq!(
        status.code, 0,
        "`warden status --json` while tmux is stopped:\n{}",
        status.stderr
    );
    assert!(
        took <= Duration::from_secs(10),
        "`warden status --json` took {took:?} while tmux was stopped"
    );

    // Time passes with tmux stopped: the short job ends (only its wrapper's record knows),
    // and the 10 s after which a job with no pane and no end would count as lost go by.
    live.wait_until("short's wrapper to record its exit", WAIT, |_| {
        record_ended(&record)
    });
    let long_enough = Duration::from_secs(11);
    if let Some(rest) = long_enough.checked_sub(stopped_at.elapsed()) {
        std::thread::sleep(rest);
    }
    let lost: Vec<Value> = all_jobs(&live)
        .into_iter()
        .filter(|j| j["end"]["kind"] == "lost")
        .collect();
    assert!(
        lost.is_empty(),
        "an unanswered tmux is unknown, never gone; jobs marked lost: {lost:#?}"
    );
    assert!(
        live.jobs("late").is_empty(),
        "nothing is dispatched while tmux cannot be asked: {:#?}",
        live.jobs("late")
    );

    stopped.resume();
    let resumed_at = Utc::now();
    live.wait_for("short's exit to be recorded", WAIT, |l| {
        l.jobs("short").first().is_some_and(Live::ended)
    });
    assert_eq!(end_of(&live.jobs("short")[0]), "exit 0");
    live.wait_for("late to be dispatched once tmux answers", WAIT, |l| {
        !l.jobs("late").is_empty()
    });
    live.wait_for(
        "tmux_unreachable to clear from a fresh snapshot",
        WAIT,
        |l| {
            let snapshot = l.snapshot();
            generated_at(&snapshot).is_some_and(|t| t > resumed_at)
                && signal(&snapshot, "tmux_unreachable").is_none()
        },
    );
    assert!(
        !Live::ended(&live.jobs("long")[0]),
        "long is still running: {:#}",
        live.jobs("long")[0]
    );
    assert_eq!(live.jobs("long").len(), 1, "long was not dispatched twice");
    assert_eq!(
        live.jobs("short").len(),
        1,
        "short was not dispatched twice"
    );
}

/// A /tmp cleaner deletes the socket file of a live tmux server: the supervisor notices
/// within seconds and makes that same server recreate it (SIGUSR1); the worker's job,
/// pane and agent carry on.
#[test]
fn a_deleted_tmux_socket_is_recreated_and_the_worker_never_notices() {
    let sweeper = Sweeper::default();
    let (live, server) = up_with_one_silent_worker(&sweeper);
    let server = server.expect("the tmux server's pid");
    let _socket = SocketGuard {
        server,
        path: live.socket_file(),
    };
    let job = job_id(&live, "w");
    let agent = pid_of(&live.jobs("w")[0]);

    std::fs::remove_file(live.socket_file()).expect("delete the socket file");
    live.wait_until(
        "the tmux socket file to come back after it was deleted",
        Duration::from_secs(10),
        |l| l.socket_file().exists(),
    );
    live.wait_until(
        "tmux to answer on the socket again",
        Duration::from_secs(5),
        |l| {
            l.tmux_within(&["list-sessions"], Duration::from_secs(2))
                .is_some_and(|o| o.status.success())
        },
    );
    assert_eq!(
        live.server_pid(),
        Some(server),
        "the same server answers, not a new one"
    );
    let w = &live.jobs("w")[0];
    assert!(!Live::ended(w), "the job is still live: {w:#}");
    assert_eq!(live.jobs("w").len(), 1, "w was not dispatched again");
    let rows = job_panes(&live);
    assert!(
        rows.iter().any(|(j, dead)| *j == job && !dead),
        "the worker's pane is alive: {rows:?}"
    );
    assert!(process_alive(agent), "the agent (pid {agent}) still runs");
}

/// The tmux server really gone (SIGKILL): its jobs end, the snapshot has one critical
/// `tmux_server_gone` signal, the supervisor exits, and `warden up` starts a new
/// supervisor on a new server.
#[test]
fn a_killed_tmux_server_ends_its_jobs_with_one_signal_and_up_starts_afresh() {
    let sweeper = Sweeper::default();
    let (live, server) = up_with_one_silent_worker(&sweeper);
    let server = server.expect("the tmux server's pid");
    let supervisor = live.supervisor_pid().expect("the supervisor's pid");

    send(server, Signal::SIGKILL);
    live.wait_until(
        "the supervisor to exit once its tmux server is gone",
        WAIT,
        |_| !process_alive(supervisor),
    );
    let snapshot = live.snapshot();
    let gone: Vec<&Value> = snapshot["escalation"]["signals"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|s| s["code"] == "tmux_server_gone")
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        gone.len(),
        1,
        "one tmux_server_gone signal in the last snapshot: {:#}",
        snapshot["escalation"]["signals"]
    );
    assert_eq!(gone[0]["severity"], "critical", "{:#}", gone[0]);
    assert_eq!(
        gone[0]["subject"],
        json!({"kind": "repository"}),
        "{:#}",
        gone[0]
    );
    let jobs = all_jobs(&live);
    assert!(!jobs.is_empty());
    for job in &jobs {
        assert!(Live::ended(job), "every job ended: {job:#}");
        let kind = job["end"]["kind"].as_str().unwrap_or("");
        assert!(
            kind == "signaled" || kind == "lost",
            "the job ended with the server (SIGHUP) or was lost: {job:#}"
        );
    }

    let (up, took) = live.run_within(&["up"], WAIT);
    let up = up.unwrap_or_else(|| panic!("`warden up` hung for {took:?}"));
    assert_eq!(up.code, 0, "warden up:\n{}\n{}", up.stdout, up.stderr);
    assert!(
        !up.stdout.contains("already running"),
        "a fresh start, not the old supervisor: {}",
        up.stdout
    );
    let fresh = live.supervisor_pid().expect("the new supervisor's pid");
    assert_ne!(fresh, supervisor, "a new supervisor");
    assert!(process_alive(fresh), "the new supervisor runs");
    let (status, took) = live.run_within(&["status", "--json"], Duration::from_secs(15));
    let status = status.unwrap_or_else(|| panic!("`warden status` hung for {took:?}"));
    assert_eq!(status.code, 0, "{}", status.stderr);
    let new_server = live.server_pid().expect("a tmux server answers");
    sweeper.server(new_server, &live.socket);
    assert_ne!(new_server, server, "a new tmux server");
}

/// With `.warden` unwritable no pane is made, since the register entry cannot be saved
/// first: dispatch stops with a critical `state_unwritable` naming the register and
/// the OS error, resumes by itself once saving works, and nothing ever runs twice, not
/// even across a supervisor restart.
#[test]
fn nothing_starts_while_the_register_cannot_be_saved() {
    let sweeper = Sweeper::default();
    let live = Live::new(BASE);
    sweeper.watch(&live);
    live.up(&[]);
    live.wait_for("a first snapshot", WAIT, |l| !l.snapshot().is_null());
    if let Some(server) = live.server_pid() {
        sweeper.server(server, &live.socket);
    }
    let frozen = Unwritable::new(&live.repo.path(".warden"));
    live.task("a", "status: ready\nfake: silent 30")
        .task("b", "status: ready\nfake: silent 30");

    // Until the signal shows, fail at once if anything starts.
    let started = |l: &Live| -> Option<String> {
        let panes: Vec<String> = job_panes(l).into_iter().map(|(j, _)| j).collect();
        let logs: Vec<&str> = ["a", "b"]
            .into_iter()
            .filter(|t| {
                l.repo
                    .path(&format!("tasks/logs/dispatch-{t}.log"))
                    .exists()
            })
            .collect();
        let agents: Vec<String> = processes_in(l.repo.root())
            .into_iter()
            .filter(|(_, cmd)| cmd.contains("fake-agent") || cmd.contains("run-worker"))
            .map(|(pid, cmd)| format!("{pid} {cmd}"))
            .collect();
        (!panes.is_empty() || !logs.is_empty() || !agents.is_empty()).then(|| {
            format!("panes tagged {panes:?}, dispatch logs {logs:?}, processes {agents:?}")
        })
    };
    live.wait_until(
        "a critical state_unwritable signal while .warden is unwritable",
        WAIT,
        |l| {
            if let Some(what) = started(l) {
                panic!("a worker was started while the register could not be saved: {what}");
            }
            signal(&l.snapshot(), "state_unwritable").is_some_and(|s| s["severity"] == "critical")
        },
    );
    let unwritable = signal(&live.snapshot(), "state_unwritable").expect("the signal");
    assert_eq!(
        unwritable["evidence"]["path"], ".warden/register.json",
        "{unwritable:#}"
    );
    let os_error = frozen.os_error();
    let text = format!(
        "{} {}",
        unwritable["evidence"]["detail"].as_str().unwrap_or(""),
        unwritable["message"].as_str().unwrap_or("")
    );
    assert!(
        text.contains(os_error),
        "the OS error ({os_error}) is in the signal: {unwritable:#}"
    );
    std::thread::sleep(Duration::from_secs(3)); // a few more heartbeats, still nothing
    if let Some(what) = started(&live) {
        panic!("a worker was started while the register could not be saved: {what}");
    }
    assert!(
        live.jobs("a").is_empty() && live.jobs("b").is_empty(),
        "{:#}",
        live.register()
    );

    frozen.undo();
    live.wait_for(
        "a and b to start once the register can be saved",
        WAIT,
        |l| {
            ["a", "b"].iter().all(|t| {
                l.jobs(t)
                    .first()
                    .is_some_and(|j| j["pane"].is_string() && j["pid"].is_u64())
            })
        },
    );
    live.wait_for("state_unwritable to clear", WAIT, |l| {
        !l.snapshot().is_null() && signal(&l.snapshot(), "state_unwritable").is_none()
    });
    for t in ["a", "b"] {
        assert_eq!(live.jobs(t).len(), 1, "{t} ran once: {:#?}", live.jobs(t));
    }

    let supervisor = live.supervisor_pid().expect("the supervisor's pid");
    send(supervisor, Signal::SIGKILL);
    live.wait_until("the supervisor to die", WAIT, |_| {
        !process_alive(supervisor)
    });
    live.up(&[]);
    std::thread::sleep(Duration::from_secs(3)); // a few heartbeats of the new supervisor
    for t in ["a", "b"] {
        assert_eq!(
            live.jobs(t).len(),
            1,
            "{t} still ran once after the restart: {:#?}",
            live.jobs(t)
        );
    }
    let alive: Vec<String> = job_panes(&live)
        .into_iter()
        .filter(|(_, dead)| !dead)
        .map(|(j, _)| j)
        .collect();
    assert_eq!(alive.len(), 2, "two live worker panes: {alive:?}");
}

/// `warden down --kill-workers` with the supervisor SIGSTOPped (the lock is held, the
/// socket never answers): it falls back to the lock's pid (SIGTERM, then SIGKILL after
/// `--timeout`), stops every recorded worker and removes the session.
///
/// The supervisor runs as this test's own child (`warden supervise`), not in the session's
/// window: tmux SIGCONTs a pane process the moment it stops, so a supervisor in a pane
/// cannot be kept stopped.
#[test]
fn down_kill_workers_stops_a_supervisor_that_does_not_answer() {
    let sweeper = Sweeper::default();
    let live = Live::new(BASE);
    sweeper.watch(&live);
    live.task("a", "status: ready\nfake: chatty")
        .task("b", "status: ready\nfake: chatty");
    let child = Child::supervise(&live);
    live.wait_for("two workers with pids", WAIT, |l| {
        ["a", "b"]
            .iter()
            .all(|t| l.jobs(t).first().is_some_and(|j| j["pid"].is_u64()))
    });
    let server = live.server_pid().expect("the tmux server's pid");
    sweeper.server(server, &live.socket);
    let panes = live.tmux(&["list-panes", "-s", "-F", "#{pane_pid}"]);
    let mut pids: Vec<i32> = String::from_utf8_lossy(&panes.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    pids.extend(["a", "b"].iter().map(|t| pid_of(&live.jobs(t)[0])));
    let supervisor = live.supervisor_pid().expect("the supervisor's pid");
    assert_eq!(supervisor, child.pid(), "the lock names our supervisor");
    pids.push(supervisor);

    let _stopped = Stopped::new(supervisor);
    let (down, took) = live.run_within(
        &["down", "--kill-workers", "--timeout", "2s"],
        Duration::from_secs(30),
    );
    let down =
        down.unwrap_or_else(|| panic!("`warden down --kill-workers` hung for {took:?} (killed)"));
    assert_eq!(
        down.code, 0,
        "`warden down --kill-workers` with a stopped supervisor (took {took:?}):\n{}\n{}",
        down.stdout, down.stderr
    );
    assert!(
        took <= Duration::from_secs(20),
        "`warden down --kill-workers` took {took:?}"
    );
    live.wait_until(
        "the supervisor, the agents and the panes to be gone",
        WAIT,
        |_| pids.iter().all(|p| !process_alive(*p)),
    );
    live.wait_until("the tmux server to be gone", WAIT, |_| {
        !process_alive(server)
    });
    assert!(!live.socket_file().exists(), "the socket file is removed");
}

/// `warden down` with the lock held but `.warden/warden.sock` deleted: it stops the
/// supervisor by the lock's pid; the worker keeps running and its job stays live.
#[test]
fn down_stops_a_supervisor_whose_control_socket_is_gone() {
    let sweeper = Sweeper::default();
    let (live, _) = up_with_one_silent_worker(&sweeper);
    let job = job_id(&live, "w");
    let supervisor = live.supervisor_pid().expect("the supervisor's pid");
    std::fs::remove_file(live.repo.path(".warden/warden.sock")).expect("delete warden.sock");

    // A request to a supervisor that holds the lock but cannot be reached has its own code.
    let dispatch = live.run(&["dispatch", "w"]);
    assert_eq!(
        dispatch.code, 10,
        "unreachable supervisor: {}",
        dispatch.stderr
    );
    assert!(
        dispatch
            .stderr
            .contains(&format!("the supervisor (pid {supervisor}) holds the lock")),
        "{}",
        dispatch.stderr
    );

    let (down, took) = live.run_within(&["down"], Duration::from_secs(30));
    let down = down.unwrap_or_else(|| panic!("`warden down` hung for {took:?} (killed)"));
    assert_eq!(
        down.code, 0,
        "`warden down` without a control socket:\n{}\n{}",
        down.stdout, down.stderr
    );
    live.wait_until("the supervisor to be gone", WAIT, |_| {
        !process_alive(supervisor)
    });
    let rows = job_panes(&live);
    assert!(
        rows.iter().any(|(j, dead)| *j == job && !dead),
        "the worker's pane is still alive: {rows:?}"
    );
    let w = &live.jobs("w")[0];
    assert!(!Live::ended(w), "the job did not end: {w:#}");
    assert!(process_alive(pid_of(w)), "the agent still runs");
}

// ---------------------------------------------------------------------------------------
// Helpers

/// `warden up` with one task, `w`, whose agent stays silent for a minute, once its agent
/// runs; the test's processes and its tmux server (whose pid is returned, when tmux gave
/// it) are left to `sweeper`, which the caller declared before.
fn up_with_one_silent_worker(sweeper: &Sweeper) -> (Live, Option<i32>) {
    let live = Live::new(BASE);
    sweeper.watch(&live);
    live.task("w", "status: ready\nfake: silent 60");
    live.up(&[]);
    live.wait_for("the worker to have a pid", WAIT, |l| {
        l.jobs("w").first().is_some_and(|j| j["pid"].is_u64())
    });
    let server = live.server_pid();
    if let Some(pid) = server {
        sweeper.server(pid, &live.socket);
    }
    (live, server)
}

/// The first signal with this code in a snapshot.
fn signal(snapshot: &Value, code: &str) -> Option<Value> {
    snapshot["escalation"]["signals"]
        .as_array()?
        .iter()
        .find(|s| s["code"] == code)
        .cloned()
}

fn generated_at(snapshot: &Value) -> Option<DateTime<Utc>> {
    snapshot["generated_at"].as_str()?.parse().ok()
}

fn all_jobs(live: &Live) -> Vec<Value> {
    live.register()["jobs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn job_id(live: &Live, task: &str) -> String {
    live.jobs(task)[0]["job"].as_str().expect("job").to_owned()
}

fn pid_of(job: &Value) -> i32 {
    job["pid"]
        .as_i64()
        .and_then(|p| i32::try_from(p).ok())
        .unwrap_or_else(|| panic!("a pid: {job:#}"))
}

/// `(job, dead)` for every pane of the session tagged `@warden_job` (none when tmux does not
/// answer within 5 s).
fn job_panes(live: &Live) -> Vec<(String, bool)> {
    let Some(out) = live.tmux_within(
        &["list-panes", "-s", "-F", "#{@warden_job}\t#{pane_dead}"],
        Duration::from_secs(5),
    ) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(job, _)| !job.is_empty())
        .map(|(job, dead)| (job.to_owned(), dead == "1"))
        .collect()
}
