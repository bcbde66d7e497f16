//! One Tier 1 pass: gather observations from files and git, detect, build the snapshot.
//! This is the only place the pure core meets the file system for `heartbeat`, `status`
//! fallbacks and (later) each tick of the supervisor loop; the clock comes in as `now`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::agent::{AgentRecord, read_agent_record};
use crate::config::LoadedConfig;
use crate::detect::{Observations, RegisterProblem, RuntimeHealth, Signal, detect};
use crate::dispatch::{Policy, holds};
use crate::register::{Register, RegisterError, load_register};
use crate::snapshot::{Snapshot, SnapshotContext, build_snapshot};
use crate::task::{Activity, Backlog, Plan, Scan, Task, TaskStore, plan};
use crate::worktree::observe_worktrees;

/// The register's file name inside the state folder.
pub(crate) const REGISTER_FILE: &str = "register.json";

/// Everything one pass saw and concluded. Later passes (and dispatch) reuse the parts.
#[derive(Debug)]
pub(crate) struct Pass {
    pub(crate) scan: Scan,
    pub(crate) plan: Arc<Plan>,
    pub(crate) snapshot: Snapshot,
    /// The `[budget]` limits crossed at this pass: detection says so, dispatch and Tier 2
    /// hold back for them.
    pub(crate) breaches: Vec<crate::usage::Breach>,
}

impl Pass {
    pub(crate) fn signals(&self) -> &[Signal] {
        &self.snapshot.escalation.signals
    }

    /// A task of this pass's backlog.
    pub(crate) fn task(&self, id: &str) -> Option<&Task> {
        self.plan
            .index
            .get(id)
            .and_then(|&i| self.scan.backlog.tasks.get(i))
    }
}

/// What the agents' own records say, beside the register: their states and what they spent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen<'a> {
    pub(crate) agents: &'a BTreeMap<String, AgentRecord>,
    pub(crate) usage: &'a BTreeMap<String, crate::usage::JobUsage>,
    pub(crate) budget_reset: Option<DateTime<Utc>>,
}

/// The records of the register's live jobs expected to report, by job id.
fn read_agents(jobs: &std::path::Path, register: &Register) -> BTreeMap<String, AgentRecord> {
    register
        .live_jobs()
        .filter(|j| j.agent.is_some())
        .filter_map(|j| read_agent_record(jobs, &j.job).map(|r| (j.job.clone(), r)))
        .collect()
}

/// The long-lived part of Tier 1: the config and the task cache.
#[derive(Debug)]
pub(crate) struct Tier1 {
    loaded: LoadedConfig,
    store: TaskStore,
    /// The last plan and what it was made from: a quiet backlog with unchanged worker
    /// activity needs no new plan.
    last_plan: Option<(Arc<Backlog>, Activity, Arc<Plan>)>,
}

fn problem(err: &RegisterError, path: &std::path::Path, root: &std::path::Path) -> RegisterProblem {
    let line = match err {
        RegisterError::Corrupt { line, .. } => Some(*line),
        _ => None,
    };
    let since = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_or(DateTime::<Utc>::UNIX_EPOCH, DateTime::<Utc>::from);
    RegisterProblem {
        path: path.strip_prefix(root).unwrap_or(path).to_path_buf(),
        line,
        message: err.to_string(),
        since,
    }
}

impl Tier1 {
    pub(crate) fn new(loaded: LoadedConfig) -> Self {
        let paths = &loaded.config.paths;
        let excluded = [
            &paths.logs,
            &paths.snapshots,
            &paths.worktrees,
            &paths.state,
        ]
        .into_iter()
        .map(|p| loaded.resolve(p))
        .collect();
        let store = TaskStore::new(loaded.root.clone(), loaded.resolve(&paths.tasks), excluded);
        Self {
            loaded,
            store,
            last_plan: None,
        }
    }

    /// For processes that pass again and again (the supervisor, the heartbeat loop): watch
    /// the tasks folder so a quiet pass reads no file.
    pub(crate) fn watching(mut self) -> Self {
        self.store.watch();
        self
    }

    pub(crate) fn loaded(&self) -> &LoadedConfig {
        &self.loaded
    }

