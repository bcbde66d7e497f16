//! The plain data detection reads. Built by the heartbeat from files and git; built by hand
//! in tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::agent::AgentRecord;
use crate::config::{Budget, HumanDuration, Thresholds};
use crate::dispatch::Hold;
use crate::register::Register;
use crate::task::{InvalidTask, Plan, Task};
use crate::usage::JobUsage;
use crate::worktree::WorktreeObservation;

/// Why the register could not be read, for `register_corrupt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegisterProblem {
    pub(crate) path: PathBuf,
    pub(crate) line: Option<usize>,
    pub(crate) message: String,
    /// The broken file's mtime: when the trouble began, as far as anyone can tell.
    pub(crate) since: DateTime<Utc>,
}

/// What only a running supervisor knows about its own footing: its tmux server and whether
/// it can save its state. Empty (`default`) outside the supervisor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RuntimeHealth {
    /// tmux has not answered since then, with the last error.
    pub(crate) tmux_failing: Option<Trouble>,
    /// The tmux server is gone (its pid no longer exists), since then.
    pub(crate) tmux_gone: Option<Trouble>,
    /// Saving the register fails, since then, with the path and the OS error.
    pub(crate) unwritable: Option<Unwritable>,
    /// Agents' usage limits in force: no new job of that kind is dispatched meanwhile.
    pub(crate) limits: Vec<UsageLimit>,
    /// `continue` typed into a rate-limited agent after its reset, with no prompt
    /// submission since within `confirm_within`.
    pub(crate) unconfirmed: Vec<Unconfirmed>,
}

/// An agent hit its provider's usage limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageLimit {
    pub(crate) kind: crate::agent::AgentKind,
    pub(crate) job: String,
    pub(crate) task: String,
    pub(crate) since: DateTime<Utc>,
    /// When it resets, when the agent said; else until the agent leaves the limit.
    pub(crate) until: Option<DateTime<Utc>>,
}

/// A line typed into an agent that no prompt submission confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unconfirmed {
    pub(crate) job: String,
    pub(crate) task: String,
    pub(crate) typed_at: DateTime<Utc>,
}

/// A condition with its start and the error that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trouble {
    pub(crate) since: DateTime<Utc>,
    pub(crate) error: String,
}

/// A state file warden could not save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unwritable {
    pub(crate) path: PathBuf,
    pub(crate) since: DateTime<Utc>,
    pub(crate) error: String,
}

/// Everything one detection pass looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observations<'a> {
    pub(crate) tasks: &'a [Task],
    pub(crate) invalid: &'a [InvalidTask],
    pub(crate) plan: &'a Plan,
    /// The register, or `None` with `register_problem` set when it could not be read.
    pub(crate) register: Option<&'a Register>,
    pub(crate) register_problem: Option<&'a RegisterProblem>,
    pub(crate) worktrees: &'a WorktreeObservation,
    /// Tasks the retry policy holds back, and why.
    pub(crate) holds: &'a BTreeMap<String, Hold>,
    pub(crate) max_workers: u32,
    /// `job_overtime`: a job running longer than this (none: no limit).
    pub(crate) max_runtime: Option<HumanDuration>,
    pub(crate) thresholds: &'a Thresholds,
    /// The supervisor's own health (default outside it).
    pub(crate) runtime: &'a RuntimeHealth,
    /// The latest agent record of each live job expected to report, by job id.
    pub(crate) agents: &'a BTreeMap<String, AgentRecord>,
    /// What each job spent, by job id.
    pub(crate) usage: &'a BTreeMap<String, JobUsage>,
    pub(crate) budget: &'a Budget,
    /// The `[budget]` limits crossed now (worked out once per pass).
    pub(crate) breaches: &'a [crate::usage::Breach],
    pub(crate) now: DateTime<Utc>,
}

impl Observations<'_> {
    pub(crate) fn task(&self, id: &str) -> Option<&Task> {
        self.plan.index.get(id).and_then(|&i| self.tasks.get(i))
    }

    /// Whole seconds from `then` to now; zero when `then` is in the future (clock skew).
    pub(crate) fn secs_since(&self, then: DateTime<Utc>) -> u64 {
        u64::try_from((self.now - then).num_seconds()).unwrap_or(0)
    }

    /// True when `then + threshold <= now`: thresholds fire *at* their value.
    pub(crate) fn reached(&self, then: DateTime<Utc>, threshold: HumanDuration) -> bool {
        threshold.after(then) <= self.now
    }
}
