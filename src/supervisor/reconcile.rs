//! Reconciling the register's live jobs with what the wrappers recorded and what tmux shows.
//! Pure: the facts in, updates out. The wrapper's record is the truth; tmux's pane status is
//! a fallback (for a wrapper that was itself killed), and tmux 3.3a's "dead without a status"
//! means the server has not reaped the pane yet and needs a SIGCHLD nudge.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::register::{JobEnd, JobRecord};
use crate::tmux::PaneRow;
use crate::worker::{WorkerRecord, signal_name};

/// What changed about one live job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JobUpdate {
    /// The job ended.
    Ended {
        job: String,
        end: JobEnd,
        ended_at: DateTime<Utc>,
    },
    /// The wrapper started the child; its pid.
    Started { job: String, pid: u32 },
    /// The pane is known (a re-adopted job whose pane id the register missed).
    Pane { job: String, pane: String },
    /// New output since the last look.
    Output { job: String, at: DateTime<Utc> },
}

/// The facts for one reconcile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'a> {
    pub(crate) panes: &'a [PaneRow],
    pub(crate) records: &'a BTreeMap<String, WorkerRecord>,
    /// Each live job's log mtime.
    pub(crate) log_mtimes: &'a BTreeMap<String, DateTime<Utc>>,
    pub(crate) now: DateTime<Utc>,
}

/// The outcome: updates, and whether tmux needs a SIGCHLD to report a dead pane's status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reconciled {
    pub(crate) updates: Vec<JobUpdate>,
    pub(crate) nudge: bool,
}

/// How long a job may have neither a pane nor a record before it counts as lost: launch
/// writes the register entry just before it creates the pane.
const LOST_AFTER: TimeDelta = TimeDelta::seconds(10);

pub(crate) fn reconcile<'a>(
    live: impl IntoIterator<Item = &'a JobRecord>,
    facts: &Facts<'_>,
) -> Reconciled {
    let mut out = Reconciled::default();
    for job in live {
        let record = facts.records.get(&job.job);
        if let Some(rec) = record
            && let (Some(end), Some(ended_at)) = (&rec.end, rec.ended_at)
        {
            out.updates.push(JobUpdate::Ended {
                job: job.job.clone(),
                end: end.clone(),
                ended_at,
            });
            continue;
        }
        if let Some(pid) = record.and_then(|r| r.pid)
            && job.pid != Some(pid)
        {
            out.updates.push(JobUpdate::Started {
                job: job.job.clone(),
                pid,
            });
        }
        let pane = facts
            .panes
            .iter()
            .find(|p| p.job.as_deref() == Some(job.job.as_str()))
            .or_else(|| {
                facts
                    .panes
                    .iter()
                    .find(|p| Some(&p.pane_id) == job.pane.as_ref())
            });
        match pane {
            Some(p) if p.dead => match (p.dead_status, p.dead_signal) {
                // The wrapper died before writing its record (killed itself): tmux's word.
                (Some(code), _) => out.updates.push(JobUpdate::Ended {
                    job: job.job.clone(),
                    end: JobEnd::Exited { code },
                    ended_at: facts.now,
                }),
                (None, Some(sig)) => out.updates.push(JobUpdate::Ended {
                    job: job.job.clone(),
                    end: JobEnd::Signaled {
                        signal: signal_name(sig),
                    },
                    ended_at: facts.now,
                }),
                (None, None) => out.nudge = true,
            },
            Some(p) => {
                if job.pane.as_deref() != Some(p.pane_id.as_str()) {
                    out.updates.push(JobUpdate::Pane {
                        job: job.job.clone(),
                        pane: p.pane_id.clone(),
                    });
                }
                if let Some(&at) = facts.log_mtimes.get(&job.job)
                    && job.last_output_at.is_none_or(|last| at > last)
                    && at >= job.started_at
                {
                    out.updates.push(JobUpdate::Output {
                        job: job.job.clone(),
                        at,
                    });
                }
            }
            None if job.started_at + LOST_AFTER <= facts.now => {
                out.updates.push(JobUpdate::Ended {
                    job: job.job.clone(),
                    end: JobEnd::Lost {
                        reason: "its pane is gone and its wrapper recorded no exit".to_owned(),
                    },
                    ended_at: facts.now,
                })
            }
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::TimeZone;

    use super::*;
    use crate::worker::WorkerRecord;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
            .single()
            .expect("time")
    }

    fn job(id: &str, pane: Option<&str>, started_ago: i64) -> JobRecord {
        JobRecord {
            job: id.into(),
            task: "t".into(),
            attempt: 1,
            argv: vec![],
            worktree: None,
            pane: pane.map(str::to_owned),
            pid: None,
            started_at: now() - TimeDelta::seconds(started_ago),
            ended_at: None,
            end: None,
            last_output_at: None,
            log_path: PathBuf::from("l"),
            killed: false,
            stopped: false,
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

    fn run(
        jobs: &[JobRecord],
        panes: &[PaneRow],
        records: &[WorkerRecord],
        logs: &[(&str, i64)],
    ) -> Reconciled {
        let records = records.iter().map(|r| (r.job.clone(), r.clone())).collect();
        let log_mtimes = logs
            .iter()
            .map(|(j, ago)| ((*j).to_owned(), now() - TimeDelta::seconds(*ago)))
            .collect();
        reconcile(
            jobs,
            &Facts {
                panes,
                records: &records,
                log_mtimes: &log_mtimes,
                now: now(),
            },
        )
    }

    #[test]
    fn the_record_wins_over_tmux() {
        let r = run(
            &[job("j1", Some("%1"), 60)],
            &[pane("%1", Some("j1"), true, Some(0), None)],
            &[record("j1", Some(5), Some(JobEnd::Exited { code: 3 }))],
            &[],
        );
        assert_eq!(
            r.updates,
            [JobUpdate::Ended {
                job: "j1".into(),
                end: JobEnd::Exited { code: 3 },
                ended_at: now() - TimeDelta::seconds(3)
            }]
        );
    }

    #[test]
    fn tmux_status_is_the_fallback_and_dead_without_status_nudges() {
        let r = run(
            &[job("j1", Some("%1"), 60)],
            &[pane("%1", Some("j1"), true, None, Some(9))],
            &[],
            &[],
        );
        assert!(
            matches!(&r.updates[0], JobUpdate::Ended { end: JobEnd::Signaled { signal }, .. } if signal == "SIGKILL")
        );
        let r = run(
            &[job("j1", Some("%1"), 60)],
            &[pane("%1", Some("j1"), true, None, None)],
            &[],
            &[],
        );
        assert!(r.updates.is_empty());
        assert!(r.nudge);
    }

    #[test]
    fn alive_jobs_report_pid_pane_and_output() {
        let r = run(
            &[job("j1", None, 60)],
            &[pane("%4", Some("j1"), false, None, None)],
            &[record("j1", Some(77), None)],
            &[("j1", 5)],
        );
        assert_eq!(
            r.updates,
            [
                JobUpdate::Started {
                    job: "j1".into(),
                    pid: 77
                },
                JobUpdate::Pane {
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
    fn a_vanished_pane_is_lost_after_a_grace() {
        let lost = run(&[job("j1", Some("%1"), 10)], &[], &[], &[]);
        assert!(matches!(
            &lost.updates[0],
            JobUpdate::Ended {
                end: JobEnd::Lost { .. },
                ..
            }
        ));
        let young = run(&[job("j1", None, 9)], &[], &[], &[]);
        assert!(young.updates.is_empty());
    }
}
