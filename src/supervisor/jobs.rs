//! The jobs the supervisor owns: the register as this process holds it, whether the file
//! has caught up, which panes are missing, and the hold after a launch failed. Pure: the
//! methods change memory and return the actions that make it so on disk and on screen.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::action::{Action, AfterSave, LaunchOutcome};
use super::mark::{JobMark, Mark};
use super::reconcile::{JobUpdate, Reconciled};
use crate::config::HumanDuration;
use crate::detect::RegisterProblem;
use crate::dispatch::Policy;
use crate::register::{JobEnd, JobRecord, Register};

/// After a launch failed before its agent started, nothing is dispatched until `until`
/// (the cause is usually the machine: a full disk, a broken log folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaunchHold {
    pub(crate) until: Instant,
    pub(crate) failures: u32,
    pub(crate) error: String,
}

#[derive(Debug)]
pub(crate) struct Jobs {
    /// The register; a file that could not be read is kept as the problem and read again.
    pub(crate) register: Result<Register, RegisterProblem>,
    /// The register in memory has changes its file does not (a save failed).
    pub(crate) unsaved: bool,
    /// Jobs whose pane was not seen while tmux answered, and since when.
    pub(crate) missing_since: BTreeMap<String, DateTime<Utc>>,
    pub(crate) launch_hold: Option<LaunchHold>,
    /// The register file as warden last read or wrote it: a different file now was edited
    /// by someone else, and is read again instead of being overwritten.
    pub(crate) stamp: Option<crate::state::Stamp>,
}

/// The next job id: `j` and six digits, one more than any in the register.
pub(crate) fn next_job_id(register: &Register) -> String {
    let max = register
        .jobs
        .iter()
        .filter_map(|j| j.job.strip_prefix('j').and_then(|n| n.parse::<u64>().ok()))
        .max()
        .unwrap_or(0);
    format!("j{:06}", max + 1)
}

impl Jobs {
    pub(crate) fn new(
        register: Result<Register, RegisterProblem>,
        stamp: Option<crate::state::Stamp>,
    ) -> Self {
        Self {
            register,
            unsaved: false,
            missing_since: BTreeMap::new(),
            launch_hold: None,
            stamp,
        }
    }

    pub(crate) fn live(&self) -> Vec<&JobRecord> {
        self.register
            .as_ref()
            .map(|r| r.live_jobs().collect())
            .unwrap_or_default()
    }

    pub(crate) fn get(&self, job: &str) -> Option<&JobRecord> {
        self.register
            .as_ref()
            .ok()?
            .jobs
            .iter()
            .find(|j| j.job == job)
    }

    fn get_mut(&mut self, job: &str) -> Option<&mut JobRecord> {
        self.register
            .as_mut()
            .ok()?
            .jobs
            .iter_mut()
            .find(|j| j.job == job)
    }

    pub(crate) fn is_live(&self, job: &str) -> bool {
        self.get(job).is_some_and(JobRecord::is_live)
    }

    /// The live job of a task.
    pub(crate) fn live_of(&self, task: &str) -> Option<&JobRecord> {
        self.live().into_iter().find(|j| j.task == task)
    }

