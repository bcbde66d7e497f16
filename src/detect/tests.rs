//! Table tests for the job signals: each fires at its threshold and stays silent just below.

use super::signal::Subject;
use super::testing::*;
use super::*;
use crate::config::Thresholds;
use crate::register::JobEnd;
use crate::task::Status;

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
