//! Change notification for the tasks folder (Linux inotify), so a heartbeat over an
//! unchanged backlog skips the walk and its one stat per file. Any event, a queue overflow,
//! or any error means "something may have changed": the store then walks as usual, so the
//! watcher can only save work, never hide a change.

use std::path::Path;

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

#[derive(Debug)]
pub(crate) struct Watcher {
    inotify: Inotify,
}

impl Watcher {
    /// `None` when inotify is unavailable; the store then always walks.
    pub(crate) fn new() -> Option<Self> {
        Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
            .map(|inotify| Self { inotify })
            .map_err(|e| tracing::debug!("inotify unavailable, every scan walks: {e}"))
            .ok()
    }

    /// Watches one folder for anything that could change a task file in it. Called before
    /// the folder is listed, so a change made during the walk is still reported next time.
    /// Watching the same folder twice is harmless (inotify returns the same watch).
    pub(crate) fn watch(&self, dir: &Path) -> bool {
        let mask = AddWatchFlags::IN_MODIFY
            | AddWatchFlags::IN_ATTRIB
            | AddWatchFlags::IN_CLOSE_WRITE
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_MOVE_SELF
            | AddWatchFlags::IN_ONLYDIR;
        match self.inotify.add_watch(dir, mask) {
            Ok(_) => true,
            Err(e) => {
                tracing::debug!("cannot watch {}: {e}", dir.display());
                false
            }
        }
    }

    /// Drains pending events. True when nothing happened since the last call.
    pub(crate) fn quiet(&self) -> bool {
        let mut quiet = true;
        loop {
            match self.inotify.read_events() {
                Ok(events) if events.is_empty() => return quiet,
                Ok(_) => quiet = false,
                Err(Errno::EAGAIN) => return quiet,
                Err(_) => return false,
            }
        }
    }
}
