//! Stopping workers and the supervisor: `warden kill` (SIGTERM now, SIGKILL after the
//! timeout) and `warden down [--kill-workers]`. Pure: the requests and the clock in, the
//! register marked and the signals to send out.

use std::time::{Duration, Instant};

use super::action::{Action, AfterSave, StopSignal};
use super::event::Now;
use super::jobs::Jobs;
use super::protocol::Refusal;
use crate::config::{Dispatch, OnBreach};
use crate::detect::{Signal, SignalCode, Subject};

/// A worker being stopped: SIGTERM sent, SIGKILL at `deadline` if it is still alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingKill {
    pub(crate) job: String,
    pub(crate) deadline: Instant,
}

/// `warden down`: stop the workers too, or only the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stopping {
    pub(crate) kill_workers: bool,
    pub(crate) deadline: Instant,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Stop {
    pub(crate) kills: Vec<PendingKill>,
    pub(crate) stopping: Option<Stopping>,
    /// The jobs `down --kill-workers` sent SIGTERM: their trees get the last SIGKILL.
    pub(crate) stopped: Vec<String>,
}

/// How long a job stopped for a breach gets between SIGTERM and SIGKILL.
const BREACH_TIMEOUT: Duration = Duration::from_secs(10);

/// How long past its deadline a `down --kill-workers` waits for the last records.
const GRACE: Duration = Duration::from_millis(500);

impl Stop {
    /// `warden kill TASK`: marked killed (no automatic rerun), SIGTERM now.
    pub(crate) fn kill(
        &mut self,
        jobs: &mut Jobs,
        task: &str,
        timeout: Duration,
        now: Now,
    ) -> Result<(String, Vec<Action>), Refusal> {
        let Ok(register) = &mut jobs.register else {
            return Err(Refusal::RegisterUnreadable);
        };
        let Some(job) = register
            .jobs
            .iter_mut()
            .find(|j| j.task == task && j.is_live())
        else {
            return Err(Refusal::NoWorker {
                task: task.to_owned(),
            });
        };
        job.killed = true;
        let id = job.job.clone();
        self.kills.push(PendingKill {
            job: id.clone(),
            deadline: now.mono + timeout,
        });
        Ok((
            id.clone(),
            vec![
                Action::Save {
                    then: AfterSave::Nothing,
                    durable: true,
                },
                Action::Signal {
                    jobs: vec![id],
                    signal: StopSignal::Term,
                },
            ],
        ))
    }

    /// `warden down`: with `kill_workers`, every live job is marked stopped (not a failure,
    /// dispatched again on the next `up`) and sent SIGTERM.
    pub(crate) fn stop(
        &mut self,
        jobs: &mut Jobs,
        kill_workers: bool,
        timeout: Duration,
        now: Now,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        if kill_workers && let Ok(register) = &mut jobs.register {
            let mut live = Vec::new();
            for job in register.jobs.iter_mut().filter(|j| j.is_live()) {
                job.stopped = true;
                live.push(job.job.clone());
            }
            if !live.is_empty() {
                actions.push(Action::Save {
                    then: AfterSave::Nothing,
                    durable: true,
                });
                self.stopped.clone_from(&live);
                actions.push(Action::Signal {
                    jobs: live,
                    signal: StopSignal::Term,
                });
            }
        }
        self.stopping = Some(Stopping {
            kill_workers,
            deadline: now.mono + timeout,
        });
        actions
    }

