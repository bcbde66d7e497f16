use super::*;

fn now() -> DateTime<Utc> {
    crate::clock::test_now()
}

fn job(id: &str, pane: Option<&str>, started_ago: i64) -> JobRecord {
    JobRecord {
        pane: pane.map(str::to_owned),
        ..crate::register::testing::job(id, "t", 1, now() - TimeDelta::seconds(started_ago))
    }
}

fn pane(
    id: &str,
    job: Option<&str>,
    dead: bool,
    status: Option<i32>,
    signal: Option<i32>,
) -> PaneRow {
    PaneRow {
        pane_id: id.into(),
        pane_pid: Some(10),
        dead,
        dead_status: status,
        dead_signal: signal,
        window_id: "@1".into(),
        job: job.map(str::to_owned),
        window_name: "w".into(),
    }
}

fn record(id: &str, pid: Option<u32>, end: Option<JobEnd>) -> WorkerRecord {
    WorkerRecord {
        format_version: 1,
        job: id.into(),
        pid,
        wrapper_pid: None,
        started_at: now(),
        ended_at: end.as_ref().map(|_| now() - TimeDelta::seconds(3)),
        end,
    }
}

struct World {
    panes: Option<Vec<PaneRow>>,
    records: Vec<WorkerRecord>,
    logs: Vec<(&'static str, i64)>,
    missing: Vec<(&'static str, i64)>,
    server_gone: bool,
}

impl World {
    fn panes(panes: Vec<PaneRow>) -> Self {
        Self {
            panes: Some(panes),
            records: vec![],
            logs: vec![],
            missing: vec![],
            server_gone: false,
        }
    }

    fn unknown() -> Self {
        Self {
            panes: None,
            ..Self::panes(vec![])
        }
    }

    fn run(&self, jobs: &[JobRecord]) -> Reconciled {
        let records = self
            .records
            .iter()
            .map(|r| (r.job.clone(), r.clone()))
            .collect();
        let ago = |(j, s): &(&str, i64)| ((*j).to_owned(), now() - TimeDelta::seconds(*s));
        let log_mtimes = self.logs.iter().map(ago).collect();
        let missing_since = self.missing.iter().map(ago).collect();
        reconcile(
            jobs,
            &Facts {
                panes: self.panes.as_deref(),
                records: &records,
                log_mtimes: &log_mtimes,
                missing_since: &missing_since,
                server_gone: self.server_gone,
                now: now(),
            },
        )
    }
}

#[test]
fn the_record_wins_over_tmux() {
    let mut w = World::panes(vec![pane("%1", Some("j1"), true, Some(0), None)]);
    w.records = vec![record("j1", Some(5), Some(JobEnd::Exited { code: 3 }))];
    assert_eq!(
        w.run(&[job("j1", Some("%1"), 60)]).updates,
        [JobUpdate::Ended {
            job: "j1".into(),
            end: JobEnd::Exited { code: 3 },
            ended_at: now() - TimeDelta::seconds(3)
        }]
    );
}

#[test]
fn tmux_status_is_the_fallback_and_dead_without_status_nudges() {
    let r = World::panes(vec![pane("%1", Some("j1"), true, None, Some(9))]).run(&[job(
        "j1",
        Some("%1"),
        60,
    )]);
    assert!(
        matches!(&r.updates[0], JobUpdate::Ended { end: JobEnd::Signaled { signal }, .. } if signal == "SIGKILL")
    );
    let r = World::panes(vec![pane("%1", Some("j1"), true, None, None)]).run(&[job(
        "j1",
        Some("%1"),
        60,
    )]);
    assert!(r.updates.is_empty());
    assert!(r.nudge);
}

#[test]
fn alive_jobs_report_pid_pane_and_output() {
    let mut w = World::panes(vec![pane("%4", Some("j1"), false, None, None)]);
    w.records = vec![record("j1", Some(77), None)];
    w.logs = vec![("j1", 5)];
    assert_eq!(
        w.run(&[job("j1", None, 60)]).updates,
        [
            JobUpdate::Started {
                job: "j1".into(),
                pid: 77
            },
            JobUpdate::Adopted {
                job: "j1".into(),
                pane: "%4".into()
            },
            JobUpdate::Output {
                job: "j1".into(),
                at: now() - TimeDelta::seconds(5)
            },
        ]
    );
}

#[test]
fn a_missing_pane_is_lost_only_after_it_stayed_missing() {
    let jobs = [job("j1", Some("%1"), 600)];
    let first = World::panes(vec![]).run(&jobs);
    assert!(first.updates.is_empty(), "just noticed: {first:?}");
    assert_eq!(first.missing_since["j1"], now());
    let mut w = World::panes(vec![]);
    w.missing = vec![("j1", LOST_AFTER.num_seconds() - 1)];
    assert!(w.run(&jobs).updates.is_empty(), "just below the grace");
    w.missing = vec![("j1", LOST_AFTER.num_seconds())];
    assert!(matches!(
        &w.run(&jobs).updates[..],
        [JobUpdate::Ended { end: JobEnd::Lost { reason }, .. }] if reason.starts_with("its pane is gone")
    ));
    // Seen again: no longer missing.
    let mut w = World::panes(vec![pane("%1", Some("j1"), false, None, None)]);
    w.missing = vec![("j1", 3)];
    assert!(w.run(&jobs).missing_since.is_empty());
}

#[test]
fn unanswered_tmux_is_unknown_never_gone() {
    // Bug 1: a failed `list-panes` once read as "no panes" and every job older than 10 s
    // became lost, then ran again while its agent still worked.
    let jobs = [job("j1", Some("%1"), 3600), job("j2", None, 3600)];
    let mut w = World::unknown();
    w.missing = vec![("j1", 3600)];
    let r = w.run(&jobs);
    assert!(r.updates.is_empty(), "nothing judged: {r:?}");
    assert_eq!(r.missing_since.len(), 1, "what was missing stays missing");
    // Records still settle jobs while tmux is unknown: exits that happen meanwhile.
    w.records = vec![record("j1", Some(5), Some(JobEnd::Exited { code: 0 }))];
    assert!(matches!(
        &w.run(&jobs).updates[..],
        [JobUpdate::Ended { job, end: JobEnd::Exited { code: 0 }, .. }] if job == "j1"
    ));
}

#[test]
fn a_launch_whose_pane_never_came_did_not_start() {
    let r = World::panes(vec![]).run(&[job("j1", None, 1)]);
    assert!(matches!(
        &r.updates[..],
        [JobUpdate::Ended {
            end: JobEnd::NotStarted { .. },
            ..
        }]
    ));
    // A started record without a pane ran: it can be lost, never "not started".
    let mut w = World::panes(vec![]);
    w.records = vec![record("j1", Some(9), None)];
    let r = w.run(&[job("j1", None, 1)]);
    assert!(
        !r.updates
            .iter()
            .any(|u| matches!(u, JobUpdate::Ended { .. })),
        "{r:?}"
    );
}

#[test]
fn a_gone_server_names_itself_in_the_lost_reason() {
    let mut w = World::panes(vec![]);
    w.server_gone = true;
    w.missing = vec![("j1", 60)];
    assert!(matches!(
        &w.run(&[job("j1", Some("%1"), 600)]).updates[..],
        [JobUpdate::Ended { end: JobEnd::Lost { reason }, .. }] if reason.starts_with("the tmux server is gone")
    ));
}

#[test]
fn a_wrapper_still_waiting_long_after_its_launch_is_released_again() {
    let live = [pane("%1", Some("j1"), false, None, None)];
    let young = World::panes(live.to_vec()).run(&[job(
        "j1",
        Some("%1"),
        RELEASE_AGAIN_AFTER.num_seconds() - 1,
    )]);
    assert!(young.updates.is_empty(), "{young:?}");
    let old = World::panes(live.to_vec()).run(&[job(
        "j1",
        Some("%1"),
        RELEASE_AGAIN_AFTER.num_seconds(),
    )]);
    assert_eq!(old.updates, [JobUpdate::Release { job: "j1".into() }]);
    // Its agent started: nothing to release.
    let mut w = World::panes(live.to_vec());
    w.records = vec![record("j1", Some(5), None)];
    let started = w.run(&[job("j1", Some("%1"), 600)]);
    assert!(
        !started
            .updates
            .iter()
            .any(|u| matches!(u, JobUpdate::Release { .. })),
        "{started:?}"
    );
}

/// A job shorter than the time between two looks: its log is read once more as it ends,
/// so its last output is not the header's time. The wrapper's closing line (written after
/// the end) does not count.
#[test]
fn an_ending_job_reads_its_log_time_once_more() {
    // The header was seen 50 s ago; the log grew since, then the job ended 3 s ago.
    let header = now() - TimeDelta::seconds(50);
    let seen = JobRecord {
        last_output_at: Some(header),
        ..job("j1", Some("%1"), 60)
    };
    let mut w = World::panes(vec![pane("%1", Some("j1"), true, Some(0), None)]);
    w.records = vec![record("j1", Some(5), Some(JobEnd::Exited { code: 0 }))];
    w.logs = vec![("j1", 10)];
    let ended = JobUpdate::Ended {
        job: "j1".into(),
        end: JobEnd::Exited { code: 0 },
        ended_at: now() - TimeDelta::seconds(3),
    };
    assert_eq!(
        w.run(std::slice::from_ref(&seen)).updates,
        [
            JobUpdate::Output {
                job: "j1".into(),
                at: now() - TimeDelta::seconds(10)
            },
            ended.clone(),
        ]
    );
    // Written after the end (the wrapper's closing line): the end's time, no later.
    w.logs = vec![("j1", 1)];
    assert_eq!(
        w.run(std::slice::from_ref(&seen)).updates,
        [
            JobUpdate::Output {
                job: "j1".into(),
                at: now() - TimeDelta::seconds(3)
            },
            ended.clone(),
        ]
    );
    // Nothing newer than what was seen: no update. Same through tmux's fallback.
    w.logs = vec![("j1", 55)];
    assert_eq!(w.run(std::slice::from_ref(&seen)).updates, [ended]);
    w.records = vec![];
    w.logs = vec![("j1", 10)];
    assert!(matches!(
        &w.run(std::slice::from_ref(&seen)).updates[..],
        [JobUpdate::Output { at, .. }, JobUpdate::Ended { .. }] if *at == now() - TimeDelta::seconds(10)
    ));
}
