//! The dashboard in the supervisor's own `warden` window: a thread that owns the terminal
//! and gets each published snapshot at once. The supervisor's log goes to
//! `.warden/supervisor.log` meanwhile (the terminal is the dashboard's). A dashboard that
//! fails or stops leaves the supervisor running: the next publish finds it gone and the
//! window falls back to the plain heartbeat.

use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

use super::paths::RuntimePaths;
use crate::config::HumanDuration;
use crate::dashboard::{Context, Feed, Look, Place};
use crate::snapshot::Snapshot;
use crate::state::{Open, open_private};

#[derive(Debug)]
pub(crate) struct Screen {
    feed: Sender<Feed>,
    thread: JoinHandle<()>,
}

impl Screen {
    /// Moves the log to its file, then starts the dashboard; `None` (with the reason logged)
    /// when either cannot be done.
    pub(crate) fn start(
        paths: &RuntimePaths,
        ack_for: HumanDuration,
        colour: bool,
    ) -> Option<Self> {
        let log = paths.state.join("supervisor.log");
        let file = match open_private(&log, Open::Append) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("no dashboard: {e}");
                return None;
            }
        };
        if let Err(e) = nix::unistd::dup2_stderr(&file) {
            tracing::warn!(
                "no dashboard: failed to send the log to {}: {e}",
                log.display()
            );
            return None;
        }
        let (feed, rx) = channel();
        let answers = feed.clone();
        let ctx = Context {
            place: Place::Window,
            paths: paths.clone(),
            inside_ours: false,
            look: Look { colour },
            ack_for,
        };
        let thread = std::thread::Builder::new()
            .name("dashboard".to_owned())
            .spawn(move || {
                if let Err(e) = crate::dashboard::run(&rx, &answers, &ctx) {
                    tracing::error!("{e}; showing the plain heartbeat instead");
                }
            });
        match thread {
            Ok(thread) => Some(Self { feed, thread }),
            Err(e) => {
                tracing::warn!("no dashboard: failed to start its thread: {e}");
                None
            }
        }
    }

    /// Hands the dashboard a snapshot; false once it is gone.
    pub(crate) fn show(&self, snapshot: &Snapshot) -> bool {
        !self.thread.is_finished()
            && self
                .feed
                .send(Feed::Snapshot(Box::new(snapshot.clone())))
                .is_ok()
    }

    /// The supervisor stops: the dashboard gives the terminal back before the process ends.
    pub(crate) fn finish(self) {
        let _ = self.feed.send(Feed::Stop);
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::Receiver;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::supervisor::testing::Rig;

    /// A screen whose dashboard is `thread`, its feed read by the test.
    fn stand_in(thread: JoinHandle<()>) -> (Screen, Receiver<Feed>) {
        let (feed, rx) = channel();
        (Screen { feed, thread }, rx)
    }

    #[test]
    fn a_dashboard_that_is_gone_leaves_the_supervisor_publishing() {
        let mut rig = Rig::new("");
        let dead = std::thread::spawn(|| {});
        let deadline = Instant::now() + Duration::from_secs(10);
        while !dead.is_finished() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        let (screen, _feed) = stand_in(dead);
        rig.sup.exec.screen = Some(screen);
        rig.task("T-1", "status: backlog");
        rig.run_for(20);
        assert!(
            rig.sup.exec.screen.is_none(),
            "the window falls back to text"
        );
        assert!(
            rig.snapshot().tasks.iter().any(|t| t.id == "T-1"),
            "publishing goes on"
        );
    }

    #[test]
    fn a_live_dashboard_gets_each_published_snapshot() {
        let mut rig = Rig::new("");
        let (screen, feed) = stand_in(std::thread::spawn(std::thread::park));
        rig.sup.exec.screen = Some(screen);
        rig.task("T-1", "status: backlog");
        rig.run_for(20);
        let shown: Vec<chrono::DateTime<chrono::Utc>> = feed
            .try_iter()
            .filter_map(|f| match f {
                Feed::Snapshot(s) => Some(s.generated_at),
                _ => None,
            })
            .collect();
        assert!(!shown.is_empty(), "the dashboard was shown the snapshots");
        assert_eq!(shown.last(), Some(&rig.snapshot().generated_at));
        let screen = rig.sup.exec.screen.take().expect("still running");
        screen.thread.thread().unpark();
    }
}
