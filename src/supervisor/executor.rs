//! The one executor: it carries out the actions the decisions return, against the tmux port
//! and the file system, and turns what it learns into `Fact`s for the next decision. It
//! decides nothing: a failure is reported back, never acted on here.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::mpsc::Sender;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::action::{
    Action, Fact, LaunchOutcome, Level, Observation, ReplyId, SaveFailure, StopSignal, TmuxFailure,
    TmuxFailureKind,
};
use super::agent_reader::AgentReader;
use super::event::Now;
use super::launch::Launcher;
use super::notifier::run_notify_command;
use super::protocol::Response;
use super::state::State;
use crate::config::{Overrides, load};
use crate::escalate::{ledger_path, save_ledger};
use crate::escape::{terminal_safe, terminal_safe_lines};
use crate::heartbeat::Tier1;
use crate::register::save_register;
use crate::snapshot::{render_heartbeat, to_json, write_snapshot};
use crate::state::{Open, open_private};
use crate::tmux::{TmuxError, TmuxPort};
use crate::worker::{Stopper, alive_named, read_record, record_path};

/// How each heartbeat is shown on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    /// Clear and redraw (its own tmux window).
    Redraw,
    /// Print one after the other (a pipe, a log).
    Scroll,
    /// Print nothing (a one-shot pass whose caller prints).
    Silent,
}

#[derive(Debug)]
pub(crate) struct Executor {
    /// The task store and the config it was loaded with.
    pub(crate) tier1: Tier1,
    pub(crate) port: Box<dyn TmuxPort>,
    /// Control requests waiting for their answer.
    pub(crate) replies: BTreeMap<ReplyId, Sender<Response>>,
    pub(crate) output: Output,
    /// Whether the heartbeat printed here is coloured (`--color`; off until told).
    pub(crate) paint: crate::paint::Paint,
    /// The flags the supervisor was started with, applied again on reload.
    pub(crate) overrides: Overrides,
    /// The process trees of the jobs being stopped, from their SIGTERM to their SIGKILL.
    pub(crate) stopper: Stopper,
    pub(crate) agents: AgentReader,
    pub(crate) accountant: super::accountant::Accountant,
    /// The dashboard in the `warden` window, when it runs.
    pub(crate) screen: Option<super::screen::Screen>,
}

/// How long a message that matters stays in the status line (tmux's default is under a
/// second: an agent waiting for you must not flash by).
const HELD_MESSAGE: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) fn failure(e: &TmuxError) -> TmuxFailure {
    TmuxFailure {
        kind: match e {
            TmuxError::NoSession { .. } => TmuxFailureKind::NoSession,
            e if e.is_unanswered() => TmuxFailureKind::Unanswered,
            _ => TmuxFailureKind::Refused,
        },
        message: e.to_string(),
    }
}

