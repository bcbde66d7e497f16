//! Every input of the supervisor's loop, as one enum on one channel, and the one clock
//! reading each event is handled at.

use std::sync::mpsc::Sender;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::protocol::{Request, Response};
use crate::worker::Report;

#[derive(Debug)]
pub(crate) enum Event {
    /// A wrapper reported a start or an exit.
    Worker(Report),
    /// A CLI command over the control socket, with where to send the answer.
    Control {
        request: Request,
        reply: Sender<Response>,
    },
    /// SIGTERM or SIGINT: stop cleanly, workers keep running.
    Shutdown,
    /// SIGHUP: reload the config; an invalid one keeps the old.
    Reload,
    /// Nothing arrived before the next timer: reconcile, kill, heartbeat as due.
    Tick,
}

/// The clock, read once per event and passed down: wall time for records and decisions,
/// monotonic time for timers (a clock jump must not fire or starve a SIGKILL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Now {
    pub(crate) wall: DateTime<Utc>,
    pub(crate) mono: Instant,
}

impl Now {
    /// The supervisor's only clock read.
    pub(crate) fn read() -> Self {
        Self {
            wall: crate::clock::now(),
            mono: Instant::now(),
        }
    }
}
