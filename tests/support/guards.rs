//! Guards for tests that do things to the machine (SIGSTOP, `chattr +i`, a deleted socket,
//! a supervisor run as the test's child): each undoes its change on drop, even when an
//! assertion fails, and the `Sweeper` kills, by pid, whatever a test started and left.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::live::{Live, process_alive};

/// A process SIGSTOPped for as long as this lives; SIGCONT on drop, even when the test
/// panics. Declare it after the `Live` so it drops first.
pub(crate) struct Stopped {
    pid: i32,
}

impl Stopped {
    pub(crate) fn new(pid: i32) -> Self {
        let guard = Self { pid };
        send(pid, Signal::SIGSTOP);
        guard
    }

    pub(crate) fn resume(&self) {
        let _ = kill(Pid::from_raw(self.pid), Signal::SIGCONT);
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        self.resume();
    }
}

/// `warden supervise` run as this test's child (output discarded), so that no tmux server
/// is its parent. On drop (declare it after the `Live`): SIGCONT, SIGTERM, SIGKILL after
/// 5 s, and reaped.
pub(crate) struct Child {
    child: std::process::Child,
}

impl Child {
    pub(crate) fn supervise(live: &Live) -> Self {
        let child = live
            .command(&["supervise"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("warden supervise");
        Self { child }
    }

    pub(crate) fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid")
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let pid = Pid::from_raw(self.pid());
        if let Ok(None) = self.child.try_wait() {
            let _ = kill(pid, Signal::SIGCONT);
            let _ = kill(pid, Signal::SIGTERM);
            let start = Instant::now();
            while matches!(self.child.try_wait(), Ok(None))
                && start.elapsed() < Duration::from_secs(5)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A folder made unwritable (`chattr +i` as root, whom modes do not stop; `chmod 0555`
/// otherwise) for as long as this lives.
pub(crate) struct Unwritable {
    path: PathBuf,
    root: bool,
}

impl Unwritable {
    pub(crate) fn new(path: &Path) -> Self {
        let root = nix::unistd::geteuid().is_root();
        let guard = Self {
            path: path.to_path_buf(),
            root,
        };
        if root {
            let ok = std::process::Command::new("chattr")
                .arg("+i")
                .arg(path)
                .status()
                .expect("chattr");
            assert!(ok.success(), "chattr +i {}", path.display());
        } else {
            set_mode(path, 0o555);
        }
        // It really is unwritable.
        assert!(
            std::fs::write(path.join(".probe"), b"").is_err(),
            "{} is still writable",
            path.display()
        );
        guard
    }

    /// The OS error a write into the folder gets.
    pub(crate) fn os_error(&self) -> &'static str {
        if self.root {
            "Operation not permitted"
        } else {
            "Permission denied"
        }
    }

    pub(crate) fn undo(&self) {
        if self.root {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&self.path)
                .status();
        } else {
            set_mode(&self.path, 0o755);
        }
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        self.undo();
    }
}

pub(crate) fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// A tmux server whose socket file the test deleted: on drop, if the file is still missing,
/// SIGUSR1 makes the server recreate it, so `Live`'s teardown can reach the server.
pub(crate) struct SocketGuard {
    pub(crate) server: i32,
    pub(crate) path: PathBuf,
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        if self.path.exists() || !process_alive(self.server) {
            return;
        }
        let _ = kill(Pid::from_raw(self.server), Signal::SIGUSR1);
        let start = Instant::now();
        while !self.path.exists() && start.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The last line of cleanup: declared before the `Live` so it drops after its teardown, it
/// kills what this test started and is still running: every process whose working folder
/// is in the test's repository (supervisor, wrappers, agents) and the tmux servers it was
/// told about (checked by their socket name in the command line, so a reused pid is never
/// hit).
#[derive(Default)]
pub(crate) struct Sweeper {
    root: RefCell<Option<PathBuf>>,
    servers: RefCell<Vec<(i32, String)>>,
}

impl Sweeper {
    pub(crate) fn watch(&self, live: &Live) {
        let root = live.repo.root();
        *self.root.borrow_mut() = Some(root.canonicalize().unwrap_or_else(|_| root.to_path_buf()));
    }

    pub(crate) fn server(&self, pid: i32, socket: &str) {
        self.servers.borrow_mut().push((pid, socket.to_owned()));
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        let mut pids: Vec<i32> = Vec::new();
        if let Some(root) = self.root.borrow().as_ref() {
            pids.extend(processes_in(root).into_iter().map(|(pid, _)| pid));
        }
        for (pid, socket) in self.servers.borrow().iter() {
            if cmdline(*pid).is_some_and(|c| c.contains(socket.as_str())) {
                pids.push(*pid);
            }
        }
        for pid in &pids {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGCONT);
            let _ = kill(Pid::from_raw(*pid), Signal::SIGTERM);
        }
        let start = Instant::now();
        while pids.iter().any(|p| process_alive(*p)) && start.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(20));
        }
        for pid in pids.iter().filter(|p| process_alive(**p)) {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
        }
    }
}

pub(crate) fn send(pid: i32, sig: Signal) {
    kill(Pid::from_raw(pid), sig).unwrap_or_else(|e| panic!("kill -{sig} {pid}: {e}"));
}

pub(crate) fn cmdline(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        String::from_utf8_lossy(&raw)
            .split('\0')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// `(pid, command line)` of every live process whose working folder is `root` or below it
/// (also once the folder is deleted), this test process excepted.
pub(crate) fn processes_in(root: &Path) -> Vec<(i32, String)> {
    let root = root.to_string_lossy().into_owned();
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| u32::try_from(*pid).is_ok_and(|p| p != me))
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| {
                let cwd = cwd.to_string_lossy();
                cwd == root.as_str()
                    || cwd.starts_with(&format!("{root}/"))
                    || cwd.starts_with(&format!("{root} (deleted)"))
            })
        })
        .filter(|pid| process_alive(*pid))
        .map(|pid| (pid, cmdline(pid).unwrap_or_default()))
        .collect()
}

/// A process the test did not start directly (a child an agent sent off with `setsid`),
/// killed by its pid on drop if it is still there and still `sleep`, so nothing outlives a
/// failed test and a reused pid is never hit.
pub(crate) struct Escaped {
    pub(crate) pid: i32,
}

impl Drop for Escaped {
    fn drop(&mut self) {
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", self.pid)).unwrap_or_default();
        if process_alive(self.pid) && comm.trim() == "sleep" {
            let _ = kill(Pid::from_raw(self.pid), Signal::SIGKILL);
        }
    }
}
