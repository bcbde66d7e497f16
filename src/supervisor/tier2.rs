//! Tier 2 in the supervisor: after each heartbeat pass, feed the signals to the escalation
//! engine, persist the ledger, then carry out its decisions: build the context pack, spawn
//! the manager window or the one-shot (never in dry-run), deliver new alerts to a live
//! manager, and announce every decision. Nothing here can crash the supervisor: a failing
//! manager command is an escalation failure in the ledger.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::state::Supervisor;
use crate::config::{Escalation, ManagerMode};
use crate::detect::Signal;
use crate::escalate::{
    ActionRecord, AlertState, Decision, DecisionRecord, Ledger, PackInput, Phase, Policy, Step,
    build_pack, ledger_path, load_ledger, manager_ended, save_ledger, step, write_pack,
};
use crate::snapshot::{AlertSummary, Snapshot};
use crate::tmux::{Spawn, TmuxPort, WindowSpec};
use crate::worker::{read_record, record_path};

/// The ledger the supervisor holds, for the mode it was loaded in.
#[derive(Debug)]
pub(crate) struct Tier2 {
    pub(crate) dry_run: bool,
    pub(crate) ledger: Result<Ledger, String>,
}

/// `{prompt_file}`, `{pack_dir}`, `{prompt}`, filled in one pass (a prompt that contains
/// `{pack_dir}` is not expanded again), as the dispatch argv is.
fn expand(argv: &[String], prompt_file: &Path, pack_dir: &Path, prompt: &str) -> Vec<String> {
    let values = crate::dispatch::Placeholders {
        values: [
            ("prompt_file", prompt_file.to_string_lossy().into_owned()),
            ("pack_dir", pack_dir.to_string_lossy().into_owned()),
            ("prompt", prompt.to_owned()),
        ]
        .into(),
    };
    values.expand_argv(argv)
}

fn describe(d: &Decision) -> String {
    match d {
        Decision::Spawn {
            action,
            mode,
            keys,
            reason,
        } => {
            format!(
                "{action}: {} manager for {} ({reason})",
                if *mode == ManagerMode::Window {
                    "window"
                } else {
                    "one-shot"
                },
                keys.join(", ")
            )
        }
        Decision::Deliver { action, keys } => {
            format!("delivered {} to manager {action}", keys.join(", "))
        }
        Decision::Suppressed { keys, reason } => {
            format!("escalation suppressed ({reason}): {}", keys.join(", "))
        }
        Decision::Resolved { key, episode } => format!("resolved {key} (episode {episode})"),
        Decision::Fired { key, severity } => format!("firing: {key} ({severity})"),
    }
}

impl Supervisor {
    fn tier2_ledger(&mut self, dry_run: bool) -> &mut Tier2 {
        // Reload when the mode changed, or while the file is broken (a person may have fixed
        // it since).
        let stale = self
            .tier2
            .as_ref()
            .is_none_or(|t| t.dry_run != dry_run || t.ledger.is_err());
        if stale {
            let path = ledger_path(&self.paths.state, dry_run);
            self.tier2 = Some(Tier2 {
                dry_run,
                ledger: load_ledger(&path, dry_run).map_err(|e| e.to_string()),
            });
        }
        self.tier2.get_or_insert_with(|| Tier2 {
            dry_run,
            ledger: Err("not loaded".to_owned()),
        })
    }

    fn save_ledger(&self) {
        if let Some(Tier2 {
            dry_run,
            ledger: Ok(ledger),
        }) = &self.tier2
            && let Err(e) = save_ledger(&ledger_path(&self.paths.state, *dry_run), ledger)
        {
            tracing::error!("{e}");
        }
    }

    /// Announces a decision: the log, attached clients' status line, the notify command.
    pub(crate) fn announce(&self, message: &str, config: &Escalation) {
        tracing::warn!("{message}");
        self.notify(message);
        if let Some((program, args)) = config.notify_command.split_first() {
            let child = std::process::Command::new(program)
                .args(args)
                .arg(message)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
            match child {
                // Reaped on a thread: a slow or hung notifier never blocks the loop.
                Ok(mut c) => {
                    std::thread::spawn(move || c.wait());
                }
                Err(e) => tracing::warn!("failed to run notify command {program}: {e}"),
            }
        }
    }

