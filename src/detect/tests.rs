//! Table tests for every signal code: each fires at its threshold and stays silent just below.

use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::signal::Subject;
use super::*;
use crate::config::Thresholds;
use crate::register::{JobEnd, JobRecord, Register};
use crate::task::{InvalidTask, Priority, Status, Task, TaskFields, plan};
use crate::worktree::WorktreeObservation;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn ago(secs: i64) -> DateTime<Utc> {
    now() - TimeDelta::seconds(secs)
}

fn task(id: &str, status: Status, mtime_ago: i64) -> Task {
    Task {
        fields: std::sync::Arc::new(TaskFields {
            id: id.to_owned(),
            title: id.to_owned(),
            status,
            priority: Priority::P2,
            milestone: None,
            owner: None,
            depends_on: Vec::new(),
            created_at: None,
            started_at: None,
            completed_at: None,
            completed_by: None,
        }),
        path: PathBuf::from(format!("tasks/{id}.md")),
        mtime: ago(mtime_ago),
    }
}

fn job(n: u32, task: &str, started_ago: i64) -> JobRecord {
    JobRecord {
        job: format!("j{n}"),
        task: task.to_owned(),
        attempt: n,
        argv: vec!["dispatch".to_owned(), task.to_owned()],
        worktree: None,
        pane: None,
        pid: None,
        started_at: ago(started_ago),
        ended_at: None,
        end: None,
        last_output_at: None,
        log_path: PathBuf::from(format!("tasks/logs/dispatch-{task}.log")),
        killed: false,
        stopped: false,
    }
}

fn ended(mut j: JobRecord, ended_ago: i64, end: JobEnd) -> JobRecord {
    j.ended_at = Some(ago(ended_ago));
    j.end = Some(end);
    j
}

fn exit(code: i32) -> JobEnd {
    JobEnd::Exited { code }
}

/// A world to run detection over.
#[derive(Default)]
struct World {
    tasks: Vec<Task>,
    invalid: Vec<InvalidTask>,
    jobs: Vec<JobRecord>,
    worktrees: WorktreeObservation,
    register_problem: Option<RegisterProblem>,
    max_workers: u32,
    holds: std::collections::BTreeMap<String, crate::dispatch::Hold>,
    runtime: RuntimeHealth,
}

impl World {
    fn tasks(tasks: Vec<Task>) -> Self {
        Self {
            tasks,
            max_workers: 2,
            ..Self::default()
        }
    }

    fn jobs(mut self, jobs: Vec<JobRecord>) -> Self {
        self.jobs = jobs;
        self
    }

    fn run(&self) -> Vec<Signal> {
        let thresholds = Thresholds::default();
        let register = Register {
            jobs: self.jobs.clone(),
            ..Register::default()
        };
        let plan = plan(&self.tasks, &register.activity());
        detect(&Observations {
            tasks: &self.tasks,
            invalid: &self.invalid,
            plan: &plan,
            register: self.register_problem.is_none().then_some(&register),
            register_problem: self.register_problem.as_ref(),
            worktrees: &self.worktrees,
            holds: &self.holds,
            max_workers: self.max_workers,
            thresholds: &thresholds,
            runtime: &self.runtime,
            now: now(),
        })
    }

    fn codes(&self, code: SignalCode) -> Vec<Signal> {
        self.run().into_iter().filter(|s| s.code == code).collect()
    }
}

/// Checks a table of (case name, world, expected count of `code`).
fn table(code: SignalCode, cases: Vec<(&str, World, usize)>) {
    for (name, world, want) in cases {
        let got = world.codes(code);
        assert_eq!(got.len(), want, "{code} / {name}: {got:#?}");
        for s in &got {
            assert_eq!(s.severity, code.severity(), "{name}");
            assert!(!s.message.is_empty(), "{name}");
        }
    }
}

const HOUR: i64 = 3600;

