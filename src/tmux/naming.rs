//! Names on the private tmux server: the socket name is derived from the repository's
//! canonical path, so a later `warden` finds the same server; the session is named after
//! the repository folder.

use std::path::{Path, PathBuf};

/// FNV-1a, 64 bits: stable across Rust versions (unlike `DefaultHasher`), which matters
/// because the name must be the same for every warden build that looks for the server.
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// `warden-<12 hex digits>` for the repository at `root` (already canonical).
pub(crate) fn socket_name(root: &Path) -> String {
    let hash = stable_hash(root.as_os_str().as_encoded_bytes());
    format!("warden-{:012x}", hash & 0xffff_ffff_ffff)
}

/// Where tmux puts the socket of the server named `name` (`tmux -L name`):
/// `$TMUX_TMPDIR/tmux-<uid>/<name>`, `/tmp` when `TMUX_TMPDIR` is unset.
pub(crate) fn socket_file(name: &str) -> PathBuf {
    let dir = std::env::var_os("TMUX_TMPDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    dir.join(format!("tmux-{}", nix::unistd::getuid()))
        .join(name)
}

/// The session name: the root folder's name with everything tmux treats specially
/// (`.`, `:`, spaces and the like) replaced by `_`.
pub(crate) fn session_name(root: &Path) -> String {
    let base = root
        .file_name()
        .map_or_else(|| "warden".to_owned(), |n| n.to_string_lossy().into_owned());
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "warden".to_owned()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_safe() {
        assert_eq!(
            socket_name(Path::new("/repo/a")),
            socket_name(Path::new("/repo/a"))
        );
        assert_ne!(
            socket_name(Path::new("/repo/a")),
            socket_name(Path::new("/repo/b"))
        );
        assert_eq!(socket_name(Path::new("/x")).len(), "warden-".len() + 12);
        // Pinned: a change here would orphan every running session.
        assert_eq!(stable_hash(b"warden"), 0xf5b4_3c31_db2e_3c24);
        assert_eq!(session_name(Path::new("/home/me/my.repo:x")), "my_repo_x");
        assert_eq!(session_name(Path::new("/")), "warden");
    }
}
