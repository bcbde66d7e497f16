//! Git worktrees made for tasks: the porcelain parser and the observation of disk and git.

mod observe;
mod porcelain;

pub(crate) use observe::{WorktreeObservation, observe_worktrees};
