//! The supervisor's own footing: whether its tmux server answers, whether its socket file is
//! there, whether the server still exists, and whether warden can save its state. Pure: an
//! observation in, the state updated and the actions it calls for out.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::action::{Action, Level, Observation, TmuxFailureKind};
use crate::detect::{RuntimeHealth, Trouble, Unwritable};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Health {
    /// The tmux server's pid, learned at start (for the SIGCHLD nudge, SIGUSR1, liveness).
    pub(crate) server_pid: Option<i32>,
    /// tmux has not answered since then.
    pub(crate) tmux_failing: Option<Trouble>,
    /// The server's process is gone.
    pub(crate) tmux_gone: Option<Trouble>,
    /// The socket file was found missing (told once per time it goes missing).
    pub(crate) socket_missing: bool,
    /// Saving the register fails.
    pub(crate) unwritable: Option<Unwritable>,
}

impl Health {
    /// What a look at tmux says about it.
    pub(crate) fn observe(
        &mut self,
        obs: &Observation,
        socket: &std::path::Path,
        now: DateTime<Utc>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        let alive = obs.server_alive;
        if !obs.socket_exists && alive == Some(true) {
            // A /tmp cleaner removed it; the server re-creates it on SIGUSR1 and its clients
            // (and workers) never notice.
            if !self.socket_missing {
                actions.push(Action::Log {
                    level: Level::Warn,
                    message: format!(
                        "the tmux socket {} was deleted; asking the server (pid {}) to recreate it",
                        socket.display(),
                        self.server_pid.unwrap_or_default()
                    ),
                });
            }
            self.socket_missing = true;
            actions.push(Action::RecreateSocket);
        } else if obs.socket_exists && self.socket_missing {
            self.socket_missing = false;
            actions.push(Action::Log {
                level: Level::Info,
                message: format!("the tmux socket {} is back", socket.display()),
            });
        }
        match &obs.panes {
            Ok(_) => self.answered(&mut actions),
            Err(f) if f.kind != TmuxFailureKind::Unanswered => self.answered(&mut actions),
            Err(f) => {
                if alive == Some(false) && self.tmux_gone.is_none() {
                    let error = format!(
                        "its server (pid {}) no longer exists: {}",
                        self.server_pid.unwrap_or_default(),
                        f.message
                    );
                    actions.push(Action::Log {
                        level: Level::Error,
                        message: format!("tmux is gone: {error}"),
                    });
                    self.tmux_gone = Some(Trouble { since: now, error });
                }
                match &mut self.tmux_failing {
                    Some(t) => t.error.clone_from(&f.message),
                    None => {
                        actions.push(Action::Log {
                            level: Level::Warn,
                            message: format!(
                                "tmux does not answer ({}); nothing is dispatched or judged until it does",
                                f.message
                            ),
                        });
                        self.tmux_failing = Some(Trouble {
                            since: now,
                            error: f.message.clone(),
                        });
                    }
                }
            }
        }
        actions
    }

    /// A call other than the look went unanswered (a launch): tmux is failing from now.
    pub(crate) fn unanswered(&mut self, error: &str, now: DateTime<Utc>) -> Option<Action> {
        if self.tmux_failing.is_some() {
            return None;
        }
        self.tmux_failing = Some(Trouble {
            since: now,
            error: error.to_owned(),
        });
        Some(Action::Log {
            level: Level::Warn,
            message: format!(
                "tmux does not answer ({error}); nothing is dispatched or judged until it does"
            ),
        })
    }

    fn answered(&mut self, actions: &mut Vec<Action>) {
        if let Some(t) = self.tmux_failing.take() {
            actions.push(Action::Log {
                level: Level::Warn,
                message: format!(
                    "tmux answers again (it had not since {})",
                    t.since.format("%H:%M:%S UTC")
                ),
            });
        }
    }

    /// tmux answered the last time it was asked, and its server exists.
    pub(crate) fn tmux_ok(&self) -> bool {
        self.tmux_failing.is_none() && self.tmux_gone.is_none()
    }

    pub(crate) fn save_failed(&mut self, path: PathBuf, error: String, now: DateTime<Utc>) {
        match &mut self.unwritable {
            Some(u) if u.path == path => u.error = error,
            _ => {
                self.unwritable = Some(Unwritable {
                    path,
                    since: now,
                    error,
                });
            }
        }
    }

