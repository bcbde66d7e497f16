//! The one process-group killer, and the one liveness check. A worker's pane process (the
//! wrapper) is made a session and group leader by tmux, and its agent stays in that group:
//! signalling the group reaches both. What left the group is reached by `Stopper`, which
//! uses this for the group.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Sends `signal` to the process group led by `leader`. False when there is none (it ended).
pub(crate) fn signal_group(leader: u32, signal: Signal) -> bool {
    let Ok(pid) = i32::try_from(leader) else {
        return false;
    };
    pid > 1 && kill(Pid::from_raw(-pid), signal).is_ok()
}

/// The process exists and is not a zombie (an exited pane process tmux has not reaped yet
/// still answers `kill(pid, 0)`).
pub(crate) fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
        })
        .unwrap_or(false)
}

/// The process exists, is alive and its command name starts with `name` (guards against a
/// recycled pid).
pub(crate) fn alive_named(pid: u32, name: &str) -> bool {
    alive(pid)
        && std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim_end().starts_with(name))
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt as _;

    use super::*;

    #[test]
    fn liveness_and_group_signals() {
        let me = std::process::id();
        assert!(alive(me));
        assert!(!alive(u32::MAX - 1));
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("sleep");
        let pid = child.id();
        assert!(alive_named(pid, "sleep"));
        assert!(!alive_named(pid, "tmux"));
        assert!(signal_group(pid, Signal::SIGTERM));
        let status = child.wait().expect("wait");
        assert!(!status.success());
        assert!(!signal_group(pid, Signal::SIGTERM), "the group is gone");
        assert!(!signal_group(1, Signal::SIGTERM), "never init's group");
    }
}
