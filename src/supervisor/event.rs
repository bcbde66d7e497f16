//! Every input of the supervisor's loop, as one enum on one channel.

use std::sync::mpsc::Sender;

use super::control::{Request, Response};
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
}