    /// Ends the managers whose windows are gone or whose one-shot exited; settles intents a
    /// crash left behind (a window with their tag means the spawn happened).
    fn reconcile_managers(&mut self, now: DateTime<Utc>) {
        let panes = self
            .tmux
            .list_panes(&self.paths.session)
            .unwrap_or_default();
        let jobs = self.paths.jobs.clone();
        let Some(Tier2 {
            dry_run,
            ledger: Ok(ledger),
        }) = &mut self.tier2
        else {
            return;
        };
        let dry_run = *dry_run;
        let mut changed = false;
        let mut ended = Vec::new();
        for action in ledger
            .actions
            .iter_mut()
            .filter(|a| matches!(a.phase, Phase::Intent | Phase::Spawned))
        {
            let pane = panes
                .iter()
                .find(|p| p.job.as_deref() == Some(action.id.as_str()));
            let record = read_record(&record_path(&jobs, &action.id)).ok().flatten();
            if dry_run {
                action.phase = Phase::Ended;
                action.ended_at = Some(now);
            } else if let Some(end) = record.as_ref().and_then(|r| r.end.clone()) {
                action.ended_at = record.and_then(|r| r.ended_at).or(Some(now));
                action.exit = Some(end.to_string());
                // 126/127: the manager command could not even start; that is an escalation
                // failure, not a manager that did its work.
                if matches!(end, crate::register::JobEnd::Exited { code: 126 | 127 }) {
                    action.phase = Phase::Failed;
                    action.error =
                        Some(format!("the manager command could not be started ({end})"));
                } else {
                    action.phase = Phase::Ended;
                }
            } else if pane.is_some_and(|p| !p.dead) {
                if action.phase == Phase::Intent {
                    action.phase = Phase::Spawned;
                    action.pane = pane.map(|p| p.pane_id.clone());
                    changed = true;
                }
                continue;
            } else if action.phase == Phase::Intent {
                action.phase = Phase::Failed;
                action.error = Some("the supervisor stopped before the manager started".to_owned());
            } else {
                action.phase = Phase::Ended;
                action.ended_at = Some(now);
                action.exit = Some("its window is gone".to_owned());
            }
            ended.push(action.id.clone());
        }
        let notes: Vec<String> = ledger
            .actions
            .iter()
            .filter(|a| ended.contains(&a.id))
            .map(|a| match (&a.exit, &a.error) {
                (_, Some(e)) => format!("warden: escalation {} failed: {e}", a.id),
                (Some(x), _) => format!("warden: manager {} ended: {x}", a.id),
                _ => format!("warden: manager {} ended", a.id),
            })
            .collect();
        for id in &ended {
            manager_ended(&mut ledger.state, id);
        }
        if changed || !ended.is_empty() {
            self.save_ledger();
        }
        if !dry_run {
            let config = self.tier1.loaded().config.escalation.clone();
            for note in notes {
                self.announce(&note, &config);
            }
        }
    }

    /// With Tier 2 off, signals are still announced: each new one (by alert key) at or
    /// above `min_severity`, once, until it clears.
    fn announce_new_signals(&mut self, signals: &[Signal], config: &Escalation) {
        let now: std::collections::BTreeSet<String> = signals
            .iter()
            .filter(|s| s.severity >= config.min_severity)
            .map(|s| crate::escalate::alert_key(s.code, &s.subject))
            .collect();
        let fresh: Vec<&Signal> = signals
            .iter()
            .filter(|s| {
                let key = crate::escalate::alert_key(s.code, &s.subject);
                now.contains(&key) && !self.announced.contains(&key)
            })
            .collect();
        for s in fresh {
            self.announce(
                &format!("warden: {} {}: {}", s.severity, s.code, s.message),
                config,
            );
        }
        self.announced = now;
    }

