//! Settling Tier 2's managers with what their wrappers recorded and what tmux shows, the
//! way `reconcile.rs` settles jobs. Pure: the ledger's open actions and the facts in,
//! updates out. Panes tmux could not be asked about are unknown: only records settle then.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::escalate::{ActionRecord, Ledger, Phase, manager_ended, spawn_failed};
use crate::register::JobEnd;
use crate::tmux::PaneRow;
use crate::worker::WorkerRecord;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ManagerUpdate {
    /// An intent a crash left behind whose window exists: the spawn happened.
    Spawned { id: String, pane: String },
    Ended {
        id: String,
        ended_at: DateTime<Utc>,
        exit: String,
    },
    /// The manager never did its work (its command could not start, or the supervisor
    /// stopped before it started it).
    Failed {
        id: String,
        ended_at: DateTime<Utc>,
        exit: Option<String>,
        error: String,
    },
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ManagerFacts<'a> {
    /// The session's panes; `None` when tmux could not be asked.
    pub(crate) panes: Option<&'a [PaneRow]>,
    /// The managers' wrapper records, by action id.
    pub(crate) records: &'a BTreeMap<String, WorkerRecord>,
    pub(crate) dry_run: bool,
    pub(crate) now: DateTime<Utc>,
}

/// The open actions of a ledger: decided or running.
pub(crate) fn open_actions(ledger: &Ledger) -> impl Iterator<Item = &ActionRecord> {
    ledger
        .actions
        .iter()
        .filter(|a| matches!(a.phase, Phase::Intent | Phase::Spawned))
}

pub(crate) fn settle_managers<'a>(
    open: impl IntoIterator<Item = &'a ActionRecord>,
    facts: &ManagerFacts<'_>,
) -> Vec<ManagerUpdate> {
    let mut out = Vec::new();
    for action in open {
        let id = action.id.clone();
        if facts.dry_run {
            // Dry-run never starts anything: whatever is open was left by a crash.
            out.push(ManagerUpdate::Ended {
                id,
                ended_at: facts.now,
                exit: "dry-run: nothing was started".to_owned(),
            });
            continue;
        }
        if let Some(record) = facts.records.get(&action.id)
            && let Some(end) = &record.end
        {
            let ended_at = record.ended_at.unwrap_or(facts.now);
            // 126/127: the command could not even start; that is an escalation failure,
            // not a manager that did its work.
            out.push(match end {
                JobEnd::Exited { code: 126 | 127 } | JobEnd::NotStarted { .. } => {
                    ManagerUpdate::Failed {
                        id,
                        ended_at,
                        exit: Some(end.to_string()),
                        error: format!("the manager command could not be started ({end})"),
                    }
                }
                _ => ManagerUpdate::Ended {
                    id,
                    ended_at,
                    exit: end.to_string(),
                },
            });
            continue;
        }
        let Some(panes) = facts.panes else { continue };
        let pane = panes
            .iter()
            .find(|p| p.job.as_deref() == Some(action.id.as_str()));
        match (pane, action.phase) {
            (Some(p), Phase::Intent) if !p.dead => out.push(ManagerUpdate::Spawned {
                id,
                pane: p.pane_id.clone(),
            }),
            (Some(p), _) if !p.dead => {}
            (_, Phase::Intent) => out.push(ManagerUpdate::Failed {
                id,
                ended_at: facts.now,
                exit: None,
                error: "the supervisor stopped before the manager started".to_owned(),
            }),
            _ => out.push(ManagerUpdate::Ended {
                id,
                ended_at: facts.now,
                exit: "its window is gone".to_owned(),
            }),
        }
    }
    out
}

