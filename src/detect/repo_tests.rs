//! Table tests for the signals about tasks, the register and the runtime, and the rules
//! every code follows (a stable name, a table test, the order of the output).

use std::path::PathBuf;

use super::signal::Subject;
use super::testing::*;
use super::*;
use crate::config::Thresholds;
use crate::register::JobEnd;
use crate::task::{InvalidTask, Status};

#[test]
fn task_invalid() {
    let mut w = World::tasks(vec![task("ok", Status::Ready, 0)]);
    w.invalid.push(InvalidTask {
        path: PathBuf::from("tasks/bad.md"),
        line: Some(3),
        message: "unknown status \"nope\"".into(),
        mtime: ago(10),
    });
    table(
        SignalCode::TaskInvalid,
        vec![
            ("one bad file", w, 1),
            (
                "no bad files",
                World::tasks(vec![task("ok", Status::Ready, 0)]),
                0,
            ),
        ],
    );
}

#[test]
fn task_invalid_carries_path_and_line() {
    let mut w = World::tasks(Vec::new());
    w.invalid.push(InvalidTask {
        path: PathBuf::from("tasks/bad.md"),
        line: Some(3),
        message: "unknown status".into(),
        mtime: ago(10),
    });
    let s = &w.codes(SignalCode::TaskInvalid)[0];
    assert_eq!(s.subject, Subject::File("tasks/bad.md".into()));
    assert_eq!(s.evidence.line, Some(3));
    assert!(s.message.starts_with("tasks/bad.md:3: "), "{}", s.message);
}

#[test]
fn dependency_missing_and_cycle() {
    let dep = |id: &str, deps: &[&str], status: Status| {
        let mut t = task(id, status, 0);
        std::sync::Arc::make_mut(&mut t.fields).depends_on =
            deps.iter().map(|d| (*d).to_owned()).collect();
        t
    };
    table(
        SignalCode::DependencyMissing,
        vec![
            (
                "missing id",
                World::tasks(vec![dep("a", &["ghost"], Status::Ready)]),
                1,
            ),
            (
                "present id",
                World::tasks(vec![
                    dep("a", &["b"], Status::Ready),
                    task("b", Status::Ready, 0),
                ]),
                0,
            ),
            (
                "a cancelled dependency can never complete",
                World::tasks(vec![
                    dep("a", &["b"], Status::Ready),
                    task("b", Status::Cancelled, 0),
                ]),
                1,
            ),
            (
                "terminal tasks are left alone",
                World::tasks(vec![dep("a", &["ghost"], Status::Completed)]),
                0,
            ),
        ],
    );
    table(
        SignalCode::DependencyCycle,
        vec![
            (
                "two-task cycle: both flagged",
                World::tasks(vec![
                    dep("a", &["b"], Status::Ready),
                    dep("b", &["a"], Status::Ready),
                ]),
                2,
            ),
            (
                "chain, no cycle",
                World::tasks(vec![
                    dep("a", &["b"], Status::Ready),
                    task("b", Status::Ready, 0),
                ]),
                0,
            ),
        ],
    );
}

#[test]
fn register_corrupt() {
    let mut w = World::tasks(vec![task("t", Status::Ready, 0)]);
    w.register_problem = Some(RegisterProblem {
        path: PathBuf::from(".warden/register.json"),
        line: Some(3),
        message: "expected value".into(),
        since: ago(5),
    });
    table(
        SignalCode::RegisterCorrupt,
        vec![
            ("unreadable register", w, 1),
            (
                "readable register",
                World::tasks(vec![task("t", Status::Ready, 0)]),
                0,
            ),
        ],
    );
}

#[test]
fn register_mismatch() {
    let grace = Thresholds::default().mismatch_grace.as_secs() as i64;
    let in_wt = |started_ago: i64| {
        let mut j = job(1, "t", started_ago);
        j.worktree = Some(PathBuf::from(".worktrees/t"));
        j
    };
    let with_disk = |w: World, dirs: &[&str]| {
        let mut w = w;
        w.worktrees.on_disk = dirs.iter().map(PathBuf::from).collect();
        w
    };
    let ip = || vec![task("t", Status::InProgress, HOUR)];
    let stray = |made_ago: i64| {
        let mut w = with_disk(World::tasks(vec![]), &[".worktrees/stray"]);
        w.worktrees
            .made_at
            .insert(PathBuf::from(".worktrees/stray"), ago(made_ago));
        w
    };
    table(
        SignalCode::RegisterMismatch,
        vec![
            // 1. live job without its worktree
            (
                "worktree missing past grace",
                World::tasks(ip()).jobs(vec![in_wt(grace)]),
                1,
            ),
            (
                "worktree missing within grace",
                World::tasks(ip()).jobs(vec![in_wt(grace - 1)]),
                0,
            ),
            (
                "worktree present",
                with_disk(
                    World::tasks(ip()).jobs(vec![in_wt(HOUR)]),
                    &[".worktrees/t"],
                ),
                0,
            ),
            // 2. worktree without an entry
            ("stray worktree past grace", stray(grace), 1),
            ("stray worktree within grace", stray(grace - 1), 0),
            // 3. in progress, worker ended
            (
                "ended past grace",
                World::tasks(ip()).jobs(vec![ended(job(1, "t", HOUR), grace, exit(0))]),
                1,
            ),
            (
                "ended within grace",
                World::tasks(ip()).jobs(vec![ended(job(1, "t", HOUR), grace - 1, exit(0))]),
                0,
            ),
            ("never dispatched by warden", World::tasks(ip()), 0),
            // 4. live worker, task gone or in the backlog (completed: `task_ineligible`)
            (
                "task in the backlog past grace",
                World::tasks(vec![task("t", Status::Backlog, grace)]).jobs(vec![job(1, "t", HOUR)]),
                1,
            ),
            (
                "task in the backlog within grace",
                World::tasks(vec![task("t", Status::Backlog, grace - 1)])
                    .jobs(vec![job(1, "t", HOUR)]),
                0,
            ),
            (
                "task completed past grace: task_ineligible says it",
                World::tasks(vec![task("t", Status::Completed, grace)])
                    .jobs(vec![job(1, "t", HOUR)]),
                0,
            ),
            (
                "task missing",
                World::tasks(vec![]).jobs(vec![job(1, "t", grace)]),
                1,
            ),
            (
                "task ready (dispatch does not edit files)",
                World::tasks(vec![task("t", Status::Ready, HOUR)]).jobs(vec![job(1, "t", HOUR)]),
                0,
            ),
        ],
    );
}

