//! What the operator asks of a running supervisor (`dispatch`, `retry`, `kill`, `down`,
//! `status`), stopping workers by their process group, and reaping dead panes.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::control::{Request, Response};
use super::state::{PendingKill, Stopping, Supervisor};
use crate::config::HumanDuration;
use crate::tmux::TmuxPort;

fn ok(message: impl Into<String>) -> Response {
    Response::Ok {
        message: message.into(),
    }
}

fn error(message: impl Into<String>) -> Response {
    Response::Error {
        message: message.into(),
    }
}

impl Supervisor {
    pub(crate) fn handle(&mut self, request: Request) -> Response {
        let now = Self::now();
        match request {
            Request::Ping => ok(format!("supervisor {} is running", std::process::id())),
            Request::Status => self.status(),
            Request::Dispatch { task } => {
                // A fresh pass first, so a task file written a moment ago is known.
                self.heartbeat(now, false);
                match self.launch(&task, now) {
                    Ok(job) => {
                        self.dirty = true;
                        ok(format!("dispatched {task} as {job}"))
                    }
                    Err(e) => error(e),
                }
            }
            Request::Retry { task } => {
                let Ok(register) = &mut self.register else {
                    return error("the register is unreadable; fix it first");
                };
                let Some(last) = register
                    .jobs
                    .iter()
                    .filter(|j| j.task == task)
                    .map(|j| j.attempt)
                    .max()
                else {
                    return error(format!("{task} has never been dispatched"));
                };
                register.retries.insert(task.clone(), last);
                self.save();
                self.dirty = true;
                ok(format!(
                    "{task}: attempts reset; it is dispatched again when it is ready and a slot is free"
                ))
            }
            Request::Kill { task, timeout_secs } => {
                let Ok(register) = &mut self.register else {
                    return error("the register is unreadable; fix it first");
                };
                let Some(job) = register
                    .jobs
                    .iter_mut()
                    .find(|j| j.task == task && j.is_live())
                else {
                    return error(format!("{task} has no running worker"));
                };
                job.killed = true;
                let id = job.job.clone();
                self.save();
                self.terminate(&id, Duration::from_secs(timeout_secs));
                ok(format!(
                    "sent SIGTERM to {id} ({task}); SIGKILL follows after {}",
                    HumanDuration::from_secs(timeout_secs)
                ))
            }
            Request::Escalate { dry_run } => self.escalate_now(dry_run),
            Request::Alert { op, key, secs } => self.alert_op(&op, &key, secs, now),
            Request::Pack => self.pack_now(now),
            Request::Stop {
                kill_workers,
                timeout_secs,
            } => {
                let timeout = Duration::from_secs(timeout_secs);
                if kill_workers {
                    let mut live = Vec::new();
                    if let Ok(register) = &mut self.register {
                        for job in register.jobs.iter_mut().filter(|j| j.is_live()) {
                            job.stopped = true;
                            live.push(job.job.clone());
                        }
                    }
                    self.save();
                    for job in &live {
                        self.terminate(job, timeout);
                    }
                }
                self.stopping = Some(Stopping {
                    kill_workers,
                    deadline: Instant::now() + timeout,
                });
                ok(if kill_workers {
                    "stopping the workers, then the supervisor and the session"
                } else {
                    "stopping the supervisor; the workers keep running"
                })
            }
        }
    }

    /// The process group of a job's pane: tmux makes the pane's process (the wrapper) a
    /// session leader, and the agent is in its group.
    fn pane_group(&self, job: &str) -> Option<Pid> {
        let panes = self.tmux.list_panes(&self.paths.session).ok()?;
        let pane = panes
            .iter()
            .find(|p| p.job.as_deref() == Some(job) && !p.dead)?;
        pane.pane_pid
            .and_then(|p| i32::try_from(p).ok())
            .map(Pid::from_raw)
    }

    fn signal_job(&self, job: &str, signal: Signal) -> bool {
        match self.pane_group(job) {
            Some(group) => kill(Pid::from_raw(-group.as_raw()), signal).is_ok(),
            None => false,
        }
    }

    /// SIGTERM now; `escalate_kills` sends SIGKILL after `timeout`.
    fn terminate(&mut self, job: &str, timeout: Duration) {
        if self.signal_job(job, Signal::SIGTERM) {
            self.kills.push(PendingKill {
                job: job.to_owned(),
                deadline: Instant::now() + timeout,
            });
        }
    }

    fn is_live(&self, job: &str) -> bool {
        self.register
            .as_ref()
            .is_ok_and(|r| r.jobs.iter().any(|j| j.job == job && j.is_live()))
    }

    /// SIGKILL for workers that outlived their SIGTERM.
    pub(crate) fn escalate_kills(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .kills
            .iter()
            .filter(|k| k.deadline <= now)
            .map(|k| k.job.clone())
            .collect();
        for job in &due {
            if self.is_live(job) {
                tracing::warn!("{job} ignored SIGTERM; sending SIGKILL");
                self.signal_job(job, Signal::SIGKILL);
            }
        }
        let kills = std::mem::take(&mut self.kills);
        self.kills = kills
            .into_iter()
            .filter(|k| k.deadline > now && self.is_live(&k.job))
            .collect();
    }

    /// True when a requested stop can finish: right away without `--kill-workers`, else
    /// once every worker ended or the timeout passed.
    pub(crate) fn stop_due(&self) -> bool {
        match self.stopping {
            None => false,
            Some(s) if !s.kill_workers => true,
            Some(s) => {
                let live = self.register.as_ref().map_or(0, |r| r.live_jobs().count());
                live == 0 || Instant::now() >= s.deadline + Duration::from_millis(500)
            }
        }
    }

    /// After the loop: with `--kill-workers`, SIGKILL what is left and remove the session
    /// (the private server goes with it).
    pub(crate) fn finish_stop(&mut self) {
        let Some(stop) = self.stopping else { return };
        if !stop.kill_workers {
            return;
        }
        let live: Vec<String> = self
            .register
            .as_ref()
            .map(|r| r.live_jobs().map(|j| j.job.clone()).collect())
            .unwrap_or_default();
        for job in &live {
            self.signal_job(job, Signal::SIGKILL);
        }
        self.reconcile(Self::now());
        self.save();
        if let Err(e) = self.tmux.kill_server() {
            tracing::warn!("{e}");
        }
    }

    /// Dead worker panes stay readable for `keep_dead_panes`; then their last screen is saved
    /// beside the log and the pane is closed.
    pub(crate) fn reap_dead_panes(&mut self, now: DateTime<Utc>) {
        let keep = self
            .tier1
            .loaded()
            .config
            .dispatch
            .keep_dead_panes
            .to_chrono();
        let Ok(register) = &self.register else { return };
        let Ok(panes) = self.tmux.list_panes(&self.paths.session) else {
            return;
        };
        for pane in panes.iter().filter(|p| p.dead) {
            let Some(job) = pane
                .job
                .as_deref()
                .and_then(|id| register.jobs.iter().find(|j| j.job == id))
            else {
                continue;
            };
            let Some(ended) = job.ended_at else { continue };
            if ended + keep > now {
                continue;
            }
            let screen = self.paths.screen_for(&job.task, &job.job);
            match self.tmux.capture_pane(&pane.pane_id) {
                Ok(text) => {
                    if let Err(e) = crate::state::write_atomic(&screen, text.as_bytes()) {
                        tracing::warn!("{e}");
                    }
                }
                Err(e) => tracing::warn!("{e}"),
            }
            if let Err(e) = self.tmux.kill_pane(&pane.pane_id) {
                tracing::warn!("{e}");
            }
        }
    }
}
