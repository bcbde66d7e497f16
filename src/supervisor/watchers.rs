//! `warden top` and other watchers of the snapshot: a `Watch` request is answered with the
//! latest snapshot as soon as there is one newer than what the client has, or when its wait
//! runs out, so a dashboard in another terminal redraws the moment something changes without
//! polling the loop. Pure: the decisions return the replies; the executor sends them.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::action::{Action, ReplyId};
use super::event::Now;
use super::state::{Passes, Watcher};

/// The longest a watcher waits for a new snapshot: well under the control socket's 60 s.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(25);

/// A `Watch` request: answered now when the last snapshot is newer than `after`, otherwise
/// kept until the next publish or `wait` (at most `MAX_WAIT`).
#[must_use]
pub(crate) fn watch(
    passes: &mut Passes,
    after: Option<DateTime<Utc>>,
    wait: Duration,
    to: ReplyId,
    now: Now,
) -> Vec<Action> {
    let newer = passes
        .last
        .as_ref()
        .is_some_and(|s| after.is_none_or(|a| s.generated_at > a));
    if newer || wait.is_zero() {
        return vec![Action::ReplySnapshot { to }];
    }
    passes.watchers.push(Watcher {
        to,
        until: now.mono + wait.min(MAX_WAIT),
    });
    Vec::new()
}

/// A snapshot was published: every watcher gets it.
#[must_use]
pub(crate) fn published(passes: &mut Passes) -> Vec<Action> {
    passes
        .watchers
        .drain(..)
        .map(|w| Action::ReplySnapshot { to: w.to })
        .collect()
}

/// Watchers whose wait ran out get the snapshot they already have (the client asks again).
#[must_use]
pub(crate) fn expired(passes: &mut Passes, now: Instant) -> Vec<Action> {
    let (done, waiting): (Vec<Watcher>, Vec<Watcher>) =
        passes.watchers.drain(..).partition(|w| now >= w.until);
    passes.watchers = waiting;
    done.into_iter()
        .map(|w| Action::ReplySnapshot { to: w.to })
        .collect()
}

/// The earliest moment a watcher's wait runs out.
pub(crate) fn next_expiry(passes: &Passes) -> Option<Instant> {
    passes.watchers.iter().map(|w| w.until).min()
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;

    use super::*;
    use crate::supervisor::event::Event;
    use crate::supervisor::protocol::{Request, Response};
    use crate::supervisor::testing::Rig;

    fn generated_at(response: &Response) -> DateTime<Utc> {
        let Response::Snapshot { snapshot } = response else {
            panic!("not a snapshot: {response:?}");
        };
        serde_json::from_value(snapshot["generated_at"].clone()).expect("generated_at")
    }

    /// A client that has the latest snapshot waits; the next heartbeat answers it.
    #[test]
    fn a_watcher_is_answered_by_the_next_publish_not_before() {
        let mut rig = Rig::new("");
        rig.tick();
        let seen = rig.snapshot().generated_at;
        let (tx, rx) = channel();
        let request = Request::Watch {
            after: Some(seen),
            wait_secs: 20,
        };
        let now = rig.now;
        rig.sup.handle(Event::Control { request, reply: tx }, now);
        assert!(rx.try_recv().is_err(), "nothing new yet: it waits");
        rig.run_for(1);
        assert!(rx.try_recv().is_err(), "no heartbeat in a second");
        rig.task("T-1", "status: ready");
        rig.run_for(30);
        let answer = rx.try_recv().expect("answered by a publish");
        assert!(generated_at(&answer) > seen);
    }

    #[test]
    fn a_first_look_or_an_older_snapshot_is_answered_at_once() {
        let mut rig = Rig::new("");
        rig.tick();
        let seen = rig.snapshot().generated_at;
        let first = rig.request(Request::Watch {
            after: None,
            wait_secs: 20,
        });
        assert_eq!(generated_at(&first), seen);
        let older = rig.request(Request::Watch {
            after: Some(seen - chrono::TimeDelta::seconds(1)),
            wait_secs: 20,
        });
        assert_eq!(generated_at(&older), seen);
    }

    #[test]
    fn a_wait_runs_out_at_its_deadline_and_never_past_the_cap() {
        let mut passes = Passes::new();
        let t0 = Instant::now();
        let now = Now {
            wall: Utc::now(),
            mono: t0,
        };
        let huge = Duration::from_secs(3600);
        assert!(watch(&mut passes, None, huge, ReplyId(3), now).is_empty());
        assert_eq!(next_expiry(&passes), Some(t0 + MAX_WAIT));
        assert!(expired(&mut passes, t0 + MAX_WAIT - Duration::from_millis(1)).is_empty());
        assert_eq!(
            expired(&mut passes, t0 + MAX_WAIT),
            vec![Action::ReplySnapshot { to: ReplyId(3) }]
        );
        assert_eq!(next_expiry(&passes), None);
        assert!(published(&mut passes).is_empty());
    }
}
