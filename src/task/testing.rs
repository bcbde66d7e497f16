//! Test rigs for task folders that are hard to make, even as root.

use std::path::{Path, PathBuf};

/// A folder below `parent` that cannot be listed, even by root (who can list a mode-000
/// folder): its path is longer than the kernel's PATH_MAX, so `read_dir` fails with
/// ENAMETOOLONG. Made one level at a time relative to an open folder. Returns the first
/// such folder.
pub(crate) fn unlistable_folder(parent: &Path) -> PathBuf {
    use nix::fcntl::{OFlag, open, openat};
    use nix::sys::stat::{Mode, mkdirat};
    let name = "d".repeat(200);
    let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let mut fd = open(parent, flags, Mode::empty()).expect("open parent");
    let mut path = parent.to_path_buf();
    loop {
        mkdirat(&fd, name.as_str(), Mode::from_bits_truncate(0o755)).expect("mkdirat");
        fd = openat(&fd, name.as_str(), flags, Mode::empty()).expect("openat");
        path.push(&name);
        if path.as_os_str().len() >= 4096 {
            return path;
        }
    }
}