#[test]
fn dispatch_failed() {
    let t = || vec![task("t", Status::Ready, HOUR)];
    table(
        SignalCode::DispatchFailed,
        vec![
            (
                "exit 1 fires",
                World::tasks(t()).jobs(vec![ended(job(1, "t", 60), 30, exit(1))]),
                1,
            ),
            (
                "exit 0 is silent",
                World::tasks(t()).jobs(vec![ended(job(1, "t", 60), 30, exit(0))]),
                0,
            ),
            (
                "live retry hides the old failure",
                World::tasks(t()).jobs(vec![ended(job(1, "t", 90), 60, exit(3)), job(2, "t", 10)]),
                0,
            ),
            (
                "completed task is left alone",
                World::tasks(vec![task("t", Status::Completed, 0)]).jobs(vec![ended(
                    job(1, "t", 60),
                    30,
                    exit(1),
                )]),
                0,
            ),
            (
                "a signal is not a failure code",
                World::tasks(t()).jobs(vec![ended(
                    job(1, "t", 60),
                    30,
                    JobEnd::Signaled {
                        signal: "SIGKILL".into(),
                    },
                )]),
                0,
            ),
        ],
    );
    let s = &World::tasks(t())
        .jobs(vec![ended(job(1, "t", 60), 30, exit(127))])
        .codes(SignalCode::DispatchFailed)[0];
    assert_eq!(s.evidence.exit_code, Some(127));
    assert_eq!(s.since, ago(30));
    assert_eq!(s.subject, Subject::Task("t".into()));
}

#[test]
fn dispatch_interrupted() {
    let t = || vec![task("t", Status::Ready, HOUR)];
    let sig = |name: &str| JobEnd::Signaled {
        signal: name.into(),
    };
    table(
        SignalCode::DispatchInterrupted,
        vec![
            (
                "SIGKILL fires",
                World::tasks(t()).jobs(vec![ended(job(1, "t", 60), 30, sig("SIGKILL"))]),
                1,
            ),
            (
                "lost fires",
                World::tasks(t()).jobs(vec![ended(
                    job(1, "t", 60),
                    30,
                    JobEnd::Lost {
                        reason: "pane gone".into(),
                    },
                )]),
                1,
            ),
            (
                "exit 0 is silent",
                World::tasks(t()).jobs(vec![ended(job(1, "t", 60), 30, exit(0))]),
                0,
            ),
            (
                "later success clears it",
                World::tasks(t()).jobs(vec![
                    ended(job(1, "t", 90), 80, sig("SIGTERM")),
                    ended(job(2, "t", 60), 30, exit(0)),
                ]),
                0,
            ),
        ],
    );
    let s = &World::tasks(t())
        .jobs(vec![ended(job(1, "t", 60), 30, sig("SIGSEGV"))])
        .codes(SignalCode::DispatchInterrupted)[0];
    assert_eq!(s.evidence.signal.as_deref(), Some("SIGSEGV"));
}

#[test]
fn operator_kills_are_not_trouble() {
    let killed = |n: u32, ended_ago: i64| {
        let mut j = ended(
            job(n, "t", ended_ago + 10),
            ended_ago,
            JobEnd::Signaled {
                signal: "SIGTERM".into(),
            },
        );
        j.killed = true;
        j
    };
    let w = World::tasks(vec![task("t", Status::Ready, HOUR)]).jobs(vec![
        killed(1, 300),
        killed(2, 200),
        killed(3, 100),
    ]);
    assert!(w.codes(SignalCode::DispatchInterrupted).is_empty());
    assert!(w.codes(SignalCode::RepeatedFailure).is_empty());
    let mut stopped = ended(
        job(4, "u", 50),
        40,
        JobEnd::Signaled {
            signal: "SIGTERM".into(),
        },
    );
    stopped.stopped = true;
    let down = World::tasks(vec![task("u", Status::Ready, HOUR)]).jobs(vec![stopped]);
    assert!(
        down.codes(SignalCode::DispatchInterrupted).is_empty(),
        "warden down --kill-workers is not trouble either"
    );
}

