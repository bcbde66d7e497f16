//! Tier 2's executor, borrowed like `Launcher`: after a heartbeat it settles the managers
//! (`settle.rs`, pure), steps the engine (pure), and carries out its decisions: the context
//! pack, the intent saved before anything starts (no save, no spawn), the manager window or
//! one-shot through `run-worker` (never in dry-run), updates delivered to a live manager.
//! Nothing here can crash the supervisor: a failing manager is an escalation failure in the
//! ledger. The ledger has one owner, `Managers`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::deliveries::{Deliveries, ManagerView, Move};
use super::managers::Managers;
use super::pack::{PackFor, Packer};
use super::paths::RuntimePaths;
use super::settle::{ManagerFacts, apply_settled, open_actions, settle_managers};
use crate::agent::{
    AGENT_SETTINGS, AgentKind, AgentRecord, CODEX_NOTIFY, HookTarget, claude_settings,
    codex_notify, expected_agent, read_agent_record, settings_path,
};
use crate::config::AgentSetting;
use crate::config::{Escalation, ManagerMode};
use crate::detect::Signal;
use crate::escalate::{
    ActionRecord, AlertState, Decision, DecisionRecord, Ledger, Outcome, Phase, Policy, Step,
    alert_key, delivery_unconfirmed, ledger_path, manager_ended, save_ledger, spawn_failed, step,
};
use crate::layout::Layout;
use crate::snapshot::{AlertSummary, RECENT_DECISIONS, RecentDecision, Snapshot};
use crate::state::write_replace;
use crate::state::{Open, open_private};
use crate::tmux::{PaneRow, Spawn, TmuxPort, WindowSpec, append_to};
use crate::worker::{WrapperArgs, read_record, record_path};

/// What a Tier 2 step came to: its decisions as recorded, and what to announce.
#[derive(Debug, Default)]
pub(crate) struct Tier2Outcome {
    pub(crate) records: Vec<DecisionRecord>,
    pub(crate) announcements: Vec<String>,
}

/// Why a manager's window was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SpawnError {
    /// Nothing ran: the budget is given back.
    Failed(String),
    /// tmux did not answer: the window may or may not exist.
    Unanswered(String),
}

/// What Tier 2 needs from the supervisor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tier2Run<'a> {
    pub(crate) paths: &'a RuntimePaths,
    /// `[escalation]`, with a one-pass dry-run override applied.
    pub(crate) config: &'a Escalation,
    pub(crate) port: &'a dyn TmuxPort,
    pub(crate) layout: &'a Layout,
    pub(crate) exe: &'a Path,
    /// A manager idle this long no longer holds the live-manager slot.
    pub(crate) manager_idle_after: crate::config::HumanDuration,
    pub(crate) packer: Packer<'a>,
}

/// `{prompt_file}`, `{pack_dir}`, `{prompt}`, filled in one pass (a prompt that contains
/// `{pack_dir}` is not expanded again), as the dispatch argv is.
fn expand(
    argv: &[String],
    prompt_file: &Path,
    pack_dir: &Path,
    prompt: &str,
    hooks: &HookTarget<'_>,
) -> Vec<String> {
    let values = crate::dispatch::Placeholders {
        values: [
            ("prompt_file", prompt_file.to_string_lossy().into_owned()),
            ("pack_dir", pack_dir.to_string_lossy().into_owned()),
            ("prompt", prompt.to_owned()),
            (
                AGENT_SETTINGS,
                settings_path(&hooks.state.join("jobs"), hooks.job)
                    .to_string_lossy()
                    .into_owned(),
            ),
            (CODEX_NOTIFY, codex_notify(hooks)),
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
        } => format!(
            "{action}: {mode} manager for {} ({reason})",
            keys.join(", ")
        ),
        Decision::Deliver { action, keys } => {
            format!("delivered {} to manager {action}", keys.join(", "))
        }
        Decision::Suppressed { keys, reason } => {
            format!("escalation held back ({reason}): {}", keys.join(", "))
        }
        Decision::Resolved { key, episode } => format!("resolved {key} (episode {episode})"),
        Decision::Fired { key, severity } => format!("firing: {key} ({severity})"),
    }
}

