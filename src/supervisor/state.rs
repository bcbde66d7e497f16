//! Everything the supervisor knows, split into the parts it owns: the jobs (the register),
//! its footing (tmux, the disk), stopping, Tier 2's ledger, and the pass in progress. Plain
//! data: the decisions read and change it; only `Now` tells them the time.

use std::path::PathBuf;
use std::time::Instant;

use super::agents::Agents;
use super::health::Health;
use super::jobs::Jobs;
use super::managers::Managers;
use super::paths::RuntimePaths;
use super::stop::Stop;
use crate::config::Config;
use crate::heartbeat::Pass;
use crate::layout::Layout;
use crate::snapshot::Snapshot;
use crate::tmux::PaneRow;

/// The pass in progress, the last published snapshot, and when things are due.
#[derive(Debug)]
pub(crate) struct Passes {
    /// The pass being worked on (dispatch, Tier 2, then published).
    pub(crate) current: Option<Box<Pass>>,
    /// The last snapshot published.
    pub(crate) last: Option<Snapshot>,
    /// The panes of the last look at tmux; `None` when tmux did not answer it.
    pub(crate) panes: Option<Vec<PaneRow>>,
    /// Something changed (a job ended, a request): run a heartbeat at once.
    pub(crate) dirty: bool,
    /// When the next look and the next heartbeat are due; `None`: now.
    pub(crate) next_observe: Option<Instant>,
    pub(crate) next_heartbeat: Option<Instant>,
    /// The `status-right` text last set, so it is set only when it changes.
    pub(crate) status_right: Option<String>,
    /// Jobs made by the launch in progress (`task as job`), told once it is done.
    pub(crate) dispatched: Vec<String>,
    /// The loop ends once the next heartbeat is published (the tmux server is gone and every
    /// job is settled).
    pub(crate) end_after_publish: bool,
    /// The loop should end (a stop finished, the cron pass published, the server is gone).
    pub(crate) done: bool,
    /// `Watch` requests waiting for the next published snapshot.
    pub(crate) watchers: Vec<Watcher>,
}

impl Passes {
    pub(crate) fn new() -> Self {
        Self {
            current: None,
            last: None,
            panes: None,
            dirty: true,
            next_observe: None,
            next_heartbeat: None,
            status_right: None,
            dispatched: Vec::new(),
            end_after_publish: false,
            done: false,
            watchers: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) paths: RuntimePaths,
    pub(crate) config: Config,
    pub(crate) layout: Layout,
    /// The binary panes run as their wrapper (this one).
    pub(crate) exe: PathBuf,
    /// This supervisor's pid, for `warden status` and messages.
    pub(crate) pid: u32,
    pub(crate) jobs: Jobs,
    pub(crate) health: Health,
    pub(crate) stop: Stop,
    pub(crate) managers: Managers,
    pub(crate) passes: Passes,
    pub(crate) agents: Agents,
    /// What each job spent (`.warden/jobs/<job>.usage.json`), by job id.
    pub(crate) usage: std::collections::BTreeMap<String, crate::usage::JobUsage>,
    /// `warden budget reset`: the repository's budget windows count from then.
    pub(crate) budget_reset: Option<chrono::DateTime<chrono::Utc>>,
}

/// A `watch` request waiting for the next published snapshot (`watchers.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Watcher {
    pub(crate) to: super::action::ReplyId,
    pub(crate) until: std::time::Instant,
}
