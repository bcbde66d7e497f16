//! One supervisor per repository: an exclusive `flock` on `.warden/supervisor.lock`, held for
//! the supervisor's life (or a cron pass's) and released by the kernel when it dies (even by
//! SIGKILL), so a stale lock never blocks a restart. The file holds the holder's pid alone
//! (`kill -HUP $(cat .warden/supervisor.lock)` works); `supervisor.role` beside it says what
//! the holder is, `supervisor` or `pass`.
//!
//! `warden up` itself holds a second lock, `.warden/start.lock`, from its first look until its
//! supervisor answers: concurrent `up`s take turns (the later ones find the supervisor
//! running), and a cron pass that finds it held leaves the dispatching to that supervisor.
//!
//! Both are opened without following a link: a planted link would have them truncate its
//! target.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::state::{Open, PathError, WriteError, open_private};

/// What the holder of the supervisor's lock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `warden supervise`: the loop, for as long as it runs.
    Supervisor,
    /// `warden heartbeat --once --dispatch-ready`: one pass, then it lets go.
    Pass,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::Supervisor => "supervisor",
            Self::Pass => "pass",
        }
    }
}

/// The lock's holder, as its file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pub(crate) pid: String,
    /// `None` for a file written by an older warden (a pid alone).
    pub(crate) role: Option<Role>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.role {
            Some(Role::Pass) => write!(f, "a cron pass, pid {}", self.pid),
            _ => write!(f, "pid {}", self.pid),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error("another supervisor is running for this repository ({holder}, lock {path})")]
    Held { path: PathBuf, holder: Holder },
    #[error("`warden up` did not finish starting a supervisor within {secs}s (lock {path})")]
    Starting { path: PathBuf, secs: u64 },
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

fn open(path: &Path) -> Result<File, LockError> {
    Ok(open_private(path, Open::ReadWrite)?)
}

/// `supervisor.role` beside `supervisor.lock`.
fn role_path(lock: &Path) -> PathBuf {
    lock.with_extension("role")
}

fn holder(path: &Path) -> Holder {
    let mut text = String::new();
    if let Ok(mut file) = open_private(path, Open::Existing) {
        let _ = file.read_to_string(&mut text);
    }
    let pid = text
        .split_whitespace()
        .next()
        .unwrap_or("unknown")
        .to_owned();
    let role_text = std::fs::read_to_string(role_path(path)).unwrap_or_default();
    // The role file names its holder's pid too: a file left by an earlier holder says
    // nothing about this one.
    // And both files still name the last holder until a new one rewrites them: a holder
    // whose process is gone is not the one holding the lock now.
    let alive = pid
        .parse::<u32>()
        .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
    let mut words = role_text.split_whitespace();
    let role = match (words.next(), words.next()) {
        _ if !alive => None,
        (Some(p), Some("supervisor")) if p == pid => Some(Role::Supervisor),
        (Some(p), Some("pass")) if p == pid => Some(Role::Pass),
        _ => None,
    };
    Holder { pid, role }
}

/// How often a waiting lock is tried again.
const RETRY: Duration = Duration::from_millis(20);

/// How long a new holder may take to write who it is: between its `flock` and its pid and
/// role reaching the files, it is nobody yet, and must not be taken for a supervisor.
const IDENTIFY: Duration = Duration::from_secs(2);

/// Whether to wait on for a lock that `held` holds: a cron pass until `deadline`, a holder
/// that has not said who it is yet for `IDENTIFY` (an older warden's lock never says), a
/// supervisor not at all.
fn keep_waiting(held: &Holder, deadline: Instant, unknown_since: &mut Option<Instant>) -> bool {
    match held.role {
        Some(Role::Pass) => Instant::now() < deadline,
        Some(Role::Supervisor) => false,
        None => unknown_since.get_or_insert_with(Instant::now).elapsed() < IDENTIFY,
    }
}

fn try_lock(path: &Path) -> Result<Option<Flock<File>>, LockError> {
    match Flock::lock(open(path)?, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(lock)),
        Err((_, Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(LockError::Io {
            path: path.to_path_buf(),
            source: e.into(),
        }),
    }
}

impl SupervisorLock {
    /// Takes the lock for `role` or says who holds it.
    pub(crate) fn acquire(path: &Path, role: Role) -> Result<Self, LockError> {
        Self::acquire_after_passes(path, role, Duration::ZERO)
    }

    /// Takes the lock for `role`; while a cron pass holds it, waits up to `wait` for the pass
    /// to finish (a pass takes a second or so). Another supervisor is refused at once.
    pub(crate) fn acquire_after_passes(
        path: &Path,
        role: Role,
        wait: Duration,
    ) -> Result<Self, LockError> {
        let deadline = Instant::now() + wait;
        let mut unknown_since = None;
        let mut lock = loop {
            if let Some(lock) = try_lock(path)? {
                break lock;
            }
            let held = holder(path);
            if !keep_waiting(&held, deadline, &mut unknown_since) {
                return Err(LockError::Held {
                    path: path.to_path_buf(),
                    holder: held,
                });
            }
            std::thread::sleep(RETRY);
        };
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        let pid = std::process::id();
        crate::state::write_replace(
            &role_path(path),
            format!("{pid} {}\n", role.as_str()).as_bytes(),
        )
        .map_err(|e| match e {
            WriteError::Io { path, source } => LockError::Io { path, source },
            WriteError::Refused(e) => LockError::Refused(e),
        })?;
        lock.set_len(0).map_err(io)?;
        lock.rewind().map_err(io)?;
        writeln!(lock, "{pid}").map_err(io)?;
        Ok(Self { _lock: lock })
    }

    /// Who holds the lock now, if anyone.
    pub(crate) fn probe(path: &Path) -> Option<Holder> {
        let file = open_private(path, Open::Existing).ok()?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(_released_on_drop) => None,
            Err(_) => Some(holder(path)),
        }
    }

    /// Waits up to `wait` for a cron pass holding the lock to let go (and a moment for a new
    /// holder to say what it is); the holder left then.
    pub(crate) fn wait_out_pass(path: &Path, wait: Duration) -> Option<Holder> {
        let deadline = Instant::now() + wait;
        let mut unknown_since = None;
        loop {
            match Self::probe(path) {
                Some(h) if keep_waiting(&h, deadline, &mut unknown_since) => {
                    std::thread::sleep(RETRY);
                }
                other => return other,
            }
        }
    }
}

