//! Looking at worktrees: the folders under the worktrees folder, and what git lists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use std::process::Command;

use super::porcelain::{GitWorktree, parse_worktree_list};

/// What the file system and git say about task worktrees. Paths are relative to the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WorktreeObservation {
    /// Folders directly under the worktrees folder.
    pub(crate) on_disk: Vec<PathBuf>,
    /// Each folder's mtime (when it was made, as far as anyone can tell).
    pub(crate) made_at: BTreeMap<PathBuf, DateTime<Utc>>,
    /// Worktrees git knows of under the worktrees folder (the main one excluded).
    pub(crate) git: Vec<GitWorktree>,
    /// Why `git worktree list` could not be read, when it could not (not a git repository,
    /// git missing). Detection then uses the folders alone.
    pub(crate) git_error: Option<String>,
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// Observes worktrees under `worktrees_dir` (absolute) for the repository at `root`.
pub(crate) fn observe_worktrees(root: &Path, worktrees_dir: &Path) -> WorktreeObservation {
    let mut obs = WorktreeObservation::default();
    if let Ok(entries) = std::fs::read_dir(worktrees_dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                let rel = relative(root, &entry.path());
                if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                    obs.made_at
                        .insert(rel.clone(), DateTime::<Utc>::from(modified));
                }
                obs.on_disk.push(rel);
            }
        }
    }
    obs.on_disk.sort();
    // No worktrees folder: nothing git could list there either, and no fork of git on
    // every heartbeat of a repository that does not use worktrees.
    if !worktrees_dir.is_dir() {
        return obs;
    }
    if !root.join(".git").exists() {
        obs.git_error = Some("not a git repository".to_owned());
        return obs;
    }
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["worktree", "list", "--porcelain"])
        .output();
    match output {
        Ok(out) if out.status.success() => {
            // git may print the root through a symlink-resolved path; compare canonical forms.
            let canon_dir = worktrees_dir
                .canonicalize()
                .unwrap_or_else(|_| worktrees_dir.to_path_buf());
            let canon_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
            for mut wt in parse_worktree_list(&String::from_utf8_lossy(&out.stdout)) {
                let inside = wt.path.starts_with(worktrees_dir) || wt.path.starts_with(&canon_dir);
                if inside {
                    wt.path = if wt.path.starts_with(&canon_root) {
                        relative(&canon_root, &wt.path)
                    } else {
                        relative(root, &wt.path)
                    };
                    obs.git.push(wt);
                }
            }
        }
        Ok(out) => {
            obs.git_error = Some(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Err(e) => obs.git_error = Some(format!("failed to run git: {e}")),
    }
    obs
}
