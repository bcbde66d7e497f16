//! The end of a log file, read from the end: a large log is never read whole. `warden logs`,
//! the dashboard's pager, context packs and the next attempt's prompt all want only the end.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::fcntl::OFlag;

/// The last `window` bytes of the log at `path` (all of a shorter one), and how many bytes
/// come before them. Opened without following a link and without blocking; anything but a
/// regular file reads as empty.
pub(crate) fn read_end(path: &Path, window: u64) -> std::io::Result<(Vec<u8>, u64)> {
    let mut file = File::options()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok((Vec::new(), 0));
    }
    let start = meta.len().saturating_sub(window);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(window).read_to_end(&mut bytes)?;
    Ok((bytes, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_end_is_read_and_what_came_before_is_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        std::fs::write(&path, b"0123456789").expect("write");
        assert_eq!(read_end(&path, 4).expect("read"), (b"6789".to_vec(), 6));
        assert_eq!(
            read_end(&path, 64).expect("read"),
            (b"0123456789".to_vec(), 0)
        );
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&path, &link).expect("symlink");
        assert!(read_end(&link, 4).is_err(), "a link is not followed");
        assert_eq!(read_end(dir.path(), 4).expect("a folder"), (Vec::new(), 0));
    }
}