    /// Runs Tier 2 for this pass and fills the snapshot's escalation fields.
    pub(crate) fn tier2(
        &mut self,
        snapshot: &mut Snapshot,
        now: DateTime<Utc>,
        opts: Step,
    ) -> Vec<DecisionRecord> {
        let config = self.tier1.loaded().config.escalation.clone();
        if !config.enabled {
            self.tier2 = None;
            self.announce_new_signals(&snapshot.escalation.signals, &config);
            return Vec::new();
        }
        let policy = match Policy::from_config(&config) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("{e}");
                return Vec::new();
            }
        };
        self.tier2_ledger(config.dry_run);
        if let Some(Tier2 { ledger: Err(e), .. }) = &self.tier2 {
            // Fail closed: no spawns while the ledger is unreadable; a person must look.
            tracing::error!("{e}");
            snapshot.escalation.needs_human = true;
            return Vec::new();
        }
        self.reconcile_managers(now);
        let signals = snapshot.escalation.signals.clone();
        let decisions = match &mut self.tier2 {
            Some(Tier2 {
                ledger: Ok(ledger), ..
            }) => step(&mut ledger.state, &signals, &policy, now, opts),
            _ => Vec::new(),
        };
        let mut records = Vec::new();
        for decision in decisions {
            let record = self.carry_out(decision, snapshot, &signals, &config, now);
            self.announce(
                &format!("warden: {}", record.detail.clone().unwrap_or_default()),
                &config,
            );
            if let Some(Tier2 {
                ledger: Ok(ledger), ..
            }) = &mut self.tier2
            {
                ledger.record(record.clone());
            }
            records.push(record);
        }
        self.save_ledger();
        self.fill_snapshot(snapshot, &policy, now);
        records
    }

    /// The snapshot's Tier 2 fields without a step (for `warden status`).
    pub(crate) fn tier2_fill(&self, snapshot: &mut Snapshot, now: DateTime<Utc>) {
        if let Ok(policy) = Policy::from_config(&self.tier1.loaded().config.escalation) {
            self.fill_snapshot(snapshot, &policy, now);
        }
    }

    fn fill_snapshot(&self, snapshot: &mut Snapshot, policy: &Policy, now: DateTime<Utc>) {
        let Some(Tier2 {
            ledger: Ok(ledger), ..
        }) = &self.tier2
        else {
            return;
        };
        let e = &mut snapshot.escalation;
        e.alerts = ledger
            .state
            .alerts
            .values()
            .filter(|a| a.state != AlertState::Resolved)
            .map(|a| AlertSummary {
                key: a.key.clone(),
                state: format!("{:?}", a.state).to_lowercase(),
                severity: a.severity,
                episode: a.episode,
                since: a.firing_since.unwrap_or(a.pending_since),
                escalated_to: a.escalated.as_ref().map(|x| x.action.clone()),
            })
            .collect();
        e.budget_left = Some(policy.budget.left(&ledger.state.spawns, now));
        e.needs_human = ledger.state.needs_human;
        e.live_managers = ledger.state.live.iter().map(|m| m.action.clone()).collect();
    }

    /// The pack for an escalation: alerts, their signals, involved tasks, logs and screens.
    fn pack_input(
        &self,
        id: &str,
        keys: &[String],
        snapshot: &Snapshot,
        signals: &[Signal],
        max: u64,
    ) -> PackInput {
        let alerts: Vec<_> = match &self.tier2 {
            Some(Tier2 { ledger: Ok(l), .. }) => keys
                .iter()
                .filter_map(|k| l.state.alerts.get(k).cloned())
                .collect(),
            _ => Vec::new(),
        };
        let mut tasks: Vec<String> = alerts.iter().filter_map(|a| a.task.clone()).collect();
        tasks.sort();
        tasks.dedup();
        let root = &self.paths.root;
        let task_files = tasks
            .iter()
            .filter_map(|t| snapshot.tasks.iter().find(|e| &e.id == t))
            .filter_map(|e| {
                let bytes = std::fs::read(root.join(&e.path)).ok()?;
                Some((
                    e.id.clone(),
                    e.path.file_name()?.to_string_lossy().into_owned(),
                    bytes,
                ))
            })
            .collect();
        let log_tails = tasks
            .iter()
            .filter_map(|t| {
                let bytes = std::fs::read(self.paths.log_for(t)).ok()?;
                let text = crate::logs::strip_escapes(&bytes);
                let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
                let tail = lines[lines.len().saturating_sub(200)..].join(&b'\n');
                Some((t.clone(), tail))
            })
            .collect();
        let screens = snapshot
            .workers
            .iter()
            .filter(|w| tasks.contains(&w.task))
            .filter_map(|w| {
                Some((
                    w.job.clone(),
                    self.tmux.capture_pane(w.pane.as_deref()?).ok()?,
                ))
            })
            .collect();
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(root)
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_owned())
                .unwrap_or_default()
        };
        let recent = match &self.tier2 {
            Some(Tier2 { ledger: Ok(l), .. }) => l
                .decisions
                .iter()
                .rev()
                .take(20)
                .map(|d| {
                    format!(
                        "{} {} {}",
                        d.at.format("%Y-%m-%dT%H:%M:%SZ"),
                        d.outcome,
                        d.detail.clone().unwrap_or_default()
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        let budget_left = match &self.tier2 {
            Some(Tier2 { ledger: Ok(l), .. }) => {
                Policy::from_config(&self.tier1.loaded().config.escalation)
                    .map(|p| p.budget.left(&l.state.spawns, crate::clock::now()))
                    .unwrap_or(0)
            }
            _ => 0,
        };
        PackInput {
            id: id.to_owned(),
            repository: root.to_string_lossy().into_owned(),
            alerts,
            signals: signals.to_vec(),
            snapshot_json: crate::snapshot::to_json(snapshot).unwrap_or_default(),
            task_files,
            log_tails,
            screens,
            git_status: git(&["status", "--short"]),
            git_worktrees: git(&["worktree", "list"]),
            recent_decisions: recent,
            budget_left,
            max_bytes: usize::try_from(max).unwrap_or(usize::MAX),
        }
    }

    /// `escalations/<id>`; dry-run packs are `escalations/dry-run-<id>` so they never mix
    /// with (or overwrite) a live pack of the same number.
    pub(crate) fn pack_dir(&self, id: &str) -> PathBuf {
        let dry = self.tier2.as_ref().is_some_and(|t| t.dry_run);
        let name = if dry {
            format!("dry-run-{id}")
        } else {
            id.to_owned()
        };
        self.tier1.snapshot_dir().join("escalations").join(name)
    }

    /// Builds and writes a pack; returns its folder and prompt file.
    pub(crate) fn make_pack(
        &self,
        id: &str,
        keys: &[String],
        snapshot: &Snapshot,
        signals: &[Signal],
        max: u64,
    ) -> Result<(PathBuf, PathBuf), String> {
        let dir = self.pack_dir(id);
        let files = build_pack(&self.pack_input(id, keys, snapshot, signals, max));
        let prompt = write_pack(&dir, &files)
            .map_err(|e| format!("failed to write context pack {}: {e}", dir.display()))?;
        Ok((dir, prompt))
    }

    fn carry_out(
        &mut self,
        decision: Decision,
        snapshot: &Snapshot,
        signals: &[Signal],
        config: &Escalation,
        now: DateTime<Utc>,
    ) -> DecisionRecord {
        let dry_run = self.tier2.as_ref().is_some_and(|t| t.dry_run);
        let mut record = DecisionRecord {
            at: now,
            outcome: String::new(),
            decision: decision.clone(),
            pack_dir: None,
            argv: None,
            detail: Some(describe(&decision)),
        };
        match &decision {
            Decision::Spawn {
                action, mode, keys, ..
            } => {
                let (dir, prompt_file) =
                    match self.make_pack(action, keys, snapshot, signals, config.pack_max_bytes) {
                        Ok(p) => p,
                        Err(e) => {
                            record.outcome = "failed".to_owned();
                            record.detail = Some(e);
                            self.end_action(action);
                            return record;
                        }
                    };
                let prompt = std::fs::read_to_string(&prompt_file).unwrap_or_default();
                let template = if *mode == ManagerMode::Window {
                    &config.manager_command
                } else {
                    &config.oneshot_command
                };
                let argv = expand(template, &prompt_file, &dir, &prompt);
                record.pack_dir = Some(dir.clone());
                record.argv = Some(argv.clone());
                if let Some(Tier2 {
                    ledger: Ok(ledger), ..
                }) = &mut self.tier2
                {
                    ledger.actions.push(ActionRecord {
                        id: action.clone(),
                        mode: *mode,
                        keys: keys.clone(),
                        phase: Phase::Intent,
                        created_at: now,
                        pack_dir: dir.clone(),
                        argv: argv.clone(),
                        pane: None,
                        ended_at: None,
                        exit: None,
                        error: None,
                    });
                }
                // The intent, with the budget it spent, is on disk before anything starts.
                self.save_ledger();
                if dry_run {
                    record.outcome = "would_spawn".to_owned();
                    record.detail = Some(format!(
                        "{} (dry-run: nothing spawned; pack {})",
                        describe(&decision),
                        dir.display()
                    ));
                    self.end_action(action);
                    return record;
                }
                let spawned = self.spawn_manager(action, *mode, &argv, &dir, &prompt_file);
                record.outcome = if spawned.is_ok() { "spawn" } else { "failed" }.to_owned();
                record.detail = Some(match &spawned {
                    Ok(_) => format!("{} (pack {})", describe(&decision), dir.display()),
                    Err(e) => format!("escalation {action} failed: {e}"),
                });
                if let Some(Tier2 {
                    ledger: Ok(ledger), ..
                }) = &mut self.tier2
                    && let Some(a) = ledger.action_mut(action)
                {
                    match &spawned {
                        Ok(pane) => {
                            a.phase = Phase::Spawned;
                            a.pane = Some(pane.clone());
                        }
                        Err(e) => {
                            a.phase = Phase::Failed;
                            a.error = Some(e.clone());
                        }
                    }
                }
                if spawned.is_err() {
                    self.end_action(action);
                }
            }
            Decision::Deliver { action, keys } => {
                record.outcome = "deliver".to_owned();
                let dir = self.pack_dir(action);
                let mut lines =
                    format!("\n## {} new alerts\n", now.format("%Y-%m-%d %H:%M:%S UTC"));
                for sig in signals
                    .iter()
                    .filter(|s| keys.contains(&crate::escalate::alert_key(s.code, &s.subject)))
                {
                    lines.push_str(&format!(
                        "- `{}`: {}\n",
                        crate::escalate::alert_key(sig.code, &sig.subject),
                        sig.message
                    ));
                }
                let written = std::fs::create_dir_all(&dir).and_then(|()| {
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(dir.join("updates.md"))
                        .and_then(|mut f| f.write_all(lines.as_bytes()))
                });
                if let Err(e) = written {
                    tracing::warn!("failed to write {}: {e}", dir.join("updates.md").display());
                }
                record.pack_dir = Some(dir);
            }
            Decision::Suppressed { .. } => record.outcome = "suppressed".to_owned(),
            Decision::Resolved { .. } => record.outcome = "resolved".to_owned(),
            Decision::Fired { .. } => record.outcome = "fired".to_owned(),
        }
        record
    }

    fn end_action(&mut self, action: &str) {
        if let Some(Tier2 {
            ledger: Ok(ledger), ..
        }) = &mut self.tier2
        {
            manager_ended(&mut ledger.state, action);
            if let Some(a) = ledger.action_mut(action)
                && matches!(a.phase, Phase::Intent | Phase::Spawned)
            {
                a.phase = Phase::Ended;
            }
        }
    }

    /// A manager window (`manager`) or a one-shot window (`escalation-<id>`, output kept
    /// beside the pack), each run through the wrapper so its exit code is recorded.
    fn spawn_manager(
        &self,
        action: &str,
        mode: ManagerMode,
        argv: &[String],
        pack_dir: &Path,
        prompt_file: &Path,
    ) -> Result<String, String> {
        if argv.is_empty() {
            return Err("the manager command is empty".to_owned());
        }
        let mut full = vec![
            self.exe.to_string_lossy().into_owned(),
            "run-worker".to_owned(),
            "--job".to_owned(),
            action.to_owned(),
            "--record".to_owned(),
            record_path(&self.paths.jobs, action)
                .to_string_lossy()
                .into_owned(),
            "--report".to_owned(),
            self.paths.reports.to_string_lossy().into_owned(),
            "--".to_owned(),
        ];
        full.extend(argv.iter().cloned());
        let env = vec![
            ("WARDEN_ESCALATION".to_owned(), action.to_owned()),
            (
                "WARDEN_PACK_DIR".to_owned(),
                pack_dir.to_string_lossy().into_owned(),
            ),
            (
                "WARDEN_PROMPT_FILE".to_owned(),
                prompt_file.to_string_lossy().into_owned(),
            ),
            (
                "WARDEN_ROOT".to_owned(),
                self.paths.root.to_string_lossy().into_owned(),
            ),
        ];
        let name = if mode == ManagerMode::Window {
            self.layout.manager_window.clone()
        } else {
            format!("escalation-{action}")
        };
        let pipe = (mode == ManagerMode::Oneshot).then(|| {
            format!(
                "exec cat >> '{}'",
                pack_dir
                    .join("output.log")
                    .to_string_lossy()
                    .replace('\'', r"'\''")
            )
        });
        let spec = WindowSpec {
            name: &name,
            spawn: Spawn {
                argv: &full,
                cwd: &self.paths.root,
                env: &env,
            },
            job: Some(action),
            pipe: pipe.as_deref(),
        };
        // A finished manager's pane still sits in a window of the same name: close it, so
        // `warden attach manager` finds the live one.
        for p in self
            .tmux
            .list_panes(&self.paths.session)
            .unwrap_or_default()
        {
            if p.dead && p.window_name == name {
                let _ = self.tmux.kill_pane(&p.pane_id);
            }
        }
        let batch = self.tmux.new_windows(&self.paths.session, &[spec]);
        match (batch.made.into_iter().next(), batch.error) {
            (Some(p), _) => Ok(p.pane_id),
            (None, Some(e)) => Err(e.to_string()),
            (None, None) => Err("tmux made no window".to_owned()),
        }
    }
}

impl Supervisor {
    /// `warden escalate [--dry-run]`: a pass with the hold times skipped.
    pub(crate) fn escalate_now(&mut self, dry_run: Option<bool>) -> super::control::Response {
        let config = &self.tier1.loaded().config.escalation;
        if !config.enabled && dry_run != Some(true) {
            return super::control::Response::Error {
                message: "escalation is off; enable it (escalation.enabled, --escalation, TASK_MANAGER_ESCALATION=1) or use --dry-run".to_owned(),
            };
        }
        let saved = self.tier1.loaded().config.escalation.clone();
        if let Some(d) = dry_run {
            self.tier1.set_escalation(true, d);
        }
        let decisions =
            self.heartbeat_with(crate::clock::now(), false, Some(Step { skip_hold: true }));
        self.tier1.set_escalation(saved.enabled, saved.dry_run);
        super::control::Response::Decisions {
            decisions: serde_json::to_value(&decisions).unwrap_or_default(),
        }
    }

    /// `warden ack|silence|resolve KEY`.
    pub(crate) fn alert_op(
        &mut self,
        op: &str,
        key: &str,
        secs: u64,
        now: DateTime<Utc>,
    ) -> super::control::Response {
        use super::control::Response;
        let dry_run = self.tier1.loaded().config.escalation.dry_run;
        let tier2 = self.tier2_ledger(dry_run);
        let Ok(ledger) = &mut tier2.ledger else {
            return Response::Error {
                message: "the escalation ledger is unreadable; fix or remove it first".to_owned(),
            };
        };
        let until = now + chrono::TimeDelta::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2));
        let result = match op {
            "ack" => crate::escalate::ack(&mut ledger.state, key, until)
                .map(|()| format!("acknowledged {key} until {}", until.format("%H:%M:%S UTC"))),
            "silence" => {
                crate::escalate::silence(&mut ledger.state, key, until);
                Ok(format!(
                    "silenced {key} until {}",
                    until.format("%H:%M:%S UTC")
                ))
            }
            "resolve" => crate::escalate::resolve(&mut ledger.state, key, now)
                .map(|()| format!("resolved {key}")),
            other => Err(format!("unknown alert operation {other:?}")),
        };
        match result {
            Ok(message) => {
                self.save_ledger();
                Response::Ok { message }
            }
            Err(message) => Response::Error { message },
        }
    }

    /// `warden pack`: a context pack for the alerts firing now.
    pub(crate) fn pack_now(&mut self, now: DateTime<Utc>) -> super::control::Response {
        use super::control::Response;
        self.heartbeat_with(now, false, None);
        let Some(snapshot) = self.last_snapshot.clone() else {
            return Response::Error {
                message: "no snapshot yet".to_owned(),
            };
        };
        let keys: Vec<String> = match &self.tier2 {
            Some(Tier2 { ledger: Ok(l), .. }) => l
                .state
                .alerts
                .values()
                .filter(|a| a.is_active())
                .map(|a| a.key.clone())
                .collect(),
            _ => Vec::new(),
        };
        let id = format!("manual-{}", now.format("%Y%m%dT%H%M%SZ"));
        let max = self.tier1.loaded().config.escalation.pack_max_bytes;
        match self.make_pack(&id, &keys, &snapshot, &snapshot.escalation.signals, max) {
            Ok((_, prompt)) => Response::Ok {
                message: prompt.to_string_lossy().into_owned(),
            },
            Err(message) => Response::Error { message },
        }
    }
}
