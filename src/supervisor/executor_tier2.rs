//! The executor's Tier 2 actions: a step (or fill, or hold) of the escalation engine on the
//! current pass, with the ledger read again when it was edited by hand, and `warden pack`.

use super::action::{Fact, ReplyId, Tier2Mode};
use super::event::Now;
use super::executor::Executor;
use super::managers::Managers;
use super::pack::{PackFor, Packer};
use super::protocol::Response;
use super::state::State;
use super::tier2::{Tier2Run, fill};
use crate::escalate::{ledger_path, load_ledger};

impl Executor {
    /// Loads the ledger for `dry_run` when it is not loaded (the mode changed, or it was
    /// broken), or when its file changed since warden last read or wrote it (an edit by
    /// hand is read, never overwritten from memory).
    pub(super) fn managers_for(&self, state: &mut State, dry_run: bool) {
        let path = ledger_path(&state.paths.state, dry_run);
        let now = crate::state::stamp(&path);
        let edited = !state.managers.stale(dry_run) && now != state.managers.stamp;
        if edited {
            tracing::warn!(
                "{} changed since warden last wrote it; reading it again",
                path.display()
            );
        }
        if edited || state.managers.stale(dry_run) {
            let announced = std::mem::take(&mut state.managers.announced);
            state.managers = Managers::new(dry_run, load_ledger(&path, dry_run), now);
            state.managers.announced = announced;
        }
    }

    pub(super) fn tier2(
        &mut self,
        state: &mut State,
        mode: Tier2Mode,
        dry_run: Option<bool>,
        reply: Option<ReplyId>,
        now: Now,
    ) -> Fact {
        let mut config = state.config.escalation.clone();
        if let Some(d) = dry_run {
            config.enabled = true;
            config.dry_run = d;
        }
        self.managers_for(state, config.dry_run);
        let snapshot_dir = self.tier1.snapshot_dir();
        let Some(pass) = state.passes.current.as_mut() else {
            return Fact::Tier2Done {
                records: Vec::new(),
                announcements: Vec::new(),
                reply,
            };
        };
        let outcome = match mode {
            Tier2Mode::Fill => {
                fill(&state.managers, &config, &mut pass.snapshot, now.wall);
                Default::default()
            }
            Tier2Mode::Hold => {
                fill(&state.managers, &config, &mut pass.snapshot, now.wall);
                super::tier2::Tier2Outcome {
                    records: Vec::new(),
                    announcements: state
                        .managers
                        .announce_new(&pass.snapshot.escalation.signals, config.min_severity),
                }
            }
            Tier2Mode::Step(opts) => Tier2Run {
                paths: &state.paths,
                config: &config,
                port: self.port.as_ref(),
                layout: &state.layout,
                exe: &state.exe,
                manager_idle_after: state.config.thresholds.manager_idle_after,
                packer: Packer {
                    paths: &state.paths,
                    snapshot_dir: &snapshot_dir,
                    port: Some(self.port.as_ref()),
                },
            }
            .step(
                &mut state.managers,
                &mut pass.snapshot,
                state.passes.panes.as_deref(),
                opts,
                now.wall,
            ),
        };
        // The ledger as written now is warden's own.
        state.managers.stamp =
            crate::state::stamp(&ledger_path(&state.paths.state, state.managers.dry_run));
        let super::tier2::Tier2Outcome {
            records,
            announcements,
        } = outcome;
        Fact::Tier2Done {
            records,
            announcements,
            reply,
        }
    }

    /// `warden pack`: a context pack for the alerts firing now.
    pub(super) fn pack(&self, state: &State, now: Now) -> Response {
        let Some(pass) = &state.passes.current else {
            return Response::Error {
                message: "no snapshot yet".to_owned(),
            };
        };
        let ledger = match state.managers.ledger() {
            Ok(l) => l,
            Err(e) => {
                return Response::Refused {
                    refusal: super::protocol::Refusal::LedgerUnreadable {
                        error: e.to_string(),
                    },
                };
            }
        };
        let keys: Vec<String> = ledger
            .state
            .alerts
            .values()
            .filter(|a| a.is_active())
            .map(|a| a.key.clone())
            .collect();
        let id = format!("manual-{}", now.wall.format("%Y%m%dT%H%M%SZ"));
        let snapshot_dir = self.tier1.snapshot_dir();
        let packer = Packer {
            paths: &state.paths,
            snapshot_dir: &snapshot_dir,
            port: state.health.tmux_ok().then_some(self.port.as_ref()),
        };
        let policy = crate::escalate::Policy::from_config(&state.config.escalation).ok();
        match packer.make(&PackFor {
            id: &id,
            dry_run: state.managers.dry_run,
            keys: &keys,
            ledger,
            policy: policy.as_ref(),
            snapshot: &pass.snapshot,
            max_bytes: state.config.escalation.pack_max_bytes,
            now: now.wall,
            step_up: false,
        }) {
            Ok(made) => Response::Ok {
                message: made.prompt_file.to_string_lossy().into_owned(),
            },
            Err(message) => Response::Error { message },
        }
    }
}
