//! Test support: a throwaway repository, the real `warden` binary run in it with a clean
//! environment and a pinned clock, and redaction for snapshots.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the support module"
)]

pub(crate) mod claude;
pub(crate) mod claude_api;
pub(crate) mod guards;
pub(crate) mod live;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

/// The pinned "now" every test runs at.
pub(crate) const NOW: &str = "2026-06-01T12:00:00Z";

/// Seconds since the epoch of `NOW`.
pub(crate) const NOW_EPOCH: u64 = 1_780_315_200;

pub(crate) struct Repo {
    dir: tempfile::TempDir,
    /// The temp folder, or a folder inside it (`in_folder`).
    root: PathBuf,
    now: String,
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn from(out: Output) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Repo {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self {
            root: dir.path().to_path_buf(),
            dir,
            now: NOW.to_owned(),
        }
    }

    /// A repository in the folder `name` inside a new temp folder (in `/tmp`, short, as
    /// socket paths under it must stay under 108 bytes), for names that matter.
    pub(crate) fn in_folder(name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("w")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let root = dir.path().join(name);
        std::fs::create_dir(&root).expect("repository folder");
        Self {
            root,
            dir,
            now: NOW.to_owned(),
        }
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The temp folder holding the repository (its root, unless made by `in_folder`).
    pub(crate) fn temp(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes a file, creating folders, and sets its mtime `mins_ago` minutes before `NOW`.
    pub(crate) fn write_aged(&self, rel: &str, content: impl AsRef<[u8]>, mins_ago: u64) -> &Self {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
        self.set_mtime(rel, mins_ago);
        self
    }

    /// Writes a file aged one hour.
    pub(crate) fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        self.write_aged(rel, content, 60)
    }

    pub(crate) fn set_mtime(&self, rel: &str, mins_ago: u64) {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_EPOCH - mins_ago * 60);
        std::fs::File::options()
            .write(true)
            .open(self.path(rel))
            .expect("open for mtime")
            .set_modified(t)
            .expect("set mtime");
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read")
    }

    pub(crate) fn at(&mut self, now: &str) -> &mut Self {
        self.now = now.to_owned();
        self
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden"));
        cmd.args(args).current_dir(self.root());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("WARDEN_")
                || key.starts_with("TASK_MANAGER_")
                || key.starts_with("TMUX")
            {
                cmd.env_remove(&key);
            }
        }
        cmd.env("WARDEN_FAKE_NOW", &self.now)
            .env("NO_COLOR", "1")
            .env("SHELL", "/bin/sh");
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run warden"))
    }

    pub(crate) fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run warden"))
    }

    /// Replaces the temp root so snapshots are stable.
    pub(crate) fn redact(&self, text: &str) -> String {
        let root = self.root().to_string_lossy().into_owned();
        let canon = self
            .root()
            .canonicalize()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| root.clone());
        text.replace(&canon, "[ROOT]").replace(&root, "[ROOT]")
    }
}

/// A task file's text from front matter lines.
pub(crate) fn task(front: &str) -> String {
    format!("---\n{front}\n---\n")
}

/// A folder below `parent` that cannot be listed, even by root (who can list a mode-000
/// folder): its path is longer than the kernel's PATH_MAX, so listing it fails with
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

/// Task files that are not regular files, in `tasks` (made if missing): a FIFO `x.md`, a
/// symlink loop `loop.md` and a link to a device, `zero.md`.
pub(crate) fn plant_non_regular(tasks: &Path) {
    std::fs::create_dir_all(tasks).expect("mkdir");
    nix::unistd::mkfifo(
        &tasks.join("x.md"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .expect("mkfifo");
    std::os::unix::fs::symlink("loop.md", tasks.join("loop.md")).expect("loop");
    std::os::unix::fs::symlink("/dev/zero", tasks.join("zero.md")).expect("zero");
}