impl Executor {
    pub(crate) fn execute(&mut self, action: Action, state: &mut State, now: Now) -> Option<Fact> {
        match action {
            Action::Observe => Some(Fact::Observed(Box::new(self.observe(state)))),
            Action::Save { then, durable } => {
                let path = &state.paths.register;
                if state.jobs.register.is_ok() && crate::state::stamp(path) != state.jobs.stamp {
                    // Edited by hand since warden last wrote it: theirs is read, not
                    // overwritten.
                    return Some(Fact::RegisterChanged {
                        register: self.tier1.load_register(),
                        stamp: crate::state::stamp(path),
                        then,
                    });
                }
                let result = match &state.jobs.register {
                    Ok(register) => save_register(&state.paths.register, register, durable)
                        .map_err(|e| SaveFailure {
                            path: state.paths.register.clone(),
                            error: match e {
                                crate::register::RegisterError::Write(w) => w.reason(),
                                other => other.to_string(),
                            },
                        }),
                    // A broken register is never overwritten from memory.
                    Err(_) => Ok(()),
                };
                Some(Fact::Saved {
                    then,
                    result,
                    stamp: crate::state::stamp(path),
                })
            }
            Action::RunPass { mode, dispatched } => {
                let mut runtime = state.health.runtime();
                runtime.limits = state.agents.limits.in_force(now.wall);
                runtime.unconfirmed = state.agents.limits.unconfirmed();
                let pass = Box::new(self.tier1.pass_with(
                    now.wall,
                    state.jobs.register.as_ref(),
                    &runtime,
                    crate::heartbeat::Seen {
                        agents: &state.agents.records,
                        usage: &state.usage,
                        budget_reset: state.budget_reset,
                    },
                ));
                Some(Fact::Passed {
                    mode,
                    dispatched,
                    pass,
                })
            }
            Action::Launch { jobs, mode, last } => {
                let outcomes = self.launch(state, &jobs);
                Some(Fact::Launched {
                    mode,
                    outcomes,
                    last,
                })
            }
            Action::Release { job } => {
                let go = state.paths.go_file(&job);
                open_private(&go, Open::Create)
                    .err()
                    .map(|e| Fact::ReleaseFailed {
                        job,
                        error: e.to_string(),
                    })
            }
            Action::Signal { jobs, signal } => {
                // A job that ended has no leader to trust (its pid may be reused): only what
                // was found at its SIGTERM is signalled.
                let targets: Vec<(String, Option<u32>)> = jobs
                    .iter()
                    .map(|j| {
                        let leader = state.jobs.is_live(j).then(|| self.leader(state, j));
                        (j.clone(), leader.flatten())
                    })
                    .collect();
                match signal {
                    StopSignal::Term => self.stopper.signal(&targets, Signal::SIGTERM),
                    StopSignal::Kill | StopSignal::Last { .. } => {
                        if let StopSignal::Last { until } = signal {
                            self.stopper.wait(&jobs, until);
                        }
                        self.stopper.signal(&targets, Signal::SIGKILL);
                        self.stopper.forget(&jobs);
                    }
                }
                None
            }
            Action::NudgeTmux => {
                self.signal_server(state, Signal::SIGCHLD);
                None
            }
            Action::RecreateSocket => {
                self.signal_server(state, Signal::SIGUSR1);
                None
            }
            Action::Reap { task, job, pane } => {
                let screen = state.paths.screen_for(&task, &job);
                match self.port.capture_pane(&pane) {
                    Ok(text) => {
                        if let Err(e) = crate::state::write_atomic(&screen, text.as_bytes()) {
                            tracing::warn!("{e}");
                        }
                    }
                    Err(e) => tracing::warn!("{e}"),
                }
                if let Err(e) = self.port.kill_pane(&pane) {
                    tracing::warn!("{e}");
                }
                None
            }
            Action::MarkStarted { task } => {
                self.mark_started(state, &task, now);
                None
            }
            // Messages quote task ids and paths: escaped here, where they leave for a
            // terminal, the status line or a person's notifier, and nowhere before.
            Action::Notify { message } => {
                self.notify(state, &terminal_safe(&message), false);
                None
            }
            Action::Announce { message } => {
                let message = terminal_safe(&message);
                tracing::warn!("{message}");
                self.notify(state, &message, true);
                run_notify_command(&state.config.escalation.notify_command, &message, &[]);
                None
            }
            Action::Account => Some(Fact::Accounted {
                records: self.accountant.account(state, now.wall),
                reset: crate::usage::read_reset(&state.paths.state),
            }),
            Action::ReadAgents { publish } => Some(Fact::AgentsRead {
                records: self
                    .agents
                    .read(&state.paths.jobs, state.jobs.register.as_ref().ok()),
                publish,
            }),
            Action::Mark { marks } => {
                self.mark(state, &marks);
                None
            }
            Action::SetStatusRight { text } => {
                self.set_status_right(state, &text);
                None
            }
            action @ (Action::AgentNotice { .. } | Action::TypeLine { .. }) => {
                self.agent_action(action, state);
                None
            }
            Action::Log { level, message } => {
                // A config error keeps its excerpt's lines.
                let message = terminal_safe_lines(&message);
                match level {
                    Level::Info => tracing::info!("{message}"),
                    Level::Warn => tracing::warn!("{message}"),
                    Level::Error => tracing::error!("{message}"),
                }
                None
            }
            Action::Tier2 {
                mode,
                dry_run,
                reply,
            } => Some(self.tier2(state, mode, dry_run, reply, now)),
            Action::Publish => {
                self.publish(state);
                Some(Fact::Published)
            }
            Action::Pack { reply } => {
                let response = self.pack(state, now);
                self.reply(reply, response);
                None
            }
            Action::Reply { to, response } => {
                self.reply(to, response);
                None
            }
            Action::ReplySnapshot { to } => {
                let response = match state.passes.last.as_ref().map(serde_json::to_value) {
                    Some(Ok(snapshot)) => Response::Snapshot { snapshot },
                    Some(Err(e)) => Response::Error {
                        message: e.to_string(),
                    },
                    None => Response::Error {
                        message: "no snapshot yet".to_owned(),
                    },
                };
                self.reply(to, response);
                None
            }
            Action::AlertOp { key, op, reply } => {
                // On the ledger as it is on disk now (a person may have edited it).
                self.managers_for(state, state.config.escalation.dry_run);
                let response = match state.managers.ledger_mut() {
                    Err(e) => Response::Refused {
                        refusal: super::protocol::Refusal::LedgerUnreadable {
                            error: e.to_string(),
                        },
                    },
                    Ok(ledger) => {
                        match crate::escalate::apply_alert_op(&mut ledger.state, &key, op, now.wall)
                        {
                            Ok(message) => {
                                let path = ledger_path(&state.paths.state, ledger.dry_run);
                                match save_ledger(&path, ledger) {
                                    Ok(()) => {
                                        state.managers.stamp = crate::state::stamp(&path);
                                        Response::Ok { message }
                                    }
                                    Err(e) => Response::Error {
                                        message: e.to_string(),
                                    },
                                }
                            }
                            Err(e) => Response::Refused {
                                refusal: super::protocol::Refusal::Alert {
                                    error: e.to_string(),
                                },
                            },
                        }
                    }
                };
                self.reply(reply, response);
                None
            }
            Action::Reload => {
                let old = self.tier1.loaded();
                let fresh = load(&old.root, old.file.as_deref(), &self.overrides);
                Some(Fact::Reloaded {
                    config: match fresh {
                        Ok(loaded) => {
                            let config = Box::new(loaded.config.clone());
                            self.tier1 = Tier1::new(loaded).watching();
                            Ok(config)
                        }
                        Err(e) => Err(e.to_string()),
                    },
                })
            }
            Action::KillServer => {
                if let Err(e) = self.port.kill_server() {
                    tracing::warn!("{e}");
                }
                None
            }
        }
    }

