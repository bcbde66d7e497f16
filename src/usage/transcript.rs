//! Reading a Claude Code transcript (`transcript_path` in every hook payload) a pass at a
//! time: from the cursor's offset, at most about `max_bytes` per pass, in fixed chunks, so
//! the supervisor's time and memory per pass are bounded whatever the file's size. Only
//! complete lines are counted; an incomplete last line waits for its newline.
//!
//! The path comes from an agent: it is opened without following a link and non-blocking
//! (a FIFO must not hang the supervisor), and only a regular file is read, never past the
//! size `fstat` gave (a `/proc` file says 0 and yields nothing).

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;

use super::cursor::{Cursor, FINGERPRINT_BYTES, FileId, fingerprint};
use super::line::assistant_usage;
use super::tokens::Spend;

/// The size of one read.
const CHUNK: usize = 128 * 1024;

/// A line longer than this is skipped unread: it bounds the memory of a pass. Claude Code's
/// long lines are tool results and pasted images, on user lines that carry no usage.
pub(crate) const MAX_LINE: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub(crate) enum TranscriptError {
    #[error("failed to open transcript {path}: it is a symbolic link")]
    Link { path: PathBuf },
    #[error("failed to open transcript {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read transcript {path}: not a regular file")]
    NotRegular { path: PathBuf },
    #[error("failed to read transcript {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a read started over from the beginning of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restart {
    /// Another file is at the path now (another inode or device).
    Replaced,
    /// The file is shorter than the offset.
    Truncated,
    /// The bytes before the offset changed: rewritten in place.
    Rewritten,
}

/// What one pass read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Increment {
    /// Each response counted once, in file order.
    pub(crate) spends: Vec<Spend>,
    pub(crate) cursor: Cursor,
    /// `Some` when the pass started over from byte 0 rather than the cursor's offset.
    pub(crate) restart: Option<Restart>,
    /// Complete bytes are left past the cap: another pass will find more.
    pub(crate) more: bool,
    /// Lines longer than `MAX_LINE` that ended in this pass, skipped.
    pub(crate) long_lines: u32,
}

fn open(path: &Path) -> Result<File, TranscriptError> {
    File::options()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path)
        .map_err(|source| {
            if source.raw_os_error() == Some(nix::libc::ELOOP) {
                TranscriptError::Link {
                    path: path.to_path_buf(),
                }
            } else {
                TranscriptError::Open {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })
}

/// The fingerprint of the bytes before `offset`, as the cursor keeps it.
fn fingerprint_before(file: &File, offset: u64) -> std::io::Result<u64> {
    let from = offset.saturating_sub(FINGERPRINT_BYTES);
    let mut bytes = [0u8; FINGERPRINT_BYTES as usize];
    let len = usize::try_from(offset - from).unwrap_or(0);
    file.read_exact_at(&mut bytes[..len], from)?;
    Ok(fingerprint(&[&bytes[..len]]))
}

/// Whether the cursor still belongs to this file, and why not.
fn restart_reason(
    file: &File,
    id: FileId,
    len: u64,
    cursor: &Cursor,
) -> std::io::Result<Option<Restart>> {
    if cursor.file.is_some_and(|known| known != id) {
        return Ok(Some(Restart::Replaced));
    }
    if len < cursor.offset {
        return Ok(Some(Restart::Truncated));
    }
    if cursor.offset > 0 && fingerprint_before(file, cursor.offset)? != cursor.before {
        return Ok(Some(Restart::Rewritten));
    }
    Ok(None)
}

/// Reads the transcript at `path` from `cursor`: about `max_bytes` at most (a line that
/// straddles the cap is finished, up to `MAX_LINE`), never past an incomplete last line.
/// A replaced, truncated or rewritten file is read from its start, which `restart` says;
/// the keys of responses already counted are kept, so a copy is not counted twice.
pub(crate) fn read_increment(
    path: &Path,
    cursor: &Cursor,
    max_bytes: u64,
) -> Result<Increment, TranscriptError> {
    let read_error = |source| TranscriptError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = open(path)?;
    let meta = file.metadata().map_err(read_error)?;
    if !meta.is_file() {
        return Err(TranscriptError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    let id = FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    };
    let end = meta.len();
    let restart = restart_reason(&file, id, end, cursor).map_err(read_error)?;
    let mut next = cursor.clone();
    next.file = Some(id);
    if restart.is_some() {
        next.offset = 0;
        next.skipping = false;
    }
    let mut pass = Pass {
        spends: Vec::new(),
        line: Vec::new(),
        long_lines: 0,
        next,
    };
    let start = pass.next.offset;
    let budget = max_bytes.max(1);
    let mut pos = start;
    // Where the last complete (or skipped) line ended: the next pass starts there.
    let mut committed = start;
    let mut more = false;
    let mut buf = vec![0u8; CHUNK];
    'read: while pos < end {
        // Past the cap, stop at a line's end; a line begun is finished (up to `MAX_LINE`).
        if pos - start >= budget && (pass.line.is_empty() || pass.next.skipping) {
            more = true;
            break;
        }
        let want = usize::try_from(end - pos).map_or(CHUNK, |left| left.min(CHUNK));
        let got = file.read_at(&mut buf[..want], pos).map_err(read_error)?;
        if got == 0 {
            // Shrank since the fstat: the next pass will see it.
            break;
        }
        let chunk = &buf[..got];
        let mut from = 0;
        while let Some(newline) = chunk[from..].iter().position(|&b| b == b'\n') {
            let line_end = from + newline;
            pass.line_ends(&chunk[from..line_end]);
            from = line_end + 1;
            committed = pos + from as u64;
            if committed - start >= budget {
                more = committed < end;
                break 'read;
            }
        }
        if pass.partial(&chunk[from..]) {
            committed = pos + got as u64;
        }
        pos += got as u64;
    }
    let mut next = pass.next;
    next.offset = committed;
    next.before = fingerprint_before(&file, committed).map_err(read_error)?;
    Ok(Increment {
        spends: pass.spends,
        cursor: next,
        restart,
        more,
        long_lines: pass.long_lines,
    })
}

/// The state of one pass between chunks.
struct Pass {
    spends: Vec<Spend>,
    /// The start of a line whose newline is in a later chunk.
    line: Vec<u8>,
    long_lines: u32,
    next: Cursor,
}

impl Pass {
    /// A newline ended a line whose last bytes are `tail`.
    fn line_ends(&mut self, tail: &[u8]) {
        if self.next.skipping {
            self.next.skipping = false;
            self.long_lines = self.long_lines.saturating_add(1);
            return;
        }
        if self.line.is_empty() {
            self.count(tail);
        } else if self.line.len() + tail.len() > MAX_LINE {
            self.line.clear();
            self.long_lines = self.long_lines.saturating_add(1);
        } else {
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(tail);
            self.count(&line);
            line.clear();
            // The allocation is kept for the next long line.
            self.line = line;
        }
    }

    /// Bytes after a chunk's last newline. True when they were dropped for good (a line
    /// over the limit), so the offset may move past them.
    fn partial(&mut self, bytes: &[u8]) -> bool {
        if self.next.skipping {
            return true;
        }
        if self.line.len() + bytes.len() > MAX_LINE {
            self.line.clear();
            self.next.skipping = true;
            return true;
        }
        self.line.extend_from_slice(bytes);
        false
    }

    fn count(&mut self, line: &[u8]) {
        if let Some((key, spend)) = assistant_usage(line)
            && key.is_none_or(|key| self.next.recent.insert(key))
        {
            self.spends.push(spend);
        }
    }
}
