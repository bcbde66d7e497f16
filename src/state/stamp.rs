//! What a file looked like when warden last read or wrote it, to notice that someone else
//! changed it since (a person editing the register by hand while the supervisor runs).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Size, modification time and inode: an atomic write (a new file renamed over the old)
/// changes the inode, an edit in place the time or the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    mtime_ns: i128,
    ino: u64,
}

/// The file's stamp now; `None` when it does not exist (or cannot be read).
pub(crate) fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: m.len(),
        mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        ino: m.ino(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_or_a_replacement_changes_the_stamp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.json");
        assert_eq!(stamp(&path), None);
        std::fs::write(&path, b"one").expect("write");
        let first = stamp(&path);
        assert_eq!(stamp(&path), first, "unchanged");
        std::fs::write(&path, b"three").expect("edit in place");
        let second = stamp(&path);
        assert_ne!(second, first);
        crate::state::write_atomic(&path, b"three").expect("replace");
        assert_ne!(stamp(&path), second, "same size, new inode");
    }
}
