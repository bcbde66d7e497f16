//! One supervisor per repository: an exclusive `flock` on `.warden/supervisor.lock`, held for
//! the supervisor's life and released by the kernel when it dies (even by SIGKILL), so a
//! stale lock never blocks a restart. The file holds the pid, for messages. It is opened
//! without following a link: a planted link would have it truncate its target.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::state::{Open, PathError, open_private};

#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error("another supervisor is running for this repository (pid {pid}, lock {path})")]
    Held { path: PathBuf, pid: String },
    #[error("failed to lock {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A link (it would truncate its target), or not a regular file.
    #[error(transparent)]
    Refused(#[from] PathError),
}

#[derive(Debug)]
pub(crate) struct SupervisorLock {
    _lock: Flock<File>,
}

fn holder(path: &Path) -> String {
    let mut text = String::new();
    let _ = open_private(path, Open::Existing).and_then(|mut f| {
        f.read_to_string(&mut text)
            .map_err(|source| PathError::Open {
                path: path.to_path_buf(),
                source,
            })
    });
    let pid = text.trim();
    if pid.is_empty() {
        "unknown".to_owned()
    } else {
        pid.to_owned()
    }
}

impl SupervisorLock {
    /// Takes the lock or says who holds it.
    pub(crate) fn acquire(path: &Path) -> Result<Self, LockError> {
        let file = open_private(path, Open::ReadWrite)?;
        let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => lock,
            Err((_, Errno::EWOULDBLOCK)) => {
                return Err(LockError::Held {
                    path: path.to_path_buf(),
                    pid: holder(path),
                });
            }
            Err((_, e)) => {
                return Err(LockError::Io {
                    path: path.to_path_buf(),
                    source: e.into(),
                });
            }
        };
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        lock.set_len(0).map_err(io)?;
        lock.rewind().map_err(io)?;
        writeln!(lock, "{}", std::process::id()).map_err(io)?;
        Ok(Self { _lock: lock })
    }

    /// The holder's pid when a supervisor holds the lock now.
    pub(crate) fn probe(path: &Path) -> Option<String> {
        let file = open_private(path, Open::Existing).ok()?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(_released_on_drop) => None,
            Err(_) => Some(holder(path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state/supervisor.lock");
        assert_eq!(SupervisorLock::probe(&path), None);
        let lock = SupervisorLock::acquire(&path).expect("first");
        let me = std::process::id().to_string();
        assert_eq!(SupervisorLock::probe(&path), Some(me.clone()));
        match SupervisorLock::acquire(&path) {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, me),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(lock);
        assert_eq!(SupervisorLock::probe(&path), None);
        assert!(SupervisorLock::acquire(&path).is_ok());
    }

    #[test]
    fn a_lock_linked_to_an_outside_file_is_refused_and_the_file_unchanged() {
        let out = tempfile::tempdir().expect("tempdir");
        let keys = out.path().join("keys");
        std::fs::write(&keys, b"the only key\n").expect("keys");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("supervisor.lock");
        std::os::unix::fs::symlink(&keys, &path).expect("plant");
        let taken = SupervisorLock::acquire(&path);
        assert_eq!(
            std::fs::read(&keys).expect("read"),
            b"the only key\n",
            "the lock was taken through the link and its target rewritten"
        );
        let err = taken.expect_err("a linked lock is refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }
}