/// A manager is over (or never started): the engine may bring in another.
fn end_action(ledger: &mut Ledger, action: &str) {
    manager_ended(&mut ledger.state, action);
    if let Some(a) = ledger.action_mut(action)
        && matches!(a.phase, Phase::Intent | Phase::Spawned)
    {
        a.phase = Phase::Ended;
    }
}

impl Tier2Run<'_> {
    fn save(&self, ledger: &Ledger) -> Result<(), String> {
        save_ledger(&ledger_path(&self.paths.state, ledger.dry_run), ledger)
            .map_err(|e| e.to_string())
    }

    /// Settles the managers, steps the engine, carries out its decisions, fills the
    /// snapshot. `panes` is the last look at tmux (`None`: it did not answer).
    pub(crate) fn step(
        &self,
        managers: &mut Managers,
        snapshot: &mut Snapshot,
        panes: Option<&[PaneRow]>,
        opts: Step,
        now: DateTime<Utc>,
    ) -> Tier2Outcome {
        let config = self.config;
        if !config.enabled {
            let announcements =
                managers.announce_new(&snapshot.escalation.signals, config.min_severity);
            return Tier2Outcome {
                records: Vec::new(),
                announcements,
            };
        }
        let policy = match Policy::from_config(config) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("{e}");
                return Tier2Outcome::default();
            }
        };
        // The ledger and the deliveries are borrowed apart: both change in this step.
        let ledger = match managers.ledger.as_mut() {
            Ok(l) => l,
            Err(e) => {
                // Fail closed: no spawns while the ledger is unreadable; a person must look.
                tracing::error!("{e}");
                snapshot.escalation.needs_human = true;
                return Tier2Outcome::default();
            }
        };
        let mut out = Tier2Outcome::default();
        let records: BTreeMap<_, _> = open_actions(ledger)
            .filter_map(|a| {
                let rec = read_record(&record_path(&self.paths.jobs, &a.id)).ok()??;
                Some((a.id.clone(), rec))
            })
            .collect();
        let updates = settle_managers(
            open_actions(ledger).cloned().collect::<Vec<_>>().iter(),
            &ManagerFacts {
                panes,
                records: &records,
                dry_run: ledger.dry_run,
                now,
            },
        );
        if !updates.is_empty() {
            let notes = apply_settled(ledger, updates);
            if !ledger.dry_run {
                out.announcements.extend(notes);
            }
            if let Err(e) = self.save(ledger) {
                tracing::error!("{e}");
            }
        }
        self.wake_managers(ledger, &mut managers.deliveries, &mut out, now);
        let signals = snapshot.escalation.signals.clone();
        let decisions = step(&mut ledger.state, &signals, &policy, now, opts);
        for decision in decisions {
            if let Decision::Deliver { action, .. } = &decision {
                let updates = self.packer.dir(action, ledger.dry_run).join("updates.md");
                managers.deliveries.queue(action, updates);
            }
            let record = self.carry_out(ledger, decision, snapshot, &signals, &policy, now);
            out.announcements.push(format!(
                "warden: {}",
                record.detail.clone().unwrap_or_default()
            ));
            ledger.record(record.clone());
            out.records.push(record);
        }
        if let Err(e) = self.save(ledger) {
            tracing::error!("{e}");
        }
        managers.noted(&signals, config.min_severity);
        fill(managers, config, snapshot, now);
        out
    }

    /// Where a manager's hooks report: as a job's, under its action id.
    fn hooks<'h>(&'h self, action: &'h str, kind: AgentKind) -> HookTarget<'h> {
        HookTarget {
            exe: self.exe,
            kind,
            job: action,
            state: &self.paths.state,
            socket: &self.paths.reports,
        }
    }

    /// Types waiting trouble into idle managers, gives up on the deaf ones, and marks which
    /// managers no longer hold the slot, before the engine steps.
    fn wake_managers(
        &self,
        ledger: &mut Ledger,
        deliveries: &mut Deliveries,
        out: &mut Tier2Outcome,
        now: DateTime<Utc>,
    ) {
        let agents: BTreeMap<String, AgentRecord> = ledger
            .state
            .live
            .iter()
            .filter_map(|m| {
                read_agent_record(&self.paths.jobs, &m.action).map(|r| (m.action.clone(), r))
            })
            .collect();
        let panes: BTreeMap<String, String> = open_actions(ledger)
            .filter_map(|a| a.pane.clone().map(|p| (a.id.clone(), p)))
            .collect();
        let view: BTreeMap<String, ManagerView<'_>> = ledger
            .state
            .live
            .iter()
            .map(|m| {
                (
                    m.action.clone(),
                    ManagerView {
                        pane: panes.get(&m.action).map(String::as_str),
                        agent: agents.get(&m.action),
                    },
                )
            })
            .collect();
        let moves = deliveries.settle(&mut ledger.state.live, &view, self.manager_idle_after, now);
        for mv in moves {
            match mv {
                Move::Type { action, pane, text } => {
                    if let Err(e) = self.port.type_line(&pane, &text) {
                        tracing::warn!("failed to type new trouble into manager {action}: {e}");
                    }
                }
                Move::Unconfirmed { action } => {
                    delivery_unconfirmed(&mut ledger.state, &action);
                    out.announcements.push(format!(
                        "warden: manager {action} did not take the new trouble typed to it; it goes to another manager"
                    ));
                }
            }
        }
    }

    fn carry_out(
        &self,
        ledger: &mut Ledger,
        decision: Decision,
        snapshot: &Snapshot,
        signals: &[Signal],
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> DecisionRecord {
        let mut record = DecisionRecord {
            at: now,
            outcome: Outcome::Failed,
            decision: decision.clone(),
            pack_dir: None,
            argv: None,
            detail: Some(describe(&decision)),
        };
        match &decision {
            Decision::Spawn {
                action,
                mode,
                keys,
                reason,
            } => {
                let dry_run = ledger.dry_run;
                let made = self.packer.make(&PackFor {
                    id: action,
                    dry_run,
                    keys,
                    ledger,
                    policy: Some(policy),
                    snapshot,
                    max_bytes: self.config.pack_max_bytes,
                    now,
                    step_up: *reason == crate::escalate::SpawnReason::StepUp,
                });
                let made = match made {
                    Ok(m) => m,
                    Err(e) => {
                        record.detail = Some(format!("escalation {action} failed: {e}"));
                        spawn_failed(&mut ledger.state, action, now, now);
                        return record;
                    }
                };
                let prompt = std::fs::read_to_string(&made.prompt_file).unwrap_or_default();
                let template = match mode {
                    ManagerMode::Window => &self.config.manager_command,
                    ManagerMode::Oneshot => &self.config.oneshot_command,
                };
                let kind =
                    expected_agent(AgentSetting::None, template).unwrap_or(AgentKind::Unknown);
                let hooks = self.hooks(action, kind);
                let argv = expand(template, &made.prompt_file, &made.dir, &prompt, &hooks);
                record.pack_dir = Some(made.dir.clone());
                record.argv = Some(argv.clone());
                ledger.actions.push(ActionRecord {
                    id: action.clone(),
                    mode: *mode,
                    keys: keys.clone(),
                    phase: Phase::Intent,
                    created_at: now,
                    pack_dir: made.dir.clone(),
                    argv: argv.clone(),
                    pane: None,
                    ended_at: None,
                    exit: None,
                    error: None,
                });
                // The intent, with the budget it spent, is on disk before anything starts:
                // a restart settles it instead of spawning again. No save, no spawn.
                if let Err(e) = self.save(ledger) {
                    let error = format!("failed to save the ledger before spawning: {e}");
                    if let Some(a) = ledger.action_mut(action) {
                        a.phase = Phase::Failed;
                        a.error = Some(error.clone());
                    }
                    spawn_failed(&mut ledger.state, action, now, now);
                    record.detail = Some(format!("escalation {action} failed: {error}"));
                    return record;
                }
                if dry_run {
                    record.outcome = Outcome::WouldSpawn;
                    record.detail = Some(format!(
                        "{} (dry-run: nothing spawned; pack {})",
                        describe(&decision),
                        made.dir.display()
                    ));
                    end_action(ledger, action);
                    return record;
                }
                match self.spawn_manager(action, *mode, &argv, &made.dir, &made.prompt_file) {
                    Ok(pane) => {
                        if let Some(a) = ledger.action_mut(action) {
                            a.phase = Phase::Spawned;
                            a.pane = Some(pane);
                        }
                        record.outcome = Outcome::Spawn;
                        record.detail = Some(format!(
                            "{} (pack {})",
                            describe(&decision),
                            made.dir.display()
                        ));
                    }
                    // tmux did not answer: the window may exist; the intent stays, and the next
                    // settle finds it (spawned) or not (failed, the budget given back).
                    Err(SpawnError::Unanswered(e)) => {
                        record.detail = Some(format!(
                            "escalation {action}: tmux did not answer ({e}); the next look settles whether the manager started"
                        ));
                    }
                    Err(SpawnError::Failed(e)) => {
                        if let Some(a) = ledger.action_mut(action) {
                            a.phase = Phase::Failed;
                            a.error = Some(e.clone());
                        }
                        spawn_failed(&mut ledger.state, action, now, now);
                        record.detail = Some(format!("escalation {action} failed: {e}"));
                    }
                }
            }
            Decision::Deliver { action, keys } => {
                record.outcome = Outcome::Deliver;
                let dir = self.packer.dir(action, ledger.dry_run);
                let mut lines =
                    format!("\n## {} new alerts\n", now.format("%Y-%m-%d %H:%M:%S UTC"));
                for sig in signals
                    .iter()
                    .filter(|s| keys.contains(&alert_key(s.code, &s.subject)))
                {
                    lines.push_str(&format!(
                        "- `{}`: {}\n",
                        alert_key(sig.code, &sig.subject),
                        sig.message
                    ));
                }
                let updates = dir.join("updates.md");
                match open_private(&updates, Open::Append) {
                    Ok(mut f) => {
                        if let Err(e) = f.write_all(lines.as_bytes()) {
                            tracing::warn!("failed to write {}: {e}", updates.display());
                        }
                    }
                    Err(e) => tracing::warn!("{e}"),
                }
                record.pack_dir = Some(dir);
            }
            Decision::Suppressed { .. } => record.outcome = Outcome::Suppressed,
            Decision::Resolved { .. } => record.outcome = Outcome::Resolved,
            Decision::Fired { .. } => record.outcome = Outcome::Fired,
        }
        record
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
    ) -> Result<String, SpawnError> {
        if argv.is_empty() {
            return Err(SpawnError::Failed(
                "the manager command is empty".to_owned(),
            ));
        }
        let path = |p: &Path| p.to_string_lossy().into_owned();
        // The guide tells the manager to run `warden ack …`: the warden that brought it in
        // comes first on its PATH, even when it was started by an absolute path. Set by the
        // wrapper: tmux gives a new pane its client's PATH, whatever `-e` says.
        let mut child_env = Vec::new();
        if let Some(bin) = self.exe.parent() {
            let mut search = vec![bin.to_path_buf()];
            if let Some(old) = std::env::var_os("PATH") {
                search.extend(std::env::split_paths(&old));
            }
            if let Ok(joined) = std::env::join_paths(search) {
                child_env.push(("PATH".to_owned(), joined.to_string_lossy().into_owned()));
            }
        }
        let full = WrapperArgs {
            job: action.to_owned(),
            record: record_path(&self.paths.jobs, action),
            report: Some(self.paths.reports.clone()),
            go: None,
            env: child_env,
            workspace: None,
            argv: argv.to_vec(),
        }
        .to_argv(self.exe);
        let env = vec![
            ("WARDEN_ESCALATION".to_owned(), action.to_owned()),
            ("WARDEN_PACK_DIR".to_owned(), path(pack_dir)),
            ("WARDEN_PROMPT_FILE".to_owned(), path(prompt_file)),
            ("WARDEN_ROOT".to_owned(), path(&self.paths.root)),
            ("WARDEN_BIN".to_owned(), path(self.exe)),
        ];
        // A manager wired to hooks (`{agent_settings}`) gets its settings before it starts.
        let settings = settings_path(&self.paths.jobs, action);
        if argv
            .iter()
            .any(|a| a.contains(&*settings.to_string_lossy()))
        {
            let hooks = self.hooks(action, AgentKind::Claude);
            write_replace(&settings, claude_settings(&hooks).as_bytes())
                .map_err(|e| SpawnError::Failed(e.to_string()))?;
        }
        let name = match mode {
            ManagerMode::Window => self.layout.manager_window.clone(),
            ManagerMode::Oneshot => format!("escalation-{action}"),
        };
        let pipe = match mode {
            ManagerMode::Window => None,
            ManagerMode::Oneshot => {
                // Made here, private and not through a link: tmux's `cat >> log` follows one.
                let log = pack_dir.join("output.log");
                open_private(&log, Open::Append).map_err(|e| SpawnError::Failed(e.to_string()))?;
                Some(append_to(&log))
            }
        };
        // A finished manager's pane still sits in a window of the same name: close it, so
        // `warden attach manager` finds the live one.
        for p in self
            .port
            .list_panes(&self.paths.session)
            .unwrap_or_default()
        {
            if p.dead && p.window_name == name {
                let _ = self.port.kill_pane(&p.pane_id);
            }
        }
        self.port
            .new_window(
                &self.paths.session,
                &WindowSpec {
                    name: &name,
                    spawn: Spawn {
                        argv: &full,
                        cwd: &self.paths.root,
                        env: &env,
                    },
                    job: Some(action),
                    pipe: pipe.as_deref(),
                },
            )
            .map(|p| p.pane_id)
            .map_err(|e| {
                if e.is_unanswered() {
                    SpawnError::Unanswered(e.to_string())
                } else {
                    SpawnError::Failed(e.to_string())
                }
            })
    }
}