#[test]
fn dispatch_stalled() {
    let stall = Thresholds::default().stall_after.as_secs() as i64;
    let live = |silent: i64| {
        let mut j = job(1, "t", 5 * HOUR);
        j.last_output_at = Some(ago(silent));
        World::tasks(vec![task("t", Status::InProgress, 0)]).jobs(vec![j])
    };
    table(
        SignalCode::DispatchStalled,
        vec![
            ("at the threshold", live(stall), 1),
            ("just below", live(stall - 1), 0),
            (
                "no output yet counts from start",
                World::tasks(vec![task("t", Status::InProgress, 0)]).jobs(vec![job(1, "t", stall)]),
                1,
            ),
            (
                "no output, started just now",
                World::tasks(vec![task("t", Status::InProgress, 0)]).jobs(vec![job(
                    1,
                    "t",
                    stall - 1,
                )]),
                0,
            ),
            (
                "ended jobs never stall",
                World::tasks(vec![task("t", Status::Ready, 0)]).jobs(vec![ended(
                    job(1, "t", 5 * HOUR),
                    4 * HOUR,
                    exit(0),
                )]),
                0,
            ),
        ],
    );
    let s = &live(stall + 5).codes(SignalCode::DispatchStalled)[0];
    assert_eq!(s.subject, Subject::Worker("j1".into()));
    assert_eq!(s.task.as_deref(), Some("t"));
    assert_eq!(s.evidence.measured, Some((stall + 5) as u64));
    assert_eq!(s.since, ago(stall + 5));
}

#[test]
fn repeated_failure() {
    let th = Thresholds::default();
    let window = th.repeated_failure_window.as_secs() as i64;
    let n = th.repeated_failure_count;
    let fails = |count: u32, oldest_ago: i64| {
        let jobs = (1..=count)
            .map(|i| {
                let end_ago = if i == 1 {
                    oldest_ago
                } else {
                    10 * i64::from(count - i + 1)
                };
                ended(job(i, "t", end_ago + 5), end_ago, exit(1))
            })
            .collect();
        World::tasks(vec![task("t", Status::Ready, 3 * window)]).jobs(jobs)
    };
    table(
        SignalCode::RepeatedFailure,
        vec![
            ("N failures in the window", fails(n, 100), 1),
            ("N-1 failures", fails(n - 1, 100), 0),
            (
                "oldest failure just inside the window",
                fails(n, window - 1),
                1,
            ),
            (
                "oldest failure exactly a window ago falls out",
                fails(n, window),
                0,
            ),
        ],
    );
    let s = &fails(n, 100).codes(SignalCode::RepeatedFailure)[0];
    assert_eq!(s.evidence.related.len(), n as usize);
    assert_eq!(s.severity, Severity::Critical);
}

#[test]
fn stuck_in_progress() {
    let stuck = Thresholds::default().stuck_after.as_secs() as i64;
    let started = |started_ago: i64, mtime_ago: i64| {
        let mut t = task("t", Status::InProgress, mtime_ago);
        std::sync::Arc::make_mut(&mut t.fields).started_at = Some(ago(started_ago));
        World::tasks(vec![t])
    };
    let with_output = |output_ago: i64| {
        let mut j = job(1, "t", 10 * HOUR);
        j.last_output_at = Some(ago(output_ago));
        started(10 * HOUR, 10 * HOUR).jobs(vec![j])
    };
    table(
        SignalCode::StuckInProgress,
        vec![
            (
                "started and untouched past the threshold",
                started(stuck, stuck),
                1,
            ),
            ("just below", started(stuck - 1, stuck + 100), 0),
            (
                "a recent edit is activity",
                started(10 * HOUR, stuck - 1),
                0,
            ),
            (
                "no started_at: mtime alone",
                World::tasks(vec![task("t", Status::InProgress, stuck)]),
                1,
            ),
            ("worker output is activity", with_output(stuck - 1), 0),
            ("old worker output", with_output(stuck), 1),
            (
                "ready tasks are never stuck",
                World::tasks(vec![task("t", Status::Ready, 10 * stuck)]),
                0,
            ),
        ],
    );
}

