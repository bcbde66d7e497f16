//! Where `warden top` gets its snapshots: `Watch` requests over the control socket, each
//! answered at once when the supervisor has something newer, else at its next publish.
//! The thread stops by itself once the dashboard is gone.

use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::term::Feed;
use crate::snapshot::Snapshot;
use crate::supervisor::{ControlError, Request, Response, request};

/// How long one watch may wait at the supervisor before it answers with what it has.
const WAIT_SECS: u64 = 20;
/// Between tries while the supervisor does not answer.
const RETRY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub(crate) enum FeedError {
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error("failed to get a snapshot: {0}")]
    Answer(String),
}

/// One snapshot: newer than `after`, or the latest at once when `after` is `None`.
pub(crate) fn fetch(
    control: &Path,
    after: Option<DateTime<Utc>>,
    wait_secs: u64,
) -> Result<Snapshot, FeedError> {
    let req = Request::Watch { after, wait_secs };
    match request(control, &req, Duration::from_secs(wait_secs + 35))? {
        Response::Snapshot { snapshot } => serde_json::from_value(snapshot)
            .map_err(|e| FeedError::Answer(format!("failed to read its snapshot: {e}"))),
        Response::Error { message } => Err(FeedError::Answer(message)),
        other => Err(FeedError::Answer(format!("unexpected answer {other:?}"))),
    }
}

/// Feeds the dashboard until it hangs up.
pub(crate) fn watch(control: &Path, feed: &Sender<Feed>) {
    let mut after = None;
    loop {
        let sent = match fetch(control, after, WAIT_SECS) {
            Ok(s) if after.is_some_and(|a| s.generated_at <= a) => Ok(()),
            Ok(s) => {
                after = Some(s.generated_at);
                feed.send(Feed::Snapshot(Box::new(s)))
            }
            Err(e) => {
                let sent = feed.send(Feed::Gone(e.to_string()));
                std::thread::sleep(RETRY);
                sent
            }
        };
        if sent.is_err() {
            return;
        }
    }
}
