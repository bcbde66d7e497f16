//! What the supervisor knows of each job's agent, and what it decides when that changes:
//! the records `warden hook` saved (read on each datagram and before each heartbeat), the
//! transitions a person hears of (`notify_command` with the task, the state and the agent's
//! message), a heartbeat soon after any change. Pure: records in, actions out.

use std::collections::{BTreeMap, BTreeSet};

use super::action::{Action, Notice};
use super::mark::{JobMark, Mark};
use crate::agent::AgentRecord;
use crate::detect::{Signal, SignalCode};
use crate::register::Register;

/// The latest record of each live job expected to report.
#[derive(Debug, Default)]
pub(crate) struct Agents {
    pub(crate) records: BTreeMap<String, AgentRecord>,
    /// Tasks whose `awaiting_review` a person was told of, until it clears.
    reviews_told: BTreeSet<String>,
    /// The usage limits the agents hit.
    pub(crate) limits: super::limits::Limits,
}

fn message(task: &str, record: &AgentRecord, notice: Notice) -> String {
    let detail = match notice {
        Notice::WaitingInput => record.notification.clone(),
        Notice::Error | Notice::RateLimited => match (&record.error_type, &record.error) {
            (Some(t), Some(e)) => Some(format!("{t}: {e}")),
            (t, e) => t.clone().or_else(|| e.clone()),
        },
        Notice::AwaitingReview => None,
    };
    let what = match notice {
        Notice::WaitingInput => "is waiting for you",
        Notice::Error => "failed its turn",
        Notice::RateLimited => "hit a rate limit",
        Notice::AwaitingReview => "awaits review",
    };
    match detail {
        Some(d) => format!("warden: {} ({task}) {what}: {d}", record.job),
        None => format!("warden: {} ({task}) {what}", record.job),
    }
}

impl Agents {
    /// Takes the records just read. Each change of state asks for a heartbeat; a change
    /// into waiting, error or rate-limited is told once. Records of jobs no longer live
    /// are dropped.
    #[must_use]
    pub(crate) fn absorb(
        &mut self,
        read: Vec<AgentRecord>,
        register: Option<&Register>,
    ) -> (Vec<Action>, bool) {
        let mut actions = Vec::new();
        let mut marks = Vec::new();
        let mut changed = false;
        let live: BTreeMap<&str, &str> = register
            .map(|r| {
                r.live_jobs()
                    .filter(|j| j.agent.is_some())
                    .map(|j| (j.job.as_str(), j.task.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        for record in read {
            let Some(&task) = live.get(record.job.as_str()) else {
                continue;
            };
            let before = self.records.get(&record.job).map(|r| r.state);
            if before == Some(record.state) {
                self.records.insert(record.job.clone(), record);
                continue;
            }
            changed = true;
            if let Some(mark) = Mark::of_agent(record.state) {
                marks.push(JobMark {
                    job: record.job.clone(),
                    task: task.to_owned(),
                    mark,
                });
            }
            if let Some(notice) = Notice::of(record.state) {
                actions.push(Action::AgentNotice {
                    job: Some(record.job.clone()),
                    task: task.to_owned(),
                    notice,
                    message: message(task, &record, notice),
                });
            }
            self.records.insert(record.job.clone(), record);
        }
        actions.extend(Action::mark(marks));
        let before = self.records.len();
        self.records
            .retain(|job, _| live.contains_key(job.as_str()));
        changed |= self.records.len() != before;
        self.limits.observe(&self.records, register);
        (actions, changed)
    }

    /// A person hears once of each task that starts awaiting review.
    #[must_use]
    pub(crate) fn reviews(&mut self, signals: &[Signal]) -> Vec<Action> {
        let now: BTreeMap<&str, &Signal> = signals
            .iter()
            .filter(|s| s.code == SignalCode::AwaitingReview)
            .filter_map(|s| s.task.as_deref().map(|t| (t, s)))
            .collect();
        self.reviews_told.retain(|t| now.contains_key(t.as_str()));
        let mut actions = Vec::new();
        for (task, signal) in now {
            if self.reviews_told.insert(task.to_owned()) {
                actions.push(Action::AgentNotice {
                    job: signal.evidence.job.clone(),
                    task: task.to_owned(),
                    notice: Notice::AwaitingReview,
                    message: format!("warden: {}", signal.message),
                });
            }
        }
        actions
    }
}