    /// One look: panes, the live jobs' records and log times, the socket, the server.
    fn observe(&self, state: &State) -> Observation {
        let register_stamp = crate::state::stamp(&state.paths.register);
        let panes = if state.health.tmux_gone.is_some() {
            // Nothing to ask: the server is gone.
            Ok(Vec::new())
        } else {
            self.port
                .list_panes(&state.paths.session)
                .map_err(|e| failure(&e))
        };
        let mut records = BTreeMap::new();
        let mut log_mtimes = BTreeMap::new();
        for job in state.jobs.live() {
            match read_record(&record_path(&state.paths.jobs, &job.job)) {
                Ok(Some(r)) => {
                    records.insert(job.job.clone(), r);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("{e}"),
            }
            if let Ok(m) =
                std::fs::metadata(state.paths.root.join(&job.log_path)).and_then(|m| m.modified())
            {
                log_mtimes.insert(job.job.clone(), m.into());
            }
        }
        Observation {
            panes,
            records,
            log_mtimes,
            socket_exists: std::fs::symlink_metadata(&state.paths.tmux_socket_file).is_ok(),
            server_alive: state
                .health
                .server_pid
                .and_then(|p| u32::try_from(p).ok())
                .map(|p| alive_named(p, "tmux")),
            register: (state.jobs.register.is_err() || register_stamp != state.jobs.stamp)
                .then(|| self.tier1.load_register()),
            register_stamp,
        }
    }

    fn launch(&self, state: &State, jobs: &[String]) -> Vec<(String, LaunchOutcome)> {
        let Some(pass) = &state.passes.current else {
            return jobs
                .iter()
                .map(|j| {
                    (
                        j.clone(),
                        LaunchOutcome::Failed("no pass to launch from".into()),
                    )
                })
                .collect();
        };
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for id in jobs {
            match state
                .jobs
                .get(id)
                .and_then(|r| pass.task(&r.task).map(|t| (r, t)))
            {
                Some(pair) => found.push(pair),
                None => {
                    missing.push((id.clone(), LaunchOutcome::Failed("its task is gone".into())))
                }
            }
        }
        let launcher = Launcher {
            paths: &state.paths,
            config: &state.config,
            port: self.port.as_ref(),
            layout: &state.layout,
            exe: &state.exe,
            jobs: state
                .jobs
                .register
                .as_ref()
                .map_or(&[], |r| r.jobs.as_slice()),
        };
        let outcomes = launcher.launch(&found);
        found
            .iter()
            .map(|(r, _)| r.job.clone())
            .zip(outcomes)
            .chain(missing)
            .collect()
    }

    /// The pane process (group leader) of a live job: from the last look at tmux, else from
    /// the wrapper's own record.
    fn leader(&self, state: &State, job: &str) -> Option<u32> {
        let from_tmux = state.passes.panes.as_ref().and_then(|panes| {
            panes
                .iter()
                .find(|p| p.job.as_deref() == Some(job) && !p.dead)
                .and_then(|p| p.pane_pid)
        });
        from_tmux.or_else(|| {
            read_record(&record_path(&state.paths.jobs, job))
                .ok()
                .flatten()
                .and_then(|r| r.wrapper_pid)
        })
    }

    fn signal_server(&self, state: &State, signal: Signal) {
        if let Some(pid) = state.health.server_pid
            && u32::try_from(pid).is_ok_and(|p| alive_named(p, "tmux"))
        {
            let _ = kill(Pid::from_raw(pid), signal);
        }
    }

    /// A message in the status line of attached clients; never fails the caller, and is
    /// skipped while tmux does not answer (each try would cost a timeout). One that
    /// matters (`held`: an agent needs you, a decision) stays up for `HELD_MESSAGE`, with
    /// a bell.
    pub(super) fn notify(&self, state: &State, message: &str, held: bool) {
        if held {
            self.ring();
        }
        if state.health.tmux_ok() {
            let hold = held.then_some(HELD_MESSAGE);
            let _ = self
                .port
                .display_message(&state.paths.session, message, hold);
        }
    }

    fn reply(&mut self, to: ReplyId, response: Response) {
        if let Some(tx) = self.replies.remove(&to) {
            let _ = tx.send(response);
        }
    }

    fn mark_started(&self, state: &State, task: &str, now: Now) {
        let Some(path) = state
            .passes
            .current
            .as_ref()
            .and_then(|p| p.task(task))
            .map(|t| state.paths.root.join(&t.path))
        else {
            return;
        };
        let edited = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| crate::task::mark_started(&text, now.wall).map_err(|e| e.to_string()));
        match edited {
            Ok(text) => {
                // A task file of the repository: it keeps its own mode.
                let mode = crate::state::FileMode::Existing;
                if let Err(e) = crate::state::write_atomic_as(&path, text.as_bytes(), mode) {
                    tracing::error!("{e}");
                }
            }
            Err(e) => tracing::error!("failed to mark {} started: {e}", path.display()),
        }
    }

