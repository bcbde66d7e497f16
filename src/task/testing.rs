//! Test rigs: a task as the store would hand it out, and task folders that are hard to make,
//! even as root.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Priority, Status, Task, TaskFields};

/// Task `id` at `tasks/<id>.md`, titled by its id, priority p2, no dependencies.
pub(crate) fn task(id: &str, status: Status, mtime: DateTime<Utc>) -> Task {
    Task {
        fields: Arc::new(TaskFields {
            id: id.to_owned(),
            title: id.to_owned(),
            status,
            priority: Priority::P2,
            milestone: None,
            owner: None,
            depends_on: Vec::new(),
            created_at: None,
            started_at: None,
            completed_at: None,
            completed_by: None,
        }),
        path: PathBuf::from(format!("tasks/{id}.md")),
        mtime,
    }
}

/// A folder below `parent` that cannot be listed, even by root (who can list a mode-000
/// folder): its path is longer than the kernel's PATH_MAX, so `read_dir` fails with
/// ENAMETOOLONG. Made one level at a time relative to an open folder. Returns the first
/// such folder.
pub(crate) fn unlistable_folder(parent: &Path) -> PathBuf {
    use nix::fcntl::{OFlag, open, openat};
    use nix::sys::stat::{Mode, mkdirat};
    let name = "d".repeat(200);
    let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let mut fd = open(parent, flags, Mode::empty()).expect("open parent");
    let mut path = parent.to_path_buf();
    loop {
        mkdirat(&fd, name.as_str(), Mode::from_bits_truncate(0o755)).expect("mkdirat");
        fd = openat(&fd, name.as_str(), flags, Mode::empty()).expect("openat");
        path.push(&name);
        if path.as_os_str().len() >= 4096 {
            return path;
        }
    }
}
