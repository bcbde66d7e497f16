//! Reconciling the register's live jobs with what the wrappers recorded and what tmux shows.
//! Pure: the facts in, updates out. The wrapper's record is the truth; tmux's pane status is
//! a fallback (for a wrapper that was itself killed), and tmux 3.3a's "dead without a status"
//! means the server has not reaped the pane yet and needs a SIGCHLD nudge. Panes tmux could
//! not be asked about are unknown, never gone: only records settle jobs then.

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
    /// A live pane carries the job's tag while the register has no (or another) pane for it:
    /// a launch whose answer was lost, or a restart between making the pane and saving it.
    /// Record the pane and release the job.
    Adopted { job: String, pane: String },
    /// New output since the last look.
    Output { job: String, at: DateTime<Utc> },
    /// The job's pane is alive and its agent has not started long after its launch: its
    /// go file was lost (a supervisor that died in between): release it again.
    Release { job: String },
}

/// The facts for one reconcile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'a> {
    /// The session's panes; `None` when tmux could not be asked.
    pub(crate) panes: Option<&'a [PaneRow]>,
    pub(crate) records: &'a BTreeMap<String, WorkerRecord>,
    /// Each live job's log mtime.
    pub(crate) log_mtimes: &'a BTreeMap<String, DateTime<Utc>>,
    /// Since when each job's pane has not been seen while tmux answered.
    pub(crate) missing_since: &'a BTreeMap<String, DateTime<Utc>>,
    /// The tmux server is gone (for the reason a job is lost).
    pub(crate) server_gone: bool,
    pub(crate) now: DateTime<Utc>,
}

/// The outcome: updates, whether tmux needs a SIGCHLD to report a dead pane's status, and
/// the jobs whose pane is missing now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reconciled {
    pub(crate) updates: Vec<JobUpdate>,
    pub(crate) nudge: bool,
    pub(crate) missing_since: BTreeMap<String, DateTime<Utc>>,
}

/// How long a started job's pane may be missing, with tmux answering, before the job counts
/// as lost: a wrapper whose pane was killed records its end within milliseconds.
pub(crate) const LOST_AFTER: TimeDelta = TimeDelta::seconds(5);

/// How long after its launch a job with a live pane may show no started agent before it is
/// released again (a released wrapper starts its agent within milliseconds).
pub(crate) const RELEASE_AGAIN_AFTER: TimeDelta = TimeDelta::seconds(5);

/// The job ended at `at`. Its log's time is read once more first: a job shorter than the
/// time between two looks would otherwise keep the time of its header (or of whatever
/// the last look saw). Capped at the end: the wrapper's closing `[warden] job … exit N`
/// line is written after it, and is not the agent's output.
fn ended(out: &mut Reconciled, job: &JobRecord, end: JobEnd, at: DateTime<Utc>, facts: &Facts<'_>) {
    if let Some(&mtime) = facts.log_mtimes.get(&job.job) {
        let last = mtime.min(at);
        if last >= job.started_at && job.last_output_at.is_none_or(|seen| last > seen) {
            out.updates.push(JobUpdate::Output {
                job: job.job.clone(),
                at: last,
            });
        }
    }
    out.updates.push(JobUpdate::Ended {
        job: job.job.clone(),
        end,
        ended_at: at,
    });
}

pub(crate) fn reconcile<'a>(
    live: impl IntoIterator<Item = &'a JobRecord>,
    facts: &Facts<'_>,
) -> Reconciled {
    let mut out = Reconciled::default();
    for job in live {
        let record = facts.records.get(&job.job);
        if let Some(rec) = record
            && let Some(end) = &rec.end
        {
            ended(
                &mut out,
                job,
                end.clone(),
                rec.ended_at.unwrap_or(facts.now),
                facts,
            );
            continue;
        }
        let started = record.and_then(|r| r.pid);
        if let Some(pid) = started
            && job.pid != Some(pid)
        {
            out.updates.push(JobUpdate::Started {
                job: job.job.clone(),
                pid,
            });
        }
        let Some(panes) = facts.panes else {
            // Unknown: whatever was missing stays missing since when it was.
            if let Some(&since) = facts.missing_since.get(&job.job) {
                out.missing_since.insert(job.job.clone(), since);
            }
            continue;
        };
        let pane = panes
            .iter()
            .find(|p| p.job.as_deref() == Some(job.job.as_str()))
            .or_else(|| panes.iter().find(|p| Some(&p.pane_id) == job.pane.as_ref()));
        match pane {
            Some(p) if p.dead => match (p.dead_status, p.dead_signal) {
                // The wrapper died before writing its record (killed itself): tmux's word.
                (Some(code), _) => {
                    ended(&mut out, job, JobEnd::Exited { code }, facts.now, facts);
                }
                (None, Some(sig)) => ended(
                    &mut out,
                    job,
                    JobEnd::Signaled {
                        signal: signal_name(sig),
                    },
                    facts.now,
                    facts,
                ),
                (None, None) => out.nudge = true,
            },
            Some(p) => {
                if job.pane.as_deref() != Some(p.pane_id.as_str()) {
                    out.updates.push(JobUpdate::Adopted {
                        job: job.job.clone(),
                        pane: p.pane_id.clone(),
                    });
                } else if started.is_none()
                    // A start read from the register can be any time chrono parses.
                    && job
                        .started_at
                        .checked_add_signed(RELEASE_AGAIN_AFTER)
                        .is_some_and(|t| t <= facts.now)
                {
                    out.updates.push(JobUpdate::Release {
                        job: job.job.clone(),
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
            // Never made (the launch was cut short, or its answer lost and nothing came of
            // it): its wrapper was never released, so nothing ran.
            None if job.pane.is_none() && started.is_none() => ended(
                &mut out,
                job,
                JobEnd::NotStarted {
                    reason: "its pane was never made".to_owned(),
                },
                facts.now,
                facts,
            ),
            None => {
                let since = facts
                    .missing_since
                    .get(&job.job)
                    .copied()
                    .unwrap_or(facts.now);
                if since + LOST_AFTER <= facts.now {
                    let reason = if facts.server_gone {
                        "the tmux server is gone and its wrapper recorded no exit"
                    } else {
                        "its pane is gone and its wrapper recorded no exit"
                    };
                    ended(
                        &mut out,
                        job,
                        JobEnd::Lost {
                            reason: reason.to_owned(),
                        },
                        facts.now,
                        facts,
                    );
                } else {
                    out.missing_since.insert(job.job.clone(), since);
                }
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