/// Applies settled updates to the ledger; returns what to announce.
pub(crate) fn apply_settled(ledger: &mut Ledger, updates: Vec<ManagerUpdate>) -> Vec<String> {
    let mut notes = Vec::new();
    for update in updates {
        match update {
            ManagerUpdate::Spawned { id, pane } => {
                if let Some(a) = ledger.action_mut(&id) {
                    a.phase = Phase::Spawned;
                    a.pane = Some(pane);
                }
            }
            ManagerUpdate::Ended { id, ended_at, exit } => {
                if let Some(a) = ledger.action_mut(&id) {
                    a.phase = Phase::Ended;
                    a.ended_at = Some(ended_at);
                    notes.push(format!("warden: manager {id} ended: {exit}"));
                    a.exit = Some(exit);
                }
                manager_ended(&mut ledger.state, &id);
            }
            ManagerUpdate::Failed {
                id,
                ended_at,
                exit,
                error,
            } => {
                let mut decided = None;
                if let Some(a) = ledger.action_mut(&id) {
                    a.phase = Phase::Failed;
                    a.ended_at = Some(ended_at);
                    a.exit = exit;
                    notes.push(format!("warden: escalation {id} failed: {error}"));
                    a.error = Some(error);
                    decided = Some(a.created_at);
                }
                // Nothing ran: the spawn gives its budget back and a person is told.
                match decided {
                    Some(at) => spawn_failed(&mut ledger.state, &id, at, ended_at),
                    None => manager_ended(&mut ledger.state, &id),
                }
            }
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::ManagerMode;

    fn now() -> DateTime<Utc> {
        crate::clock::test_now()
    }

    fn action(id: &str, phase: Phase) -> ActionRecord {
        ActionRecord {
            id: id.into(),
            mode: ManagerMode::Window,
            keys: vec!["repeated_failure/task:a".into()],
            phase,
            created_at: now(),
            pack_dir: PathBuf::from("p"),
            argv: vec!["m".into()],
            pane: None,
            ended_at: None,
            exit: None,
            error: None,
        }
    }

    fn pane(job: &str, dead: bool) -> PaneRow {
        PaneRow {
            pane_id: "%9".into(),
            pane_pid: Some(1),
            dead,
            dead_status: None,
            dead_signal: None,
            window_id: "@1".into(),
            job: Some(job.into()),
            window_name: "manager".into(),
        }
    }

    fn run(
        actions: &[ActionRecord],
        panes: Option<&[PaneRow]>,
        records: &[(&str, JobEnd)],
    ) -> Vec<ManagerUpdate> {
        let records = records
            .iter()
            .map(|(id, end)| {
                (
                    (*id).to_owned(),
                    WorkerRecord {
                        format_version: 1,
                        job: (*id).into(),
                        pid: Some(3),
                        wrapper_pid: None,
                        started_at: now(),
                        ended_at: Some(now()),
                        end: Some(end.clone()),
                    },
                )
            })
            .collect();
        settle_managers(
            actions,
            &ManagerFacts {
                panes,
                records: &records,
                dry_run: false,
                now: now(),
            },
        )
    }

    #[test]
    fn intents_and_windows() {
        let live = [pane("e0001", false)];
        assert_eq!(
            run(&[action("e0001", Phase::Intent)], Some(&live), &[]),
            [ManagerUpdate::Spawned {
                id: "e0001".into(),
                pane: "%9".into()
            }]
        );
        assert!(run(&[action("e0001", Phase::Spawned)], Some(&live), &[]).is_empty());
        assert!(matches!(
            &run(&[action("e0001", Phase::Intent)], Some(&[]), &[])[..],
            [ManagerUpdate::Failed { .. }]
        ));
        assert!(matches!(
            &run(&[action("e0001", Phase::Spawned)], Some(&[]), &[])[..],
            [ManagerUpdate::Ended { exit, .. }] if exit == "its window is gone"
        ));
    }

    #[test]
    fn unanswered_tmux_settles_nothing_but_records() {
        // The twin of reconcile's rule: a failed `list-panes` is not "every window is gone".
        let open = [
            action("e0001", Phase::Spawned),
            action("e0002", Phase::Intent),
        ];
        assert!(run(&open, None, &[]).is_empty());
        assert!(matches!(
            &run(&open, None, &[("e0001", JobEnd::Exited { code: 0 })])[..],
            [ManagerUpdate::Ended { id, .. }] if id == "e0001"
        ));
    }

    #[test]
    fn a_command_that_cannot_start_is_a_failed_escalation() {
        let updates = run(
            &[action("e0001", Phase::Spawned)],
            None,
            &[("e0001", JobEnd::Exited { code: 127 })],
        );
        assert!(matches!(&updates[..], [ManagerUpdate::Failed { .. }]));
        let mut ledger = Ledger::new(false);
        ledger.actions.push(action("e0001", Phase::Spawned));
        let notes = apply_settled(&mut ledger, updates);
        assert_eq!(ledger.actions[0].phase, Phase::Failed);
        assert_eq!(notes.len(), 1);
    }
}
