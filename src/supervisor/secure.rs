//! Before a supervisor starts (and before `warden up` starts its session): every folder it
//! will write into is a real folder, not a link, and its state is private. A refusal names
//! the path and nothing is started, so nothing is ever written through a planted link.

use super::paths::RuntimePaths;
use crate::state::{FolderMode, PathError, check_no_links, ensure_folder, make_private};
use crate::worker::check_socket_folder;

impl RuntimePaths {
    /// Makes the state, jobs, logs and snapshot folders (0700 when made here), makes an
    /// existing state folder 0700, and refuses a link on any of their paths, on the
    /// worktrees folder's, or a socket folder that is not ours and private.
    pub(crate) fn secure(&self) -> Result<(), PathError> {
        ensure_folder(&self.state, FolderMode::Private)?;
        // An older warden made it 0755; what is in it (agents' records) is the user's alone.
        make_private(&self.state)?;
        for dir in [&self.jobs, &self.logs, &self.snapshots] {
            ensure_folder(dir, FolderMode::Private)?;
        }
        // git makes the worktrees; only a link on the way is refused here.
        check_no_links(&self.worktrees)?;
        check_socket_folder(&self.control, true)?;
        check_socket_folder(&self.reports, true)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use crate::config::{Overrides, load};

    use super::*;

    fn paths(root: &std::path::Path) -> RuntimePaths {
        RuntimePaths::new(&load(root, None, &Overrides::default()).expect("config"))
    }

    #[test]
    fn makes_the_folders_private_and_tightens_an_old_state_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir(root.join(".warden")).expect("mkdir");
        std::fs::set_permissions(root.join(".warden"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let p = paths(&root);
        p.secure().expect("secure");
        for dir in [&p.state, &p.jobs, &p.logs, &p.snapshots] {
            let mode = std::fs::metadata(dir).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
        assert!(!p.worktrees.exists(), "git makes the worktrees folder");
    }

    #[test]
    fn a_linked_worktrees_folder_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::os::unix::fs::symlink(out.path(), root.join(".worktrees")).expect("plant");
        let err = paths(&root).secure().expect_err("refused");
        assert!(err.to_string().contains(".worktrees"), "{err}");
    }
}
