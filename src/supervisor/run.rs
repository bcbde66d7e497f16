//! The supervisor's loop: one thread owns all state; every input arrives as an `Event` on
//! one channel; ticks come from the receive timeout.
//!
//! ```text
//! wrappers ──datagram──┐
//! CLI ──control socket─┼──▶ channel ──▶ loop ──▶ reconcile (records, tmux) ──▶ register
//! SIGTERM/INT/HUP ─────┘                  └────▶ heartbeat (Tier 1 pass, dispatch) ──▶ snapshot
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::control::{Response, serve};
use super::event::Event;
use super::launch::Launcher;
use super::lock::{LockError, SupervisorLock};
use super::reconcile::{Facts, JobUpdate, reconcile};
use super::sources;
use super::state::{Output, Supervisor};
use crate::config::load;
use crate::dispatch::next_attempt;
use crate::register::JobEnd;
use crate::snapshot::{render_heartbeat, to_json, write_snapshot};
use crate::tmux::{Spawn, TmuxPort};
use crate::worker::{read_record, record_path};

/// How often live jobs are reconciled with their records and panes.
const RECONCILE_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub(crate) enum SuperviseError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("failed to start the supervisor: {0}")]
    Start(String),
}

impl Supervisor {
    /// Runs until SIGTERM/SIGINT or `warden down`.
    pub(crate) fn run(mut self, args_for_view: &[String]) -> Result<(), SuperviseError> {
        let _lock = SupervisorLock::acquire(&self.paths.lock)?;
        if let Err(e) = crate::state::write_atomic(
            &self.paths.state.join("layout"),
            self.layout.name.as_bytes(),
        ) {
            tracing::warn!("{e}");
        }
        self.ensure_session(args_for_view)?;
        let (tx, rx) = channel();
        sources::reports(&self.paths.reports, tx.clone()).map_err(|e| {
            SuperviseError::Start(format!(
                "failed to bind {}: {e}",
                self.paths.reports.display()
            ))
        })?;
        serve(&self.paths.control, tx.clone()).map_err(|e| SuperviseError::Start(e.to_string()))?;
        sources::os_signals(tx.clone())
            .map_err(|e| SuperviseError::Start(format!("failed to watch OS signals: {e}")))?;
        drop(tx);
        tracing::info!(
            "supervising {} on tmux socket {}",
            self.paths.root.display(),
            self.paths.tmux_socket
        );
        // Re-adopt whatever ran while no supervisor did: records first, then panes.
        self.reconcile(Self::now());
        let mut next_reconcile = Instant::now();
        let mut next_heartbeat = Instant::now();
        loop {
            let interval = self
                .tier1
                .loaded()
                .config
                .heartbeat
                .interval
                .to_std()
                .max(Duration::from_secs(1));
            if self.dirty {
                next_heartbeat = Instant::now();
            }
            let deadline = next_reconcile.min(next_heartbeat);
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Event::Worker(report)) => {
                    tracing::debug!("report from {}: {:?}", report.job, report.kind);
                    self.reconcile(Self::now());
                }
                Ok(Event::Control { request, reply }) => {
                    let answer = self.handle(request);
                    let _ = reply.send(answer);
                }
                Ok(Event::Shutdown) => {
                    tracing::info!("stopping; workers keep running");
                    break;
                }
                Ok(Event::Reload) => self.reload(),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let now = Instant::now();
            if now >= next_reconcile {
                self.reconcile(Self::now());
                self.escalate_kills();
                next_reconcile = now + RECONCILE_EVERY;
            }
            if self.stop_due() {
                break;
            }
            if self.dirty || now >= next_heartbeat {
                self.dirty = false;
                self.heartbeat(Self::now(), true);
                next_heartbeat = Instant::now() + interval;
            }
        }
        self.finish_stop();
        let _ = std::fs::remove_file(&self.paths.control);
        let _ = std::fs::remove_file(&self.paths.reports);
        Ok(())
    }

    /// One pass for cron (`heartbeat --once --dispatch-ready`): reconcile, dispatch, write
    /// the snapshot, return it. Refused while a supervisor runs (it dispatches already).
    pub(crate) fn run_once(
        mut self,
        view_args: &[String],
    ) -> Result<crate::snapshot::Snapshot, SuperviseError> {
        let _lock = SupervisorLock::acquire(&self.paths.lock)?;
        self.ensure_session(view_args)?;
        self.output = Output::Silent;
        let now = Self::now();
        self.reconcile(now);
        self.heartbeat(now, true);
        self.last_snapshot
            .take()
            .ok_or_else(|| SuperviseError::Start("the pass produced no snapshot".to_owned()))
    }

    /// Makes sure the session exists; outside `warden up` the first window is a read-only
    /// live view of the heartbeat.
    fn ensure_session(&mut self, view_args: &[String]) -> Result<(), SuperviseError> {
        // The server's pid doubles as "the session exists" (one tmux call, not two).
        self.server_pid = self.tmux.server_pid(&self.paths.session).ok();
        if self.server_pid.is_none() {
            let mut argv = vec![self.exe.to_string_lossy().into_owned()];
            argv.extend(view_args.iter().cloned());
            let spawn = Spawn {
                argv: &argv,
                cwd: &self.paths.root,
                env: &[],
            };
            self.tmux
                .start_session(
                    &self.paths.session,
                    &self.layout.supervisor_window,
                    &spawn,
                    (200, 50),
                )
                .map_err(|e| SuperviseError::Start(e.to_string()))?;
            self.server_pid = self.tmux.server_pid(&self.paths.session).ok();
        }
        Ok(())
    }

    /// SIGHUP: read `warden.toml` again, with the flags the supervisor was started with
    /// still on top. An invalid file changes nothing.
    fn reload(&mut self) {
        let old = self.tier1.loaded();
        match load(&old.root, old.file.as_deref(), &self.overrides) {
            Ok(fresh) => {
                tracing::warn!(
                    "reloaded {}",
                    fresh
                        .file
                        .as_ref()
                        .map_or_else(|| "the defaults".to_owned(), |f| f.display().to_string())
                );
                self.tier1 = crate::heartbeat::Tier1::new(fresh).watching();
                self.dirty = true;
            }
            Err(e) => tracing::error!("{e}; keeping the previous config"),
        }
    }

    /// Brings every live job up to date from its record, its pane and its log.
    pub(crate) fn reconcile(&mut self, now: DateTime<Utc>) {
        // A register that could not be read is read again each time: once a person has fixed
        // or restored it, dispatch resumes without a restart.
        if self.register.is_err() {
            self.register = self.tier1.load_register();
            if self.register.is_ok() {
                tracing::warn!("the register is readable again; dispatch resumes");
                self.dirty = true;
            }
        }
        let Ok(register) = &self.register else { return };
        let live: Vec<_> = register.live_jobs().cloned().collect();
        if live.is_empty() {
            return;
        }
        let panes = match self.tmux.list_panes(&self.paths.session) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("{e}");
                Vec::new()
            }
        };
        let mut records = BTreeMap::new();
        let mut log_mtimes = BTreeMap::new();
        for job in &live {
            match read_record(&record_path(&self.paths.jobs, &job.job)) {
                Ok(Some(r)) => {
                    records.insert(job.job.clone(), r);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("{e}"),
            }
            if let Ok(m) =
                std::fs::metadata(self.paths.root.join(&job.log_path)).and_then(|m| m.modified())
            {
                log_mtimes.insert(job.job.clone(), DateTime::<Utc>::from(m));
            }
        }
        let result = reconcile(
            &live,
            &Facts {
                panes: &panes,
                records: &records,
                log_mtimes: &log_mtimes,
                now,
            },
        );
        if result.nudge
            && let Some(pid) = self.server_pid
        {
            // tmux 3.3a (Debian) can miss a pane's SIGCHLD; another one makes it reap.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGCHLD,
            );
        }
        if result.updates.is_empty() {
            return;
        }
        let Ok(register) = &mut self.register else {
            return;
        };
        let mut notes = Vec::new();
        for update in result.updates {
            match update {
                JobUpdate::Ended { job, end, ended_at } => {
                    if let Some(j) = register.jobs.iter_mut().find(|j| j.job == job) {
                        tracing::info!("{} ({}) {end}", j.job, j.task);
                        notes.push(format!("warden: {} ({}) {end}", j.job, j.task));
                        j.ended_at = Some(ended_at);
                        j.end = Some(end);
                        self.dirty = true;
                    }
                }
                JobUpdate::Started { job, pid } => {
                    if let Some(j) = register.jobs.iter_mut().find(|j| j.job == job) {
                        j.pid = Some(pid);
                    }
                }
                JobUpdate::Pane { job, pane } => {
                    if let Some(j) = register.jobs.iter_mut().find(|j| j.job == job) {
                        j.pane = Some(pane);
                    }
                }
                JobUpdate::Output { job, at } => {
                    if let Some(j) = register.jobs.iter_mut().find(|j| j.job == job) {
                        j.last_output_at = Some(at);
                    }
                }
            }
        }
        self.save();
        for note in notes {
            self.notify(&note);
        }
    }

    /// A message in the status line of attached clients; never fails the caller.
    pub(crate) fn notify(&self, message: &str) {
        let _ = self.tmux.display_message(&self.paths.session, message);
    }

    /// One Tier 1 pass with the live register; dispatches when asked and allowed; writes the
    /// snapshot and redraws the window.
    pub(crate) fn heartbeat(&mut self, now: DateTime<Utc>, dispatch: bool) {
        self.heartbeat_with(now, dispatch, Some(crate::escalate::Step::default()));
    }

    /// One pass; `tier2` runs the escalation engine with those options (`None`: only fill
    /// the snapshot, as `warden status` does).
    pub(crate) fn heartbeat_with(
        &mut self,
        now: DateTime<Utc>,
        dispatch: bool,
        tier2: Option<crate::escalate::Step>,
    ) -> Vec<crate::escalate::DecisionRecord> {
        let pass = match self.tier1.pass_with(now, self.register.as_ref()) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("{e}");
                return Vec::new();
            }
        };
        let mut pass = pass;
        if dispatch && self.stopping.is_none() && self.dispatch_queue(&pass.plan.queue, now) > 0 {
            // The queue changed: take the snapshot again so it shows the new workers.
            match self.tier1.pass_with(now, self.register.as_ref()) {
                Ok(p) => pass = p,
                Err(e) => tracing::error!("{e}"),
            }
        }
        self.reap_dead_panes(now);
        let decisions = match tier2 {
            Some(opts) => self.tier2(&mut pass.snapshot, now, opts),
            None => {
                self.tier2_fill(&mut pass.snapshot, now);
                Vec::new()
            }
        };
        match to_json(&pass.snapshot) {
            Ok(json) => {
                let keep = self.tier1.loaded().config.heartbeat.keep_snapshots;
                if let Err(e) =
                    write_snapshot(&self.tier1.snapshot_dir(), &pass.snapshot, &json, keep)
                {
                    tracing::error!("{e}");
                }
            }
            Err(e) => tracing::error!("{e}"),
        }
        if self.output != Output::Silent {
            let text = render_heartbeat(&pass.snapshot);
            let mut out = std::io::stdout().lock();
            let _ = if self.output == Output::Redraw {
                write!(out, "\x1b[H\x1b[2J{text}")
            } else {
                writeln!(out, "{text}")
            };
            let _ = out.flush();
        }
        self.last_snapshot = Some(pass.snapshot);
        decisions
    }

    /// Starts queued tasks while worker slots are free. Returns how many started.
    fn dispatch_queue(&mut self, queue: &[String], now: DateTime<Utc>) -> usize {
        let Ok(register) = &self.register else {
            return 0; // a corrupt register refuses dispatch until a person fixes it
        };
        let max =
            usize::try_from(self.tier1.loaded().config.dispatch.max_workers).unwrap_or(usize::MAX);
        let free = max.saturating_sub(register.live_jobs().count());
        let tasks: Vec<String> = queue.iter().take(free).cloned().collect();
        let mut started = 0;
        for (task, result) in tasks.iter().zip(self.launch_many(&tasks, now)) {
            match result {
                Ok(job) => {
                    started += 1;
                    tracing::info!("dispatched {task} as {job}");
                }
                Err(e) => tracing::error!("failed to dispatch {task}: {e}"),
            }
        }
        started
    }

    /// Launches one job for `task` now.
    pub(crate) fn launch(&mut self, task: &str, now: DateTime<Utc>) -> Result<String, String> {
        self.launch_many(&[task.to_owned()], now)
            .pop()
            .unwrap_or_else(|| Err("nothing was launched".to_owned()))
    }

    /// Launches a job for each task. Every register entry is saved before anything starts
    /// (a crash in between leaves records to reconcile, never an unknown pane), and saved
    /// once more after: two register writes per round, not two per job.
    fn launch_many(&mut self, tasks: &[String], now: DateTime<Utc>) -> Vec<Result<String, String>> {
        let config = self.tier1.loaded().config.clone();
        let mut prepared = Vec::new();
        let mut results: Vec<Result<String, String>> = Vec::with_capacity(tasks.len());
        let launcher = Launcher {
            paths: &self.paths,
            config: &config,
            tmux: &self.tmux,
            layout: &self.layout,
            exe: &self.exe,
        };
        {
            let Ok(register) = &mut self.register else {
                let refused = "the register is unreadable; dispatch is refused until it is fixed";
                return tasks.iter().map(|_| Err(refused.to_owned())).collect();
            };
            for task_id in tasks {
                let Some(task) = self.tier1.task(task_id) else {
                    results.push(Err(format!("no task {task_id:?}")));
                    continue;
                };
                if register.live_jobs().any(|j| &j.task == task_id) {
                    results.push(Err(format!("{task_id} is already running")));
                    continue;
                }
                let job_id = Self::next_job_id(register);
                let record = launcher.prepare(&task, &job_id, next_attempt(register, task_id), now);
                register.jobs.push(record.clone());
                results.push(Ok(job_id));
                prepared.push((results.len() - 1, record, task));
            }
        }
        if prepared.is_empty() {
            return results;
        }
        self.save();
        let batch: Vec<_> = prepared
            .iter()
            .map(|(_, record, task)| (record.clone(), task.clone()))
            .collect();
        let outcomes = launcher.start_all(&batch);
        let mut notes = Vec::new();
        if let Ok(register) = &mut self.register {
            for ((slot, record, task), outcome) in prepared.iter().zip(outcomes) {
                let Some(entry) = register.jobs.iter_mut().find(|j| j.job == record.job) else {
                    continue;
                };
                match outcome {
                    Ok(pane) => {
                        entry.pane = Some(pane.pane_id);
                        notes.push((task.clone(), format!("{} as {}", record.task, record.job)));
                    }
                    Err(e) => {
                        entry.ended_at = Some(now);
                        entry.end = Some(JobEnd::Lost {
                            reason: format!("failed to start: {e}"),
                        });
                        results[*slot] = Err(e.to_string());
                    }
                }
            }
        }
        self.save();
        if config.dispatch.mark_started_on_dispatch {
            for (task, _) in &notes {
                self.mark_started(task, now);
            }
        }
        if !notes.is_empty() {
            // One message per round: each is a tmux client call.
            let list: Vec<&str> = notes.iter().map(|(_, n)| n.as_str()).collect();
            self.notify(&format!("warden: dispatched {}", list.join(", ")));
        }
        results
    }

    fn mark_started(&self, task: &crate::task::Task, now: DateTime<Utc>) {
        let path = self.paths.root.join(&task.path);
        let edited = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| crate::task::mark_started(&text, now).map_err(|e| e.to_string()));
        match edited {
            Ok(text) => {
                if let Err(e) = crate::state::write_atomic(&path, text.as_bytes()) {
                    tracing::error!("{e}");
                }
            }
            Err(e) => tracing::error!("failed to mark {} started: {e}", path.display()),
        }
    }

    /// The response to `warden status`: a fresh pass (without dispatch).
    pub(crate) fn status(&mut self) -> Response {
        self.heartbeat_with(Self::now(), false, None);
        match self.last_snapshot.as_ref().map(serde_json::to_value) {
            Some(Ok(snapshot)) => Response::Snapshot { snapshot },
            Some(Err(e)) => Response::Error {
                message: e.to_string(),
            },
            None => Response::Error {
                message: "no snapshot yet".to_owned(),
            },
        }
    }
}