    /// Applies a reconcile; returns the save, the releases and the notes it calls for.
    pub(crate) fn apply(&mut self, reconciled: Reconciled) -> Vec<Action> {
        self.missing_since = reconciled.missing_since;
        let mut actions = Vec::new();
        let mut notes = Vec::new();
        let mut marks = Vec::new();
        let mut changed = false;
        for update in reconciled.updates {
            match update {
                JobUpdate::Ended { job, end, ended_at } => {
                    if let Some(j) = self.get_mut(&job) {
                        notes.push(format!("{} ({}) {end}", j.job, j.task));
                        if let Some(mark) = Mark::of_end(&end) {
                            marks.push(JobMark {
                                job: job.clone(),
                                task: j.task.clone(),
                                mark,
                            });
                        }
                        j.ended_at = Some(ended_at);
                        j.end = Some(end);
                        changed = true;
                    }
                }
                JobUpdate::Started { job, pid } => {
                    if let Some(j) = self.get_mut(&job) {
                        j.pid = Some(pid);
                        changed = true;
                    }
                }
                JobUpdate::Adopted { job, pane } => {
                    if let Some(j) = self.get_mut(&job) {
                        j.pane = Some(pane);
                        changed = true;
                        // Its wrapper waits for the go file unless its agent started already.
                        if j.pid.is_none() {
                            actions.push(Action::Release { job });
                        }
                    }
                }
                JobUpdate::Release { job } => actions.push(Action::Release { job }),
                JobUpdate::Output { job, at } => {
                    if let Some(j) = self.get_mut(&job) {
                        j.last_output_at = Some(at);
                        changed = true;
                    }
                }
            }
        }
        if changed {
            actions.insert(
                0,
                Action::Save {
                    then: AfterSave::Nothing,
                    durable: true,
                },
            );
        }
        actions.extend(Action::mark(marks));
        for note in &notes {
            actions.push(Action::Log {
                level: super::action::Level::Info,
                message: note.clone(),
            });
        }
        if !notes.is_empty() {
            // One status-line message per look: each is a tmux client call.
            actions.push(Action::Notify {
                message: format!("warden: {}", notes.join("; ")),
            });
        }
        actions
    }

    /// Takes back jobs whose entries could not be saved: nothing about them exists anywhere.
    pub(crate) fn take_back(&mut self, jobs: &[String]) {
        if let Ok(register) = &mut self.register {
            register.jobs.retain(|j| !jobs.contains(&j.job));
        }
    }

    /// Records how the launches went. A made pane is released; a launch that failed before
    /// its agent could start ends `not_started` (not an attempt) and holds dispatch with a
    /// doubling backoff; an unanswered one stays for the next look to settle.
    pub(crate) fn launched(
        &mut self,
        outcomes: &[(String, LaunchOutcome)],
        policy: &Policy,
        now: super::event::Now,
    ) -> Vec<Action> {
        // Releases first: the entries are on disk already (saved before any pane was made),
        // so the agents need not wait for the panes' ids to be saved too.
        let mut actions = Vec::new();
        let mut failed = None;
        let mut made = false;
        let mut marks = Vec::new();
        for (job, outcome) in outcomes {
            let Some(j) = self.get_mut(job) else { continue };
            match outcome {
                LaunchOutcome::Made(pane) => {
                    j.pane = Some(pane.pane_id.clone());
                    made = true;
                    actions.push(Action::Release { job: job.clone() });
                    marks.push(JobMark {
                        job: job.clone(),
                        task: j.task.clone(),
                        mark: Mark::Running,
                    });
                }
                LaunchOutcome::Failed(error) => {
                    j.ended_at = Some(now.wall);
                    j.end = Some(JobEnd::NotStarted {
                        reason: error.clone(),
                    });
                    actions.push(Action::Log {
                        level: super::action::Level::Error,
                        message: format!(
                            "failed to launch {} ({}): {error}; not counted as an attempt",
                            j.job, j.task
                        ),
                    });
                    failed = Some(error.clone());
                }
                LaunchOutcome::Unknown(error) => actions.push(Action::Log {
                    level: super::action::Level::Warn,
                    message: format!(
                        "{} ({}): tmux did not answer ({error}); the next look settles whether its pane was made",
                        j.job, j.task
                    ),
                }),
            }
        }
        actions.extend(Action::mark(marks));
        match failed {
            Some(error) => {
                let failures = self.launch_hold.as_ref().map_or(1, |h| h.failures + 1);
                let wait = policy.launch_backoff(failures);
                self.launch_hold = Some(LaunchHold {
                    until: wait
                        .max(HumanDuration::from_secs(1))
                        .after_instant(now.mono),
                    failures,
                    error,
                });
            }
            None if made => self.launch_hold = None,
            None => {}
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_count_up_from_the_highest() {
        let mut register = Register::default();
        assert_eq!(next_job_id(&register), "j000001");
        for id in ["j000007", "j000003", "manual"] {
            let mut j = crate::supervisor::testing::job(id, "t");
            j.job = id.to_owned();
            register.jobs.push(j);
        }
        assert_eq!(next_job_id(&register), "j000008");
    }
}