    /// `on_ineligible`/`on_overtime = "stop"`: each job a signal names is stopped once, as
    /// `warden kill` does. A job whose task became ineligible is recorded as stopped (not a
    /// failure: its task needs no more work); one past `max_runtime` ends as a failed attempt,
    /// so backoff and `max_attempts` keep it from running over and over.
    pub(crate) fn breaches(
        &mut self,
        jobs: &mut Jobs,
        signals: &[Signal],
        dispatch: &Dispatch,
        now: Now,
    ) -> Vec<Action> {
        let Ok(register) = &mut jobs.register else {
            return Vec::new();
        };
        let mut stopping = Vec::new();
        let mut actions = Vec::new();
        for s in signals {
            let (rule, not_a_failure) = match s.code {
                SignalCode::TaskIneligible if dispatch.on_ineligible == OnBreach::Stop => {
                    ("on_ineligible", true)
                }
                SignalCode::JobOvertime if dispatch.on_overtime == OnBreach::Stop => {
                    ("on_overtime", false)
                }
                _ => continue,
            };
            let Subject::Worker(id) = &s.subject else {
                continue;
            };
            let Some(job) = register
                .jobs
                .iter_mut()
                .find(|j| &j.job == id && j.is_live() && !j.stopped && !j.killed)
            else {
                continue;
            };
            if self.kills.iter().any(|k| &k.job == id) {
                continue;
            }
            job.stopped = not_a_failure;
            stopping.push(id.clone());
            self.kills.push(PendingKill {
                job: id.clone(),
                deadline: now.mono + BREACH_TIMEOUT,
            });
            actions.push(Action::Log {
                level: super::action::Level::Warn,
                message: format!("stopping {id} ({rule} = \"stop\"): {}", s.message),
            });
        }
        if stopping.is_empty() {
            return actions;
        }
        actions.push(Action::Save {
            then: AfterSave::Nothing,
            durable: true,
        });
        actions.push(Action::Signal {
            jobs: stopping,
            signal: StopSignal::Term,
        });
        actions
    }

    /// SIGKILL at the deadline for what is left of each killed job's tree: the worker if it
    /// ignored SIGTERM, or a child of it that outlived its end.
    pub(crate) fn tick(&mut self, jobs: &Jobs, now: Now) -> Vec<Action> {
        let due: Vec<String> = self
            .kills
            .iter()
            .filter(|k| k.deadline <= now.mono)
            .map(|k| k.job.clone())
            .collect();
        self.kills.retain(|k| k.deadline > now.mono);
        if due.is_empty() {
            return Vec::new();
        }
        let ignored: Vec<&str> = due
            .iter()
            .filter(|j| jobs.is_live(j))
            .map(String::as_str)
            .collect();
        let mut actions = Vec::new();
        if !ignored.is_empty() {
            actions.push(Action::Log {
                level: super::action::Level::Warn,
                message: format!("{} ignored SIGTERM; sending SIGKILL", ignored.join(", ")),
            });
        }
        actions.push(Action::Signal {
            jobs: due,
            signal: StopSignal::Kill,
        });
        actions
    }

    /// When this part next needs the loop: a SIGKILL due, or the end of a stop's grace.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        let kills = self.kills.iter().map(|k| k.deadline);
        let stop = self.stopping.map(|s| s.deadline + GRACE);
        kills.chain(stop).min()
    }

    /// True when a requested stop can finish: right away without `--kill-workers`, else
    /// once every worker ended or the timeout (and a short grace for records) passed.
    pub(crate) fn due(&self, jobs: &Jobs, now: Now) -> bool {
        match self.stopping {
            None => false,
            Some(s) if !s.kill_workers => true,
            Some(s) => jobs.live().is_empty() || now.mono >= s.deadline + GRACE,
        }
    }

    /// What `down --kill-workers` does last: SIGKILL what is left of the stopped jobs'
    /// trees (once the timeout passed: children of jobs that ended may still be finishing),
    /// a last look so the ends are recorded, then the session and its server go.
    pub(crate) fn finish(&self, jobs: &Jobs) -> Vec<Action> {
        let Some(stopping) = self.stopping.filter(|s| s.kill_workers) else {
            return Vec::new();
        };
        let live: Vec<String> = jobs.live().iter().map(|j| j.job.clone()).collect();
        let mut all = self.stopped.clone();
        all.extend(live.iter().filter(|j| !self.stopped.contains(j)).cloned());
        let mut actions = Vec::new();
        if !all.is_empty() {
            actions.push(Action::Signal {
                jobs: all,
                signal: StopSignal::Last {
                    until: stopping.deadline,
                },
            });
        }
        if !live.is_empty() {
            actions.push(Action::Observe);
        }
        actions.push(Action::KillServer);
        actions
    }
}
