//! The machine's processes as `/proc` shows them at one moment: each one's parent, process
//! group and start time. A job's tree is its wrapper and everything descended from it,
//! including children that left the job's process group and session (`setsid`), which a
//! signal to the group misses.

use std::collections::BTreeSet;

/// One process: a pid is reused, a pid with its start time is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Proc {
    pub(crate) pid: u32,
    /// Clock ticks from boot to its start (`/proc/<pid>/stat`, field 22).
    pub(crate) start: u64,
}

impl Proc {
    /// Still this very process, and not a zombie.
    pub(crate) fn running(self) -> bool {
        read_stat(self.pid).is_some_and(|s| s.proc == self && !s.zombie)
    }
}

/// What a process's `stat` line says, as far as warden needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    proc: Proc,
    ppid: u32,
    pgrp: u32,
    zombie: bool,
}

/// `pid (comm) state ppid pgrp session … starttime …`; the name may hold spaces and
/// parentheses, so the fields are counted from its last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let (head, rest) = text.rsplit_once(") ")?;
    let pid = head.split_once(" (")?.0.trim().parse().ok()?;
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    Some(Stat {
        proc: Proc {
            pid,
            start: fields.get(19)?.parse().ok()?,
        },
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        zombie: matches!(fields.first(), Some(&("Z" | "X"))),
    })
}

fn read_stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Every process that is not a zombie, read once.
#[derive(Debug, Default)]
pub(crate) struct ProcessTable {
    stats: Vec<Stat>,
}

impl ProcessTable {
    pub(crate) fn read() -> Self {
        let stats = std::fs::read_dir("/proc")
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                    .filter_map(read_stat)
                    .filter(|s| !s.zombie)
                    .collect()
            })
            .unwrap_or_default();
        Self { stats }
    }

    #[cfg(test)]
    fn of(stats: Vec<Stat>) -> Self {
        Self { stats }
    }

    fn stat(&self, pid: u32) -> Option<&Stat> {
        self.stats.iter().find(|s| s.proc.pid == pid)
    }

    /// The process now running as `pid`.
    pub(crate) fn get(&self, pid: u32) -> Option<Proc> {
        self.stat(pid).map(|s| s.proc)
    }

    /// `proc` is still running (the same start time).
    pub(crate) fn has(&self, proc: Proc) -> bool {
        self.get(proc.pid) == Some(proc)
    }

    /// The process group `proc` is in.
    pub(crate) fn group_of(&self, proc: Proc) -> Option<u32> {
        self.stat(proc.pid)
            .filter(|s| s.proc == proc)
            .map(|s| s.pgrp)
    }

    /// The members of process group `pgrp`.
    pub(crate) fn in_group(&self, pgrp: u32) -> Vec<Proc> {
        self.stats
            .iter()
            .filter(|s| s.pgrp == pgrp)
            .map(|s| s.proc)
            .collect()
    }

    /// Every process descended from `roots` (the roots not included), by parent links.
    pub(crate) fn descendants(&self, roots: &[u32]) -> BTreeSet<Proc> {
        let mut found = BTreeSet::new();
        let mut next: Vec<u32> = roots.to_vec();
        while let Some(parent) = next.pop() {
            for s in self.stats.iter().filter(|s| s.ppid == parent) {
                if found.insert(s.proc) {
                    next.push(s.proc.pid);
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(pid: u32, ppid: u32, pgrp: u32) -> Stat {
        Stat {
            proc: Proc {
                pid,
                start: u64::from(pid) * 10,
            },
            ppid,
            pgrp,
            zombie: false,
        }
    }

    #[test]
    fn parses_a_stat_line_whose_name_has_spaces_and_parentheses() {
        let line =
            "4242 (a (b) c) S 17 4242 4242 34816 4242 4194304 1 0 0 0 3 1 0 0 20 0 1 0 987654 9 9";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                proc: Proc {
                    pid: 4242,
                    start: 987_654
                },
                ppid: 17,
                pgrp: 4242,
                zombie: false,
            })
        );
        assert!(parse_stat("1 (x) Z 0 1").is_none(), "too short");
        let me = read_stat(std::process::id()).expect("my own stat");
        assert!(me.proc.running());
        assert!(
            !Proc {
                start: me.proc.start + 1,
                ..me.proc
            }
            .running(),
            "another start time is another process"
        );
    }

    #[test]
    fn descendants_follow_parents_across_groups() {
        // 10 leads the job's group; 11 its agent; 12 left the group (setsid) and has 13;
        // 20 is unrelated.
        let table = ProcessTable::of(vec![
            stat(10, 1, 10),
            stat(11, 10, 10),
            stat(12, 11, 12),
            stat(13, 12, 12),
            stat(20, 1, 20),
        ]);
        let pids: Vec<u32> = table.descendants(&[10]).iter().map(|p| p.pid).collect();
        assert_eq!(pids, [11, 12, 13]);
        assert_eq!(
            table.in_group(10).iter().map(|p| p.pid).collect::<Vec<_>>(),
            [10, 11]
        );
        assert!(table.descendants(&[13]).is_empty());
    }
}
