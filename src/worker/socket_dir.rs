//! Where the supervisor's sockets are, and whose folder they may be in. Unix socket paths
//! are limited to about 107 bytes, so a deep repository's sockets move out of its state
//! folder into a folder of the user's own in `/tmp`, which any user of the machine could
//! have made first: it is used only when it is ours and 0700.

use std::path::{Path, PathBuf};

use crate::state::{FolderMode, PathError, ensure_folder, ensure_owned_private};
use crate::tmux::stable_hash;

/// A socket in the state folder, or `<fallback>/<hash>-<name>` when that path would be too
/// long, named by the state folder so every warden of the repository computes the same
/// path.
pub(crate) fn socket_path(state_dir: &Path, name: &str) -> PathBuf {
    let direct = state_dir.join(name);
    if direct.as_os_str().len() <= 100 {
        return direct;
    }
    let hash = stable_hash(state_dir.as_os_str().as_encoded_bytes());
    fallback_dir().join(format!("{:012x}-{name}", hash & 0xffff_ffff_ffff))
}

/// Where sockets go when the state folder is too deep: `WARDEN_SOCKET_DIR`, else
/// `/tmp/warden-<uid>`.
pub(crate) fn fallback_dir() -> PathBuf {
    std::env::var_os("WARDEN_SOCKET_DIR").map_or_else(
        || PathBuf::from(format!("/tmp/warden-{}", nix::unistd::getuid())),
        PathBuf::from,
    )
}

/// Checks a socket's folder: before binding (`make`: the folder is made, private) and
/// before connecting or sending. The fallback folder must be ours and 0700 (made so when
/// missing); another user's, or one others may enter, is refused, naming it.
pub(crate) fn check_socket_folder(socket: &Path, make: bool) -> Result<(), PathError> {
    let Some(dir) = socket.parent() else {
        return Ok(());
    };
    if dir == fallback_dir() {
        ensure_owned_private(dir, make)
    } else if make {
        ensure_folder(dir, FolderMode::Private)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_state_dirs_get_a_short_socket() {
        let short = socket_path(Path::new("/repo/.warden"), "reports.sock");
        assert_eq!(short, Path::new("/repo/.warden/reports.sock"));
        let deep = format!("/{}/.warden", "d".repeat(120));
        let p = socket_path(Path::new(&deep), "reports.sock");
        assert!(p.as_os_str().len() < 100, "{}", p.display());
        assert_eq!(p, socket_path(Path::new(&deep), "reports.sock"));
    }
}