    pub(crate) fn register_path(&self) -> PathBuf {
        self.loaded
            .resolve(&self.loaded.config.paths.state)
            .join(REGISTER_FILE)
    }

    pub(crate) fn snapshot_dir(&self) -> PathBuf {
        self.loaded.resolve(&self.loaded.config.paths.snapshots)
    }

    /// Loads the register from disk; a broken one becomes a `RegisterProblem`.
    pub(crate) fn load_register(&self) -> Result<Register, RegisterProblem> {
        let path = self.register_path();
        load_register(&path).map_err(|e| problem(&e, &path, &self.loaded.root))
    }

    /// One pass with the register read from disk (the CLI's read-only commands).
    pub(crate) fn pass(&mut self, now: DateTime<Utc>) -> Pass {
        let register = self.load_register();
        let jobs = self
            .loaded
            .resolve(&self.loaded.config.paths.state)
            .join("jobs");
        let agents = register
            .as_ref()
            .map(|r| read_agents(&jobs, r))
            .unwrap_or_default();
        let usage = register
            .as_ref()
            .map(|r| crate::usage::read_all_usage(&jobs, r))
            .unwrap_or_default();
        let seen = Seen {
            agents: &agents,
            usage: &usage,
            budget_reset: crate::usage::read_reset(
                &self.loaded.resolve(&self.loaded.config.paths.state),
            ),
        };
        self.pass_with(now, register.as_ref(), &RuntimeHealth::default(), seen)
    }

    /// Reads the tasks and worktrees, applies the retry policy, detects, and builds the
    /// snapshot, with the register the caller holds. Writes nothing, and never fails: what
    /// cannot be read becomes a signal.
    pub(crate) fn pass_with(
        &mut self,
        now: DateTime<Utc>,
        register: Result<&Register, &RegisterProblem>,
        runtime: &RuntimeHealth,
        seen: Seen<'_>,
    ) -> Pass {
        let scan = self.store.scan();
        let backlog = &scan.backlog;
        let config = &self.loaded.config;
        let holds = register.ok().map_or_else(BTreeMap::new, |r| {
            let mtimes: HashMap<&str, DateTime<Utc>> =
                backlog.tasks.iter().map(|t| (t.id(), t.mtime)).collect();
            holds(
                r,
                |id| mtimes.get(id).copied(),
                &Policy::from_config(&config.dispatch),
                now,
            )
        });
        let mut activity = register.ok().map(Register::activity).unwrap_or_default();
        activity.held = holds.keys().cloned().collect();
        let plan = match &self.last_plan {
            Some((b, a, p)) if Arc::ptr_eq(b, backlog) && *a == activity => Arc::clone(p),
            _ => {
                let fresh = Arc::new(plan(&backlog.tasks, &activity));
                self.last_plan = Some((Arc::clone(backlog), activity, Arc::clone(&fresh)));
                fresh
            }
        };
        let worktrees = observe_worktrees(
            &self.loaded.root,
            &self.loaded.resolve(&config.paths.worktrees),
        );
        let register_path = self.register_path();
        let breaches = register.ok().map_or_else(Vec::new, |r| {
            crate::usage::breaches(seen.usage, r, &config.budget, seen.budget_reset, now)
        });
        let obs = Observations {
            tasks: &backlog.tasks,
            invalid: &backlog.invalid,
            plan: &plan,
            register: register.ok(),
            register_problem: register.err(),
            worktrees: &worktrees,
            holds: &holds,
            max_workers: config.dispatch.max_workers,
            max_runtime: config.dispatch.max_runtime,
            thresholds: &config.thresholds,
            runtime,
            agents: seen.agents,
            usage: seen.usage,
            budget: &config.budget,
            breaches: &breaches,
            now,
        };
        let signals = detect(&obs);
        let snapshot = build_snapshot(
            &obs,
            signals,
            &SnapshotContext {
                root: &self.loaded.root,
                register_path: &register_path,
                interval: config.heartbeat.interval,
                escalation: &config.escalation,
            },
        );
        Pass {
            scan,
            plan,
            snapshot,
            breaches,
        }
    }
}