/// The snapshot's Tier 2 fields from the ledger: alerts, the budget left, `needs_human`,
/// live managers.
pub(crate) fn fill(
    managers: &Managers,
    config: &Escalation,
    snapshot: &mut Snapshot,
    now: DateTime<Utc>,
) {
    if !config.enabled {
        return;
    }
    let e = &mut snapshot.escalation;
    let ledger = match managers.ledger() {
        Ok(l) => l,
        Err(_) => {
            e.needs_human = true;
            return;
        }
    };
    e.alerts = ledger
        .state
        .alerts
        .values()
        .filter(|a| a.state != AlertState::Resolved)
        .map(|a| AlertSummary {
            key: a.key.clone(),
            state: a.state,
            severity: a.severity,
            episode: a.episode,
            since: a.firing_since.unwrap_or(a.pending_since),
            escalated_to: a.escalated.as_ref().map(|x| x.action.clone()),
        })
        .collect();
    e.budget_left = Policy::from_config(config)
        .ok()
        .map(|p| p.budget.left(&ledger.state.spawns, now));
    e.needs_human = ledger.state.needs_human;
    e.live_managers = ledger.state.live.iter().map(|m| m.action.clone()).collect();
    let from = ledger.decisions.len().saturating_sub(RECENT_DECISIONS);
    e.recent = ledger.decisions[from..]
        .iter()
        .map(|d| RecentDecision {
            at: d.at,
            outcome: d.outcome.to_string(),
            detail: d.detail.clone(),
        })
        .collect();
}