    /// A save worked: returns the line to log when that ends an unwritable spell.
    pub(crate) fn saved(&mut self) -> Option<Action> {
        self.unwritable.take().map(|u| Action::Log {
            level: Level::Warn,
            message: format!("{} can be saved again; dispatch resumes", u.path.display()),
        })
    }

    /// For detection: the signals only the supervisor can raise.
    pub(crate) fn runtime(&self) -> RuntimeHealth {
        RuntimeHealth {
            tmux_failing: self.tmux_failing.clone(),
            tmux_gone: self.tmux_gone.clone(),
            unwritable: self.unwritable.clone(),
            ..RuntimeHealth::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::supervisor::action::TmuxFailure;

    fn t(s: i64) -> DateTime<Utc> {
        crate::clock::test_now() + chrono::TimeDelta::seconds(s)
    }

    fn obs(panes: Result<(), TmuxFailureKind>, socket: bool, alive: Option<bool>) -> Observation {
        Observation {
            panes: panes.map(|()| Vec::new()).map_err(|kind| TmuxFailure {
                kind,
                message: "failed to run tmux list-panes: no answer within 2s".into(),
            }),
            records: BTreeMap::new(),
            log_mtimes: BTreeMap::new(),
            socket_exists: socket,
            server_alive: alive,
            register: None,
            register_stamp: None,
        }
    }

    fn recreates(actions: &[Action]) -> usize {
        actions
            .iter()
            .filter(|a| **a == Action::RecreateSocket)
            .count()
    }

    fn logs(actions: &[Action]) -> usize {
        actions
            .iter()
            .filter(|a| matches!(a, Action::Log { .. }))
            .count()
    }

    #[test]
    fn a_deleted_socket_is_recreated_and_told_once() {
        let mut h = Health {
            server_pid: Some(42),
            ..Health::default()
        };
        let sock = Path::new("/tmp/tmux-0/w");
        let a = h.observe(&obs(Ok(()), false, Some(true)), sock, t(0));
        assert_eq!((recreates(&a), logs(&a)), (1, 1));
        // Still missing a second later: asked again, not told again.
        let a = h.observe(
            &obs(Err(TmuxFailureKind::Unanswered), false, Some(true)),
            sock,
            t(1),
        );
        assert_eq!(recreates(&a), 1);
        assert!(
            !a.iter()
                .any(|x| matches!(x, Action::Log { message, .. } if message.contains("deleted")))
        );
        assert!(h.tmux_gone.is_none(), "a live server is not gone");
        let a = h.observe(&obs(Ok(()), true, Some(true)), sock, t(2));
        assert_eq!(recreates(&a), 0);
        assert!(h.tmux_ok());
        // A server whose process is gone is not asked to recreate anything.
        let a = h.observe(
            &obs(Err(TmuxFailureKind::Unanswered), false, Some(false)),
            sock,
            t(3),
        );
        assert_eq!(recreates(&a), 0);
        assert!(h.tmux_gone.is_some());
    }

    #[test]
    fn unanswered_tmux_is_failing_from_its_first_miss_and_answered_clears_it() {
        let mut h = Health::default();
        let sock = Path::new("s");
        h.observe(
            &obs(Err(TmuxFailureKind::Unanswered), true, Some(true)),
            sock,
            t(0),
        );
        h.observe(
            &obs(Err(TmuxFailureKind::Unanswered), true, Some(true)),
            sock,
            t(3),
        );
        assert_eq!(h.tmux_failing.as_ref().map(|f| f.since), Some(t(0)));
        assert!(!h.tmux_ok());
        assert!(h.runtime().tmux_failing.is_some());
        // "No such session" is an answer.
        h.observe(
            &obs(Err(TmuxFailureKind::NoSession), true, Some(true)),
            sock,
            t(4),
        );
        assert!(h.tmux_ok());
    }

    #[test]
    fn saving_fails_until_it_works() {
        let mut h = Health::default();
        h.save_failed(".warden/register.json".into(), "EPERM".into(), t(0));
        h.save_failed(".warden/register.json".into(), "EPERM again".into(), t(5));
        let u = h.unwritable.clone().expect("unwritable");
        assert_eq!((u.since, u.error.as_str()), (t(0), "EPERM again"));
        assert!(h.saved().is_some());
        assert!(h.saved().is_none(), "told once");
    }
}
