//! A pure parser for `git worktree list --porcelain`.

use std::path::PathBuf;

/// One worktree as git lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct GitWorktree {
    pub(crate) path: PathBuf,
    pub(crate) head: Option<String>,
    /// `refs/heads/<name>`, or `None` when detached or bare.
    pub(crate) branch: Option<String>,
    pub(crate) bare: bool,
    pub(crate) detached: bool,
    pub(crate) locked: bool,
    /// git's own note that the worktree's folder is gone.
    pub(crate) prunable: bool,
}

/// Records are separated by blank lines; each starts with `worktree <path>`. Unknown lines
/// are ignored so a newer git's additions do not break us.
pub(crate) fn parse_worktree_list(text: &str) -> Vec<GitWorktree> {
    let mut out = Vec::new();
    let mut current: Option<GitWorktree> = None;
    for line in text.lines() {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "worktree" => {
                out.extend(current.take());
                current = Some(GitWorktree {
                    path: PathBuf::from(rest),
                    ..GitWorktree::default()
                });
            }
            _ => {
                let Some(wt) = current.as_mut() else { continue };
                match word {
                    "HEAD" => wt.head = Some(rest.to_owned()),
                    "branch" => wt.branch = Some(rest.to_owned()),
                    "bare" => wt.bare = true,
                    "detached" => wt.detached = true,
                    "locked" => wt.locked = true,
                    "prunable" => wt.prunable = true,
                    _ => {}
                }
            }
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_main_linked_detached_and_prunable() {
        let text = "worktree /repo\nHEAD aaa\nbranch refs/heads/main\n\n\
                    worktree /repo/.worktrees/t 1\nHEAD bbb\nbranch refs/heads/task/t 1\nlocked\n\n\
                    worktree /repo/.worktrees/gone\nHEAD ccc\ndetached\nprunable gitdir file points to non-existent location\n\n";
        let list = parse_worktree_list(text);
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].path, PathBuf::from("/repo"));
        assert_eq!(list[0].branch.as_deref(), Some("refs/heads/main"));
        assert_eq!(list[1].path, PathBuf::from("/repo/.worktrees/t 1"));
        assert!(list[1].locked);
        assert!(list[2].detached && list[2].prunable);
        assert_eq!(list[2].branch, None);
    }

    #[test]
    fn empty_and_garbage_input() {
        assert!(parse_worktree_list("").is_empty());
        assert!(parse_worktree_list("HEAD x\nnonsense\n").is_empty());
    }
}
