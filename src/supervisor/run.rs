//! The supervisor's loop: one thread owns all state; every input arrives as an `Event` on
//! one channel; ticks come from the receive timeout. Each event is read against the clock
//! once, decided (`decide.rs`, pure), and the actions are carried out depth first: what the
//! executor learns goes back to the decisions before the next queued action runs.
//!
//! ```text
//! wrappers ──datagram──┐                      ┌─ decide(event, now) ─▶ actions ─┐
//! CLI ──control socket─┼──▶ channel ──▶ loop ─┤                                  ▼
//! SIGTERM/INT/HUP ─────┘   (timeout: Tick)    └─ on_fact(fact, now) ◀─ executor (tmux port, files)
//! ```

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};

use super::action::{Action, ReplyId};
use super::control::{ControlError, serve};
use super::decide::{
    next_due, on_agent_report, on_fact, on_report, on_request, on_shutdown, timers,
};
use super::event::{Event, Now};
use super::executor::{Executor, Output};
use super::health::Health;
use super::jobs::Jobs;
use super::lock::{LockError, Role, SupervisorLock};
use super::managers::Managers;
use super::paths::RuntimePaths;
use super::protocol::Response;
use super::sources;
use super::state::{Passes, State};
use super::stop::Stop;
use crate::config::{LoadedConfig, Overrides};
use crate::escalate::{ledger_path, load_ledger};
use crate::heartbeat::Tier1;
use crate::layout::Layout;
use crate::snapshot::Snapshot;
use crate::tmux::{Spawn, TmuxError, TmuxPort};
use crate::worker::{ReportKind, Stopper};

