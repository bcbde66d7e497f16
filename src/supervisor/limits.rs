//! Agents' usage limits: a job whose agent reports `rate_limited` starts a limit for its
//! kind (until the reset time it gave, else until it leaves the limit), and no new job of
//! that kind is dispatched meanwhile. With `resume_after_limit`, once the reset has passed,
//! `continue` is typed into each rate-limited agent's pane (only said in dry-run), and the
//! `UserPromptSubmit` that must follow within `confirm_within` confirms it. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::action::{Action, Level};
use crate::agent::{AgentKind, AgentRecord, AgentState};
use crate::config::HumanDuration;
use crate::detect::{Unconfirmed, UsageLimit};
use crate::register::Register;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Typed {
    task: String,
    prompts_before: u64,
    at: DateTime<Utc>,
}

/// What `resume` needs besides the records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resume {
    pub(crate) enabled: bool,
    pub(crate) dry_run: bool,
    pub(crate) confirm_within: HumanDuration,
}

#[derive(Debug, Default)]
pub(crate) struct Limits {
    active: BTreeMap<AgentKind, UsageLimit>,
    typed: BTreeMap<String, Typed>,
    unconfirmed: BTreeMap<String, Unconfirmed>,
    /// Dry-run: jobs whose `continue` was only said, once each.
    said: std::collections::BTreeSet<String>,
}

fn live_tasks(register: Option<&Register>) -> BTreeMap<&str, &str> {
    register
        .map(|r| {
            r.live_jobs()
                .map(|j| (j.job.as_str(), j.task.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

impl Limits {
    /// Starts a limit for each agent that is rate-limited; ends the one whose agent left it
    /// (it resumed) or whose job ended without a reset time to wait for.
    pub(crate) fn observe(
        &mut self,
        records: &BTreeMap<String, AgentRecord>,
        register: Option<&Register>,
    ) {
        let live = live_tasks(register);
        for (job, r) in records {
            let Some(&task) = live.get(job.as_str()) else {
                continue;
            };
            if r.state == AgentState::RateLimited {
                let limit = UsageLimit {
                    kind: r.kind,
                    job: job.clone(),
                    task: task.to_owned(),
                    since: r.since,
                    until: r.resets_at,
                };
                self.active.entry(r.kind).or_insert(limit);
            }
        }
        self.active.retain(|_, l| {
            let resumed = records
                .get(&l.job)
                .is_some_and(|r| r.state != AgentState::RateLimited);
            let gone = !live.contains_key(l.job.as_str()) && l.until.is_none();
            !resumed && !gone
        });
        // A typed line's job that ended needs no confirmation any more.
        self.typed.retain(|job, _| live.contains_key(job.as_str()));
        self.unconfirmed
            .retain(|job, _| live.contains_key(job.as_str()));
        self.said.retain(|job| live.contains_key(job.as_str()));
    }

    /// The limits in force at `now`.
    pub(crate) fn in_force(&self, now: DateTime<Utc>) -> Vec<UsageLimit> {
        self.active
            .values()
            .filter(|l| l.until.is_none_or(|u| u > now))
            .cloned()
            .collect()
    }

    /// Whether a new job of `kind` must wait, and until when (`None`: until it resumes).
    pub(crate) fn holds(
        &self,
        kind: AgentKind,
        now: DateTime<Utc>,
    ) -> Option<Option<DateTime<Utc>>> {
        self.in_force(now)
            .into_iter()
            .find(|l| l.kind == kind)
            .map(|l| l.until)
    }

    pub(crate) fn unconfirmed(&self) -> Vec<Unconfirmed> {
        self.unconfirmed.values().cloned().collect()
    }

    /// After a reset: `continue` into each rate-limited agent, once; confirmations settled.
    #[must_use]
    pub(crate) fn resume(
        &mut self,
        records: &BTreeMap<String, AgentRecord>,
        register: Option<&Register>,
        opts: Resume,
        now: DateTime<Utc>,
    ) -> Vec<Action> {
        let live = live_tasks(register);
        // Settle what was typed: a prompt submitted since confirms it.
        let mut settled = Vec::new();
        for (job, t) in &self.typed {
            let confirmed = records
                .get(job)
                .is_some_and(|r| r.prompts > t.prompts_before);
            if confirmed {
                settled.push(job.clone());
            } else if opts.confirm_within.after(t.at) <= now {
                settled.push(job.clone());
                self.unconfirmed.insert(
                    job.clone(),
                    Unconfirmed {
                        job: job.clone(),
                        task: t.task.clone(),
                        typed_at: t.at,
                    },
                );
            }
        }
        for job in settled {
            self.typed.remove(&job);
        }
        for (job, r) in records {
            if r.prompts > 0
                && self
                    .unconfirmed
                    .get(job)
                    .is_some_and(|u| r.last_event_at > u.typed_at)
            {
                self.unconfirmed.remove(job);
            }
        }
        if !opts.enabled {
            return Vec::new();
        }
        let mut actions = Vec::new();
        for (job, r) in records {
            let due = r.state == AgentState::RateLimited
                && r.resets_at.is_some_and(|u| u <= now)
                && !self.typed.contains_key(job)
                && !self.unconfirmed.contains_key(job)
                && !self.said.contains(job);
            let Some(&task) = live.get(job.as_str()).filter(|_| due) else {
                continue;
            };
            if opts.dry_run {
                actions.push(Action::Log {
                    level: Level::Info,
                    message: format!(
                        "dry-run: would type `continue` into {job} ({task}): its usage limit reset"
                    ),
                });
                self.said.insert(job.clone());
                continue;
            }
            actions.push(Action::TypeLine {
                job: job.clone(),
                text: "continue".to_owned(),
            });
            self.typed.insert(
                job.clone(),
                Typed {
                    task: task.to_owned(),
                    prompts_before: r.prompts,
                    at: now,
                },
            );
        }
        actions
    }
}