#[test]
fn pickup_overdue() {
    let due = Thresholds::default().pickup_overdue_after.as_secs() as i64;
    let busy = |w: World| {
        // Keep the workers full so only pickup_overdue is in play.
        let mut w = w.jobs(vec![job(1, "x", 1), job(2, "y", 1)]);
        w.tasks.push(task("x", Status::InProgress, 0));
        w.tasks.push(task("y", Status::InProgress, 0));
        w
    };
    let mut blocked = task("blocked", Status::Ready, 10 * due);
    std::sync::Arc::make_mut(&mut blocked.fields).depends_on = vec!["x".into()];
    table(
        SignalCode::PickupOverdue,
        vec![
            (
                "waited exactly the threshold",
                busy(World::tasks(vec![task("t", Status::Ready, due)])),
                1,
            ),
            (
                "just below",
                busy(World::tasks(vec![task("t", Status::Ready, due - 1)])),
                0,
            ),
            (
                "not dispatchable is not overdue",
                busy(World::tasks(vec![blocked])),
                0,
            ),
            (
                "backlog is not overdue",
                busy(World::tasks(vec![task("t", Status::Backlog, 10 * due)])),
                0,
            ),
        ],
    );
}

#[test]
fn worker_idle() {
    let idle = Thresholds::default().worker_idle_after.as_secs() as i64;
    let queued = |ready_ago: i64| World::tasks(vec![task("t", Status::Ready, ready_ago)]);
    let mut full = queued(10 * idle).jobs(vec![job(1, "a", 10), job(2, "b", 10)]);
    full.tasks.push(task("a", Status::InProgress, 0));
    full.tasks.push(task("b", Status::InProgress, 0));
    table(
        SignalCode::WorkerIdle,
        vec![
            (
                "queue waited the threshold with free slots",
                queued(idle),
                1,
            ),
            ("just below", queued(idle - 1), 0),
            (
                "a worker finished recently",
                queued(10 * idle).jobs(vec![ended(job(1, "z", 2 * idle), idle - 1, exit(0))]),
                0,
            ),
            (
                "a worker finished long enough ago",
                queued(10 * idle).jobs(vec![ended(job(1, "z", 2 * idle), idle, exit(0))]),
                1,
            ),
            ("no free slot", full, 0),
            (
                "empty queue",
                World::tasks(vec![task("t", Status::Backlog, 10 * idle)]),
                0,
            ),
        ],
    );
    let s = &queued(idle).codes(SignalCode::WorkerIdle)[0];
    assert_eq!(s.subject, Subject::Repository);
    assert_eq!(s.severity, Severity::Info);
}

#[test]
fn dispatch_gave_up() {
    let gave_up = |status: Status| {
        let mut w = World::tasks(vec![task("t", status, HOUR)]).jobs(
            (1..=3)
                .map(|i| {
                    ended(
                        job(i, "t", 100 * i64::from(4 - i)),
                        90 * i64::from(4 - i),
                        exit(1),
                    )
                })
                .collect(),
        );
        w.holds
            .insert("t".into(), crate::dispatch::Hold::GaveUp { attempts: 3 });
        w
    };
    table(
        SignalCode::DispatchGaveUp,
        vec![
            ("the policy gave up", gave_up(Status::Ready), 1),
            ("done meanwhile", gave_up(Status::Completed), 0),
            (
                "no hold",
                World::tasks(vec![task("t", Status::Ready, HOUR)]),
                0,
            ),
        ],
    );
    let s = &gave_up(Status::Ready).codes(SignalCode::DispatchGaveUp)[0];
    assert_eq!(s.evidence.job.as_deref(), Some("j3"));
    assert!(s.message.contains("warden retry t"), "{}", s.message);
}

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
            // 4. live worker, task not active
            (
                "task completed past grace",
                World::tasks(vec![task("t", Status::Completed, grace)])
                    .jobs(vec![job(1, "t", HOUR)]),
                1,
            ),
            (
                "task completed within grace",
                World::tasks(vec![task("t", Status::Completed, grace - 1)])
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