#[derive(Debug, thiserror::Error)]
pub(crate) enum SuperviseError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("failed to start the supervisor's session: {0}")]
    Session(#[source] TmuxError),
    #[error("failed to listen on {path}: {source}")]
    Listen {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error("failed to watch OS signals: {0}")]
    Signals(#[source] std::io::Error),
    #[error("the tmux server is gone; `warden up` starts afresh")]
    TmuxGone,
    #[error("the pass produced no snapshot")]
    NoSnapshot,
    /// A folder it would write into is a link, or not private: it does not start.
    #[error(transparent)]
    Unsafe(#[from] crate::state::PathError),
}

/// How long a starting supervisor waits for a cron pass that holds the lock.
pub(crate) const PASS_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The supervisor: its state and the executor that acts for it.
#[derive(Debug)]
pub(crate) struct Supervisor {
    pub(crate) state: State,
    pub(crate) exec: Executor,
    next_reply: u64,
}

impl Supervisor {
    pub(crate) fn new(
        loaded: LoadedConfig,
        overrides: Overrides,
        layout: Layout,
        exe: PathBuf,
        port: Box<dyn TmuxPort>,
    ) -> Self {
        let paths = RuntimePaths::new(&loaded);
        let config = loaded.config.clone();
        let tier1 = Tier1::new(loaded).watching();
        let register = tier1.load_register();
        let dry_run = config.escalation.dry_run;
        let ledger_file = ledger_path(&paths.state, dry_run);
        let register_stamp = crate::state::stamp(&paths.register);
        let budget_reset = crate::usage::read_reset(&paths.state);
        let usage = register
            .as_ref()
            .map(|r| crate::usage::read_all_usage(&paths.jobs, r))
            .unwrap_or_default();
        let managers = Managers::new(
            dry_run,
            load_ledger(&ledger_file, dry_run),
            crate::state::stamp(&ledger_file),
        );
        let output = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            Output::Redraw
        } else {
            Output::Scroll
        };
        Self {
            state: State {
                paths,
                config,
                layout,
                exe,
                pid: std::process::id(),
                jobs: Jobs::new(register, register_stamp),
                health: Health::default(),
                stop: Stop::default(),
                managers,
                passes: Passes::new(),
                agents: super::agents::Agents::default(),
                usage,
                budget_reset,
            },
            exec: Executor {
                tier1,
                port,
                replies: std::collections::BTreeMap::new(),
                output,
                paint: crate::paint::Paint::OFF,
                overrides,
                stopper: Stopper::default(),
                agents: super::agent_reader::AgentReader::default(),
                accountant: super::accountant::Accountant::default(),
                screen: None,
            },
            next_reply: 0,
        }
    }

    /// Handles one event at `now`: decide, then carry out the actions depth first, each
    /// fact going back to the decisions. A stop that is due finishes here.
    pub(crate) fn handle(&mut self, event: Event, now: Now) {
        let actions = match event {
            Event::Worker(report) if report.kind == ReportKind::Agent => {
                on_agent_report(&mut self.state, now)
            }
            Event::Worker(report) => {
                tracing::debug!("report from {}: {:?}", report.job, report.kind);
                on_report(&mut self.state, now)
            }
            Event::Control { request, reply } => {
                let id = self.keep_reply(reply);
                on_request(&mut self.state, request, id, now)
            }
            Event::Shutdown => on_shutdown(&mut self.state, now),
            Event::Reload => vec![Action::Reload],
            Event::Tick => timers(&mut self.state, now),
        };
        self.carry_out(actions, now);
        if !self.state.passes.done && self.state.stop.due(&self.state.jobs, now) {
            let finish = self.state.stop.finish(&self.state.jobs);
            self.carry_out(finish, now);
            self.state.passes.done = true;
        }
    }

    fn keep_reply(&mut self, reply: Sender<Response>) -> ReplyId {
        self.next_reply += 1;
        let id = ReplyId(self.next_reply);
        self.exec.replies.insert(id, reply);
        id
    }

    fn carry_out(&mut self, actions: Vec<Action>, now: Now) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            if let Some(fact) = self.exec.execute(action, &mut self.state, now) {
                for next in on_fact(&mut self.state, fact, now).into_iter().rev() {
                    queue.push_front(next);
                }
            }
        }
    }

    /// Makes sure the session exists (outside `warden up` its first window is a read-only
    /// live view of the heartbeat) and learns the server's pid.
    fn ensure_session(&mut self, view_args: &[String]) -> Result<(), SuperviseError> {
        let port = self.exec.port.as_ref();
        let paths = &self.state.paths;
        let pid = match port.server_pid(&paths.session) {
            Ok(pid) => pid,
            Err(TmuxError::NoSession { .. } | TmuxError::NoServer { .. }) => {
                let mut argv = vec![self.state.exe.to_string_lossy().into_owned()];
                argv.extend(view_args.iter().cloned());
                let spawn = Spawn {
                    argv: &argv,
                    cwd: &paths.root,
                    env: &[],
                };
                match port.start_session(
                    &paths.session,
                    &self.state.layout.supervisor_window,
                    &spawn,
                    (200, 50),
                ) {
                    Ok(_) => {}
                    // `warden up` made it a moment ago: it is there, use it.
                    Err(TmuxError::Refused { stderr, .. })
                        if stderr.contains("duplicate session") => {}
                    Err(e) => return Err(SuperviseError::Session(e)),
                }
                port.server_pid(&paths.session)
                    .map_err(SuperviseError::Session)?
            }
            Err(e) => return Err(SuperviseError::Session(e)),
        };
        self.state.health.server_pid = Some(pid);
        Ok(())
    }

    /// Runs until SIGTERM/SIGINT, `warden down`, or the tmux server is gone.
    pub(crate) fn run(mut self, view_args: &[String]) -> Result<(), SuperviseError> {
        self.state.paths.secure()?;
        // A cron pass that holds the lock a moment is waited out, not fought.
        let _lock = SupervisorLock::acquire_after_passes(
            &self.state.paths.lock,
            Role::Supervisor,
            PASS_WAIT,
        )?;
        let paths = self.state.paths.clone();
        if let Err(e) = crate::state::write_atomic(
            &paths.state.join("layout"),
            self.state.layout.name.as_bytes(),
        ) {
            tracing::warn!("{e}");
        }
        self.ensure_session(view_args)?;
        let (tx, rx) = channel();
        sources::reports(&paths.reports, tx.clone()).map_err(|source| SuperviseError::Listen {
            path: paths.reports.clone(),
            source,
        })?;
        serve(&paths.control, tx.clone())?;
        sources::os_signals(tx.clone()).map_err(SuperviseError::Signals)?;
        drop(tx);
        if self.exec.output == Output::Redraw && crate::dashboard::enabled(true) {
            let (ack_for, colour) = (
                self.state.config.escalation.ack_for,
                self.exec.paint.is_on(),
            );
            self.exec.screen = super::screen::Screen::start(&paths, ack_for, colour);
        }
        tracing::info!(
            "supervising {} on tmux socket {}",
            paths.root.display(),
            paths.tmux_socket
        );
        self.event_loop(&rx);
        if let Some(screen) = self.exec.screen.take() {
            screen.finish();
        }
        let _ = std::fs::remove_file(&paths.control);
        let _ = std::fs::remove_file(&paths.reports);
        if self.state.health.tmux_gone.is_some() {
            return Err(SuperviseError::TmuxGone);
        }
        Ok(())
    }

    fn event_loop(&mut self, rx: &Receiver<Event>) {
        let mut pending: VecDeque<Event> = VecDeque::new();
        // The first look re-adopts whatever ran while no supervisor did: records, then panes.
        self.handle(Event::Tick, Now::read());
        while !self.state.passes.done {
            let event = match pending.pop_front() {
                Some(e) => e,
                None => {
                    // Only to know how long to wait; each event reads its own `Now`.
                    let mono = std::time::Instant::now();
                    let wait = next_due(&self.state, mono).saturating_duration_since(mono);
                    match rx.recv_timeout(wait) {
                        Ok(e) => e,
                        Err(RecvTimeoutError::Timeout) => Event::Tick,
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            if let Event::Worker(first) = &event {
                // Reports come in bursts (200 workers stopping at once, agents' hooks around
                // every tool call): one look serves all of a kind, one read all agents.
                let mut agent = first.kind == ReportKind::Agent;
                let mut worker = !agent;
                loop {
                    match rx.try_recv() {
                        Ok(Event::Worker(r)) if r.kind == ReportKind::Agent => {
                            if !agent {
                                agent = true;
                                pending.push_back(Event::Worker(r));
                            }
                        }
                        Ok(Event::Worker(r)) => {
                            if !worker {
                                worker = true;
                                pending.push_back(Event::Worker(r));
                            }
                        }
                        Ok(other) => {
                            pending.push_back(other);
                            break;
                        }
                        Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                    }
                }
            }
            self.handle(event, Now::read());
        }
    }

    /// One pass for cron (`heartbeat --once --dispatch-ready`): reconcile, dispatch, write
    /// the snapshot, return it. Refused while a supervisor runs (it dispatches already).
    pub(crate) fn run_once(mut self, view_args: &[String]) -> Result<Snapshot, SuperviseError> {
        self.state.paths.secure()?;
        let _lock = SupervisorLock::acquire(&self.state.paths.lock, Role::Pass)?;
        self.ensure_session(view_args)?;
        self.exec.output = Output::Silent;
        let now = Now::read();
        self.carry_out(
            vec![
                Action::Observe,
                // What the agents' hooks saved since the last pass: the files are the truth.
                Action::ReadAgents { publish: false },
                Action::Account,
                Action::RunPass {
                    mode: super::action::PassMode::Once,
                    dispatched: false,
                },
            ],
            now,
        );
        self.state
            .passes
            .last
            .take()
            .ok_or(SuperviseError::NoSnapshot)
    }
}
