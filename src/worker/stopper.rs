//! Stopping jobs, whole. A job's processes are its wrapper's process group and every
//! process descended from the wrapper, found by walking `/proc` parent links before the
//! first signal: a child that left the group (`setsid`) is signalled by its pid, and is
//! remembered, so the SIGKILL that follows still reaches it after its parent has died and
//! it was re-parented away from the tree. A remembered pid is signalled only while its
//! start time matches: a pid reused meanwhile is someone else's.
//!
//! Not reached: a process that left the tree before the first signal (a double-forked
//! daemon already re-parented to init), or one started after the last signal.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::group::signal_group;
use super::tree::{Proc, ProcessTable};

/// What is known of one job's processes.
#[derive(Debug, Default)]
struct Family {
    /// The process group: the wrapper's pid (tmux makes it a group leader).
    group: Option<u32>,
    leader: Option<Proc>,
    members: BTreeSet<Proc>,
}

/// The families of the jobs being stopped, by job id.
#[derive(Debug, Default)]
pub(crate) struct Stopper {
    families: BTreeMap<String, Family>,
}

fn send(pid: u32, signal: Signal) {
    if let Ok(raw) = i32::try_from(pid)
        && raw > 1
    {
        let _ = kill(Pid::from_raw(raw), signal);
    }
}

impl Stopper {
    /// Signals each job's process group and every process of its tree. `leader` is the
    /// job's wrapper as known now (its pane's process), `None` for a job that has ended:
    /// then only what was found before is signalled.
    pub(crate) fn signal(&mut self, targets: &[(String, Option<u32>)], signal: Signal) {
        let table = ProcessTable::read();
        for (job, leader) in targets {
            let family = self.families.entry(job.clone()).or_default();
            if let Some(pid) = *leader {
                family.group = Some(pid);
                if let Some(proc) = table.get(pid) {
                    family.leader = Some(proc);
                }
                // A group whose leader died (the wrapper was killed) still holds the agent.
                family.members.extend(table.in_group(pid));
            }
            let mut roots: Vec<u32> = family
                .leader
                .iter()
                .chain(&family.members)
                .filter(|p| table.has(**p))
                .map(|p| p.pid)
                .collect();
            roots.sort_unstable();
            roots.dedup();
            family.members.extend(table.descendants(&roots));
            if let Some(group) = family.group {
                // Only a group we know is still this job's: its leader, or one of its
                // members, is in it.
                let ours = family
                    .leader
                    .iter()
                    .chain(&family.members)
                    .any(|p| table.group_of(*p) == Some(group));
                if ours {
                    signal_group(group, signal);
                }
            }
            for member in family.members.iter().filter(|p| table.has(**p)) {
                send(member.pid, signal);
            }
        }
    }

    /// Some process of the job's tree still runs.
    pub(crate) fn running(&self, job: &str) -> bool {
        self.families
            .get(job)
            .is_some_and(|f| f.leader.iter().chain(&f.members).any(|p| p.running()))
    }

    /// Waits until no process of these jobs runs, or `until`.
    pub(crate) fn wait(&self, jobs: &[String], until: Instant) {
        while jobs.iter().any(|j| self.running(j)) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Forgets the jobs (after their SIGKILL).
    pub(crate) fn forget(&mut self, jobs: &[String]) {
        for job in jobs {
            self.families.remove(job);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt as _;

    use super::*;

    /// A group of its own running `sh`, whose child leaves the group with `setsid`.
    #[test]
    fn a_child_that_left_the_group_is_signalled_and_remembered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pidfile = dir.path().join("escaped.pid");
        let mut leader = std::process::Command::new("sh")
            .arg("-c")
            .arg("setsid sh -c 'echo $$ > \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec sleep 30' \"$1\" & exec sleep 30")
            .arg("sh")
            .arg(&pidfile)
            .process_group(0)
            .spawn()
            .expect("sh");
        let deadline = Instant::now() + Duration::from_secs(10);
        let escaped = loop {
            if let Some(pid) = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
            {
                break pid;
            }
            assert!(Instant::now() < deadline, "the child never wrote its pid");
            std::thread::sleep(Duration::from_millis(10));
        };
        let escaped = ProcessTable::read()
            .get(escaped)
            .expect("the escaped child");
        let job = "j1".to_owned();
        let mut stopper = Stopper::default();
        stopper.signal(&[(job.clone(), Some(leader.id()))], Signal::SIGTERM);
        let _ = leader.wait();
        stopper.wait(
            std::slice::from_ref(&job),
            Instant::now() + Duration::from_secs(10),
        );
        let gone = !escaped.running();
        if !gone {
            send(escaped.pid, Signal::SIGKILL);
        }
        assert!(gone, "the setsid child {} outlived SIGTERM", escaped.pid);
        assert!(!stopper.running(&job));
        stopper.forget(std::slice::from_ref(&job));
        assert!(stopper.families.is_empty());
    }
}
