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
