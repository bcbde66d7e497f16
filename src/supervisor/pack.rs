//! Gathering a context pack's inputs from the repository, the logs, tmux and git, and
//! writing it (the pack's content and its bounds are decided in `escalate::pack`).

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::paths::RuntimePaths;
use crate::escalate::{Ledger, PackInput, Policy, StepUp, build_pack, write_pack};
use crate::snapshot::Snapshot;
use crate::tmux::TmuxPort;

/// Where packs go and what they read, borrowed from the supervisor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packer<'a> {
    pub(crate) paths: &'a RuntimePaths,
    pub(crate) snapshot_dir: &'a std::path::Path,
    /// `None` while tmux does not answer: no live screens then.
    pub(crate) port: Option<&'a dyn TmuxPort>,
}

/// At most this much of a log's end is rendered for a pack: plenty for 200 lines, and a
/// bound on the emulator's time and memory whatever the log's size.
const PACK_LOG_WINDOW: u64 = 512 * 1024;

/// The last 200 lines of a log as a person saw them (cursor moves and redraws replayed,
/// as `warden logs` shows it).
fn tail(path: &std::path::Path) -> Option<Vec<u8>> {
    let (bytes, before) = crate::log_end::read_end(path, PACK_LOG_WINDOW).ok()?;
    Some(crate::render::rendered_tail(&bytes, before > 0, 200).into_bytes())
}

/// What a pack is for: the escalation (or manual pack) id, the alerts it covers, and the
/// state it is made from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PackFor<'a> {
    pub(crate) id: &'a str,
    pub(crate) dry_run: bool,
    pub(crate) keys: &'a [String],
    pub(crate) ledger: &'a Ledger,
    pub(crate) policy: Option<&'a Policy>,
    /// The pass's snapshot; its signals are the pack's.
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) max_bytes: u64,
    pub(crate) now: DateTime<Utc>,
    /// A window stepping up from a one-shot that did not settle the trouble.
    pub(crate) step_up: bool,
}

/// A pack made: its folder and its prompt file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Made {
    pub(crate) dir: PathBuf,
    pub(crate) prompt_file: PathBuf,
}

impl Packer<'_> {
    /// `escalations/<id>`; dry-run packs are `escalations/dry-run-<id>` so they never mix
    /// with (or overwrite) a live pack of the same number.
    pub(crate) fn dir(&self, id: &str, dry_run: bool) -> PathBuf {
        let name = if dry_run {
            format!("dry-run-{id}")
        } else {
            id.to_owned()
        };
        self.snapshot_dir.join("escalations").join(name)
    }

    /// Builds and writes the pack for `keys`.
    pub(crate) fn make(&self, what: &PackFor<'_>) -> Result<Made, String> {
        let dir = self.dir(what.id, what.dry_run);
        let prompt_file = write_pack(&dir, &build_pack(&self.input(what, &dir))).map_err(|e| {
            format!(
                "failed to write context pack {}: {}",
                dir.display(),
                e.reason()
            )
        })?;
        Ok(Made { dir, prompt_file })
    }

    fn input(&self, what: &PackFor<'_>, dir: &std::path::Path) -> PackInput {
        let PackFor {
            id,
            keys,
            ledger,
            policy,
            snapshot,
            max_bytes,
            now,
            ..
        } = *what;
        let signals = &snapshot.escalation.signals;
        let alerts: Vec<_> = keys
            .iter()
            .filter_map(|k| ledger.state.alerts.get(k).cloned())
            .collect();
        let mut tasks: Vec<String> = alerts.iter().filter_map(|a| a.task.clone()).collect();
        tasks.sort();
        tasks.dedup();
        let root = &self.paths.root;
        let task_files = tasks
            .iter()
            .filter_map(|t| snapshot.tasks.iter().find(|e| &e.id == t))
            .filter_map(|e| {
                let bytes = std::fs::read(root.join(&e.path)).ok()?;
                Some((
                    e.id.clone(),
                    e.path.file_name()?.to_string_lossy().into_owned(),
                    bytes,
                ))
            })
            .collect();
        let log_tails = tasks
            .iter()
            .filter_map(|t| Some((t.clone(), tail(&self.paths.log_for(t))?)))
            .collect();
        // The one-shot this window steps up from: the newest one for any of these alerts.
        let step_up = what
            .step_up
            .then(|| {
                ledger.actions.iter().rev().find(|a| {
                    a.mode == crate::config::ManagerMode::Oneshot
                        && a.keys.iter().any(|k| keys.contains(k))
                })
            })
            .flatten()
            .map(|a| StepUp {
                from: a.id.clone(),
                output: tail(&a.pack_dir.join("output.log")).unwrap_or_default(),
            });
        let screens = match self.port {
            Some(port) => snapshot
                .workers
                .iter()
                .filter(|w| tasks.contains(&w.task))
                .filter_map(|w| Some((w.job.clone(), port.capture_pane(w.pane.as_deref()?).ok()?)))
                .collect(),
            None => Vec::new(),
        };
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(root)
                .args(args)
                .stdin(std::process::Stdio::null())
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_owned())
                .unwrap_or_default()
        };
        let recent = ledger
            .decisions
            .iter()
            .rev()
            .take(20)
            .map(|d| {
                format!(
                    "{} {} {}",
                    d.at.format("%Y-%m-%dT%H:%M:%SZ"),
                    d.outcome,
                    d.detail.clone().unwrap_or_default()
                )
            })
            .collect();
        PackInput {
            id: id.to_owned(),
            repository: root.to_string_lossy().into_owned(),
            dir: dir.to_string_lossy().into_owned(),
            step_up,
            alerts,
            signals: signals.to_vec(),
            snapshot_json: crate::snapshot::to_json(snapshot).unwrap_or_default(),
            task_files,
            log_tails,
            screens,
            git_status: git(&["status", "--short"]),
            git_worktrees: git(&["worktree", "list"]),
            recent_decisions: recent,
            budget_left: policy.map_or(0, |p| p.budget.left(&ledger.state.spawns, now)),
            max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pack's log tail (and a one-shot's `output.log`, read the same way) is the text a
    /// person saw: words placed by cursor moves, a spinner's last frame, no escapes.
    #[test]
    fn a_pack_tail_is_the_rendered_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("dispatch-t.log");
        let mut bytes =
            b"=== warden: j000001 attempt 1 of t started 2026-06-01T12:00:00Z ===\n".to_vec();
        bytes.extend_from_slice(
            b"Stub\x1b[8Gmodel\x1b[14Ghere.\r\nthinking |\rthinking /\rdone      \r\n",
        );
        std::fs::write(&log, &bytes).expect("write");
        let text = String::from_utf8(tail(&log).expect("tail")).expect("utf-8");
        assert!(text.contains("Stub   model here.\n"), "{text}");
        assert!(text.ends_with("done\n"), "{text}");
        assert!(
            !text.contains('\x1b') && !text.contains("thinking"),
            "{text}"
        );

        // A log far bigger than what is rendered: its last 200 lines, whole.
        let mut big = Vec::new();
        for i in 0..100_000 {
            big.extend_from_slice(format!("\x1b[32mline {i}\x1b[0m\r\n").as_bytes());
        }
        std::fs::write(&log, &big).expect("write");
        let text = String::from_utf8(tail(&log).expect("tail")).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 200);
        assert_eq!(lines[0], "line 99800");
        assert_eq!(lines[199], "line 99999");
        assert!(tail(&dir.path().join("missing.log")).is_none());
    }
}
