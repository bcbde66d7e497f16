//! Reading one task file in a way that can never block: a FIFO waits for a writer, a device
//! or a `/proc` file such as `/proc/kmsg` can wait forever, and a supervisor stuck in `read`
//! cannot even be stopped. So a file is opened non-blocking, checked with `fstat` on the open
//! descriptor (the walk's stat may be stale), and read only when it is a regular file on a
//! real file system, at most `MAX_TASK_FILE_BYTES` of it. Symlinks are followed: a link to a
//! regular file elsewhere is a task like any other.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use nix::fcntl::OFlag;
use nix::sys::statfs::{
    BPF_FS_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC, PROC_SUPER_MAGIC,
    SECURITYFS_MAGIC, SYSFS_MAGIC, TRACEFS_MAGIC, fstatfs,
};

/// Files above this size are refused unread: a task file is prose, and reading a stray
/// multi-gigabyte file into memory would stall every heartbeat.
pub(crate) const MAX_TASK_FILE_BYTES: u64 = 1024 * 1024;

/// What a path is when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    Folder,
    SymlinkLoop,
    /// A file of `/proc`, `/sys` and the like: its size says 0 and a read may never end.
    Pseudo,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fifo => "a FIFO",
            Self::CharDevice => "a character device",
            Self::BlockDevice => "a block device",
            Self::Socket => "a socket",
            Self::Folder => "a folder",
            Self::SymlinkLoop => "a symbolic link loop",
            Self::Pseudo => "a file of the kernel's /proc or /sys",
        })
    }
}

impl FileKind {
    /// `None` for a regular file.
    pub(crate) fn of(meta: &Metadata) -> Option<Self> {
        let t = meta.file_type();
        if t.is_file() {
            None
        } else if t.is_fifo() {
            Some(Self::Fifo)
        } else if t.is_char_device() {
            Some(Self::CharDevice)
        } else if t.is_block_device() {
            Some(Self::BlockDevice)
        } else if t.is_socket() {
            Some(Self::Socket)
        } else if t.is_dir() {
            Some(Self::Folder)
        } else {
            // Only a symlink is left, and a stat that follows links never returns one.
            Some(Self::SymlinkLoop)
        }
    }
}

/// Why a task file was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("not a regular file ({0})")]
    NotRegular(FileKind),
    #[error(
        "file is {size} bytes, larger than the {MAX_TASK_FILE_BYTES}-byte limit for a task file"
    )]
    TooLarge { size: u64 },
    #[error("failed to read: {0}")]
    Io(#[from] std::io::Error),
}

impl ReadError {
    /// An error from following the path: a loop is a kind of file, not a failure.
    pub(crate) fn from_stat(e: std::io::Error) -> Self {
        if e.raw_os_error() == Some(nix::libc::ELOOP) {
            Self::NotRegular(FileKind::SymlinkLoop)
        } else {
            Self::Io(e)
        }
    }
}

/// File systems whose files claim to be regular but are the kernel's.
fn is_pseudo(file: &File) -> bool {
    fstatfs(file).is_ok_and(|fs| {
        [
            PROC_SUPER_MAGIC,
            SYSFS_MAGIC,
            DEBUGFS_MAGIC,
            TRACEFS_MAGIC,
            SECURITYFS_MAGIC,
            CGROUP_SUPER_MAGIC,
            CGROUP2_SUPER_MAGIC,
            BPF_FS_MAGIC,
        ]
        .contains(&fs.filesystem_type())
    })
}

/// The whole file, when it is a regular file of at most `MAX_TASK_FILE_BYTES`.
pub(crate) fn read_task_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    // Non-blocking: opening a FIFO does not wait for a writer, and no read can wait. No
    // controlling terminal is taken from a tty either.
    let file = File::options()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path)
        .map_err(ReadError::from_stat)?;
    let meta = file.metadata()?;
    if let Some(kind) = FileKind::of(&meta) {
        return Err(ReadError::NotRegular(kind));
    }
    if is_pseudo(&file) {
        return Err(ReadError::NotRegular(FileKind::Pseudo));
    }
    if meta.len() > MAX_TASK_FILE_BYTES {
        return Err(ReadError::TooLarge { size: meta.len() });
    }
    // The file may grow between the fstat and the read: never take more than the limit.
    let mut bytes = Vec::new();
    file.take(MAX_TASK_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    if read > MAX_TASK_FILE_BYTES {
        return Err(ReadError::TooLarge { size: read });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &Path) -> Option<FileKind> {
        match read_task_file(path) {
            Err(ReadError::NotRegular(kind)) => Some(kind),
            _ => None,
        }
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.md");
        std::fs::write(&file, "---\nid: a\n---\n").expect("write");
        assert_eq!(read_task_file(&file).expect("read"), b"---\nid: a\n---\n");
        let fifo = dir.path().join("fifo.md");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644))
            .expect("mkfifo");
        assert_eq!(kind(&fifo), Some(FileKind::Fifo));
        let looped = dir.path().join("loop.md");
        std::os::unix::fs::symlink("loop.md", &looped).expect("loop");
        assert_eq!(kind(&looped), Some(FileKind::SymlinkLoop));
        assert_eq!(kind(Path::new("/dev/null")), Some(FileKind::CharDevice));
        assert_eq!(kind(Path::new("/proc/self/status")), Some(FileKind::Pseudo));
        assert_eq!(kind(dir.path()), Some(FileKind::Folder));
        assert!(matches!(
            read_task_file(&dir.path().join("missing.md")),
            Err(ReadError::Io(_))
        ));
    }

    #[test]
    fn a_file_larger_than_the_limit_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("big.md");
        let size = usize::try_from(MAX_TASK_FILE_BYTES).expect("fits") + 1;
        std::fs::write(&file, vec![b'x'; size]).expect("write");
        match read_task_file(&file) {
            Err(e @ ReadError::TooLarge { .. }) => {
                assert_eq!(
                    e.to_string(),
                    format!(
                        "file is {size} bytes, larger than the 1048576-byte limit for a task file"
                    )
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
