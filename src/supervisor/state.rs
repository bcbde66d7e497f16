//! The supervisor's state and its construction. The loop (`run.rs`) and the request
//! handlers (`actions.rs`) are methods on it; nothing else holds state.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::paths::RuntimePaths;
use crate::config::{LoadedConfig, Overrides};
use crate::detect::RegisterProblem;
use crate::heartbeat::Tier1;
use crate::layout::Layout;
use crate::register::{Register, save_register};
use crate::snapshot::Snapshot;
use crate::tmux::Tmux;

/// How the supervisor shows its heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    /// Clear and redraw (its own tmux window).
    Redraw,
    /// Print one after the other (a pipe, a log).
    Scroll,
    /// Print nothing (a one-shot pass whose caller prints).
    Silent,
}

/// A worker being stopped: SIGTERM sent, SIGKILL at `deadline` if it is still alive.
#[derive(Debug, Clone)]
pub(crate) struct PendingKill {
    pub(crate) job: String,
    pub(crate) deadline: Instant,
}

/// `warden down`: stop the workers too, or only the supervisor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopping {
    pub(crate) kill_workers: bool,
    pub(crate) deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct Supervisor {
    pub(crate) tier1: Tier1,
    pub(crate) paths: RuntimePaths,
    pub(crate) tmux: Tmux,
    pub(crate) layout: Layout,
    /// The binary panes run as their wrapper (this one).
    pub(crate) exe: PathBuf,
    pub(crate) register: Result<Register, RegisterProblem>,
    pub(crate) server_pid: Option<i32>,
    pub(crate) kills: Vec<PendingKill>,
    pub(crate) stopping: Option<Stopping>,
    pub(crate) last_snapshot: Option<Snapshot>,
    /// How each heartbeat is shown on stdout.
    pub(crate) output: Output,
    /// A job ended or a request changed something: run a heartbeat now.
    pub(crate) dirty: bool,
    /// The flags (and environment variables) given at start, re-applied on reload.
    pub(crate) overrides: Overrides,
    /// Tier 2's ledger, loaded when escalation is enabled.
    pub(crate) tier2: Option<super::tier2::Tier2>,
    /// With Tier 2 off: the signal keys already announced, so each is announced once.
    pub(crate) announced: std::collections::BTreeSet<String>,
}

impl Supervisor {
    pub(crate) fn new(
        loaded: LoadedConfig,
        overrides: Overrides,
        layout: Layout,
        exe: PathBuf,
    ) -> Self {
        let paths = RuntimePaths::new(&loaded);
        let tmux = Tmux::new(paths.tmux_socket.clone());
        let tier1 = Tier1::new(loaded).watching();
        let register = tier1.load_register();
        Self {
            tier1,
            paths,
            tmux,
            layout,
            exe,
            register,
            server_pid: None,
            kills: Vec::new(),
            stopping: None,
            last_snapshot: None,
            output: if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                Output::Redraw
            } else {
                Output::Scroll
            },
            dirty: true,
            overrides,
            tier2: None,
            announced: std::collections::BTreeSet::new(),
        }
    }

    pub(crate) fn now() -> DateTime<Utc> {
        crate::clock::now()
    }

    /// Writes the register; a failure is logged and retried on the next change (the
    /// in-memory register stays the truth for this process).
    pub(crate) fn save(&self) {
        if let Ok(register) = &self.register
            && let Err(e) = save_register(&self.paths.register, register)
        {
            tracing::error!("{e}");
        }
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
}