/// `warden up`'s own lock, held from its first look until its supervisor answers.
#[derive(Debug)]
pub(crate) struct StartLock {
    _lock: Flock<File>,
}

impl StartLock {
    /// Takes the start lock, waiting up to `wait` for another `up` to finish.
    pub(crate) fn acquire(path: &Path, wait: Duration) -> Result<Self, LockError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(lock) = try_lock(path)? {
                return Ok(Self { _lock: lock });
            }
            if Instant::now() >= deadline {
                return Err(LockError::Starting {
                    path: path.to_path_buf(),
                    secs: wait.as_secs(),
                });
            }
            std::thread::sleep(RETRY);
        }
    }

    /// An `up` is starting a supervisor now.
    pub(crate) fn held(path: &Path) -> bool {
        let Ok(file) = open_private(path, Open::Existing) else {
            return false;
        };
        Flock::lock(file, FlockArg::LockExclusiveNonblock).is_err()
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
        let lock = SupervisorLock::acquire(&path, Role::Supervisor).expect("first");
        let me = Holder {
            pid: std::process::id().to_string(),
            role: Some(Role::Supervisor),
        };
        assert_eq!(SupervisorLock::probe(&path), Some(me.clone()));
        match SupervisorLock::acquire_after_passes(&path, Role::Supervisor, Duration::from_secs(5))
        {
            Err(LockError::Held { holder, .. }) => assert_eq!(holder, me, "refused at once"),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(lock);
        assert_eq!(SupervisorLock::probe(&path), None);
        assert!(SupervisorLock::acquire(&path, Role::Supervisor).is_ok());
    }

    /// A holder between its `flock` and writing its pid and role is nobody yet: a cron pass
    /// that has just taken the lock must not be taken for a running supervisor.
    #[test]
    fn a_holder_that_has_not_said_who_it_is_is_waited_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("supervisor.lock");
        for wait_out in [false, true] {
            // The files still name the last holder, whose process is gone.
            std::fs::write(&path, "4194999\n").expect("old pid");
            std::fs::write(role_path(&path), "4194999 supervisor\n").expect("old role");
            let raw = try_lock(&path).expect("lock").expect("free");
            assert_eq!(SupervisorLock::probe(&path).and_then(|h| h.role), None);
            let releaser = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                drop(raw);
            });
            if wait_out {
                assert_eq!(
                    SupervisorLock::wait_out_pass(&path, Duration::from_secs(10)),
                    None,
                    "the holder left"
                );
            } else {
                SupervisorLock::acquire_after_passes(
                    &path,
                    Role::Supervisor,
                    Duration::from_secs(10),
                )
                .expect("taken once the unnamed holder let go");
            }
            releaser.join().expect("thread");
        }
        // One that never says (an older warden's lock) is a supervisor after a moment.
        let _raw = try_lock(&path).expect("lock").expect("free");
        let start = Instant::now();
        assert!(matches!(
            SupervisorLock::acquire_after_passes(&path, Role::Supervisor, Duration::from_secs(30)),
            Err(LockError::Held { .. })
        ));
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_supervisor_waits_out_a_cron_pass() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("supervisor.lock");
        let pass = SupervisorLock::acquire(&path, Role::Pass).expect("the pass");
        assert_eq!(
            SupervisorLock::probe(&path).and_then(|h| h.role),
            Some(Role::Pass)
        );
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(pass);
        });
        let start = Instant::now();
        SupervisorLock::acquire_after_passes(&path, Role::Supervisor, Duration::from_secs(10))
            .expect("the supervisor gets it once the pass is done");
        assert!(start.elapsed() >= Duration::from_millis(150));
        releaser.join().expect("thread");
    }

    #[test]
    fn the_start_lock_makes_ups_take_turns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("start.lock");
        assert!(!StartLock::held(&path));
        let first = StartLock::acquire(&path, Duration::ZERO).expect("first");
        assert!(StartLock::held(&path));
        assert!(matches!(
            StartLock::acquire(&path, Duration::from_millis(100)),
            Err(LockError::Starting { .. })
        ));
        drop(first);
        assert!(StartLock::acquire(&path, Duration::ZERO).is_ok());
    }

    #[test]
    fn a_lock_linked_to_an_outside_file_is_refused_and_the_file_unchanged() {
        let out = tempfile::tempdir().expect("tempdir");
        let keys = out.path().join("keys");
        std::fs::write(&keys, b"the only key\n").expect("keys");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("supervisor.lock");
        std::os::unix::fs::symlink(&keys, &path).expect("plant");
        let taken = SupervisorLock::acquire(&path, Role::Supervisor);
        assert_eq!(
            std::fs::read(&keys).expect("read"),
            b"the only key\n",
            "the lock was taken through the link and its target rewritten"
        );
        let err = taken.expect_err("a linked lock is refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }
}
