//! Git worktrees made for tasks: the porcelain parser and the observation of disk and git.

mod observe;
mod porcelain;

pub(crate) use observe::{WorktreeObservation, observe_worktrees};
pub(crate) use porcelain::{GitWorktree, parse_worktree_list};