#[test]
fn every_code_has_a_table_test_and_a_stable_name() {
    // The snapshot format depends on these spellings; a rename must be deliberate.
    let names: Vec<&str> = SignalCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "dispatch_failed",
            "dispatch_interrupted",
            "dispatch_stalled",
            "repeated_failure",
            "dispatch_gave_up",
            "stuck_in_progress",
            "worker_idle",
            "pickup_overdue",
            "register_mismatch",
            "register_corrupt",
            "task_invalid",
            "dependency_missing",
            "dependency_cycle",
            "launch_failed",
            "tmux_unreachable",
            "tmux_server_gone",
            "state_unwritable",
            "agent_waiting_input",
            "agent_idle",
            "dispatch_unconfirmed",
            "agent_error",
            "awaiting_review",
            "task_ineligible",
            "job_overtime",
            "agent_rate_limited",
            "budget_exceeded",
        ]
    );
    for code in SignalCode::ALL {
        assert_eq!(serde_json::to_value(code).expect("encode"), code.as_str());
    }
}

#[test]
fn output_is_sorted_by_severity_then_code() {
    let mut w = World::tasks(vec![task("t", Status::Ready, 10 * HOUR)]);
    w.jobs = (1..=3)
        .map(|i| ended(job(i, "t", 100 + i64::from(i)), 100 - i64::from(i), exit(1)))
        .collect();
    let signals = w.run();
    let sev: Vec<Severity> = signals.iter().map(|s| s.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(sev, sorted);
    assert_eq!(signals[0].code, SignalCode::RepeatedFailure);
}

#[test]
fn tmux_unreachable_fires_after_its_threshold() {
    let after = Thresholds::default().tmux_unreachable_after.as_secs() as i64;
    let failing = |ago_secs: i64| World {
        runtime: RuntimeHealth {
            tmux_failing: Some(Trouble {
                since: ago(ago_secs),
                error: "failed to run tmux list-panes: no answer within 2s".into(),
            }),
            ..RuntimeHealth::default()
        },
        ..World::tasks(vec![])
    };
    table(
        SignalCode::TmuxUnreachable,
        vec![
            ("answering", World::tasks(vec![]), 0),
            ("failing just below", failing(after - 1), 0),
            ("failing at the threshold", failing(after), 1),
        ],
    );
    let s = &failing(after).codes(SignalCode::TmuxUnreachable)[0];
    assert_eq!(s.subject, Subject::Repository);
    assert_eq!(
        s.evidence.detail.as_deref(),
        Some("failed to run tmux list-panes: no answer within 2s")
    );
    assert_eq!(s.since, ago(after));
}

#[test]
fn a_gone_server_is_one_signal_not_two() {
    let trouble = Some(Trouble {
        since: ago(60),
        error: "server pid 42 no longer exists".into(),
    });
    let world = World {
        runtime: RuntimeHealth {
            tmux_failing: trouble.clone(),
            tmux_gone: trouble,
            ..RuntimeHealth::default()
        },
        ..World::tasks(vec![])
    };
    let codes: Vec<SignalCode> = world.run().iter().map(|s| s.code).collect();
    assert_eq!(codes, [SignalCode::TmuxServerGone]);
}

#[test]
fn state_unwritable_names_the_file_and_the_error() {
    let world = World {
        runtime: RuntimeHealth {
            unwritable: Some(Unwritable {
                path: PathBuf::from(".warden/register.json"),
                since: ago(1),
                error: "Operation not permitted (os error 1)".into(),
            }),
            ..RuntimeHealth::default()
        },
        ..World::tasks(vec![])
    };
    table(
        SignalCode::StateUnwritable,
        vec![
            ("writable", World::tasks(vec![]), 0),
            ("unwritable", world, 1),
        ],
    );
}

#[test]
fn launch_failed_is_not_a_dispatch_failure() {
    let t = || vec![task("t", Status::Ready, HOUR)];
    let not_started = || JobEnd::NotStarted {
        reason: "failed to open log tasks/logs/dispatch-t.log: No space left on device".into(),
    };
    table(
        SignalCode::LaunchFailed,
        vec![
            (
                "the newest launch never started",
                World::tasks(t()).jobs(vec![ended(job(1, "t", 60), 60, not_started())]),
                1,
            ),
            (
                "a later attempt started",
                World::tasks(t()).jobs(vec![
                    ended(job(1, "t", 60), 60, not_started()),
                    job(1, "t", 30),
                ]),
                0,
            ),
        ],
    );
    let world = World::tasks(t()).jobs(vec![ended(job(1, "t", 60), 60, not_started())]);
    assert!(world.codes(SignalCode::DispatchFailed).is_empty());
    assert!(world.codes(SignalCode::RepeatedFailure).is_empty());
}