    /// Writes the current snapshot and shows the heartbeat; it becomes the last one.
    fn publish(&mut self, state: &mut State) {
        let Some(pass) = state.passes.current.as_ref() else {
            return;
        };
        let snapshot = &pass.snapshot;
        match to_json(snapshot) {
            Ok(json) => {
                let keep = state.config.heartbeat.keep_snapshots;
                if let Err(e) = write_snapshot(&self.tier1.snapshot_dir(), snapshot, &json, keep) {
                    tracing::error!("{e}");
                }
            }
            Err(e) => tracing::error!("{e}"),
        }
        let shown = self
            .screen
            .as_ref()
            .is_some_and(|screen| screen.show(snapshot));
        if !shown {
            // No dashboard, or it is gone: the window shows the plain heartbeat from now on.
            self.screen = None;
        }
        if !shown && self.output != Output::Silent {
            let text = render_heartbeat(snapshot, self.paint);
            let mut out = std::io::stdout().lock();
            // A closed terminal (the session gone) must not stop the supervisor.
            let _ = if self.output == Output::Redraw {
                write!(out, "\x1b[H\x1b[2J{text}")
            } else {
                writeln!(out, "{text}")
            };
            let _ = out.flush();
        }
        state.passes.last = Some(snapshot.clone());
    }
}
