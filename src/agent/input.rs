//! The hook's stdin, read so that it can never hold the agent up: at most `INPUT_MAX`
//! bytes are kept, the rest is read and dropped (an agent writing a big payload gets no
//! broken pipe), and everything stops at a deadline, whoever holds the pipe open. Each
//! read follows a `poll` that said the fd is ready, so no read blocks.

use std::os::fd::AsFd;
use std::time::Instant;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// The most bytes of input kept: far above any hook payload but a tool's output.
pub(crate) const INPUT_MAX: usize = 256 * 1024;

/// What was read.
#[derive(Debug, Default)]
pub(crate) struct Input {
    pub(crate) bytes: Vec<u8>,
    /// More came than `max`; `bytes` is only the start.
    pub(crate) truncated: bool,
    /// The deadline came before the end of the input.
    pub(crate) timed_out: bool,
}

/// Reads `fd` to its end, keeping the first `max` bytes, until `deadline`.
pub(crate) fn read_bounded(fd: impl AsFd, max: usize, deadline: Instant) -> Result<Input, Errno> {
    let fd = fd.as_fd();
    let mut input = Input::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // Rounded up so a sub-millisecond rest still polls once instead of spinning.
        let ms = u16::try_from(left.as_millis().saturating_add(1)).unwrap_or(u16::MAX);
        if left.is_zero() {
            input.timed_out = true;
            return Ok(input);
        }
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => {
                input.timed_out = true;
                return Ok(input);
            }
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
        let n = match nix::unistd::read(fd, &mut buf) {
            Ok(0) => return Ok(input),
            Ok(n) => n,
            Err(Errno::EINTR | Errno::EAGAIN) => continue,
            Err(e) => return Err(e),
        };
        let room = max.saturating_sub(input.bytes.len());
        let kept = n.min(room);
        input.bytes.extend_from_slice(&buf[..kept]);
        if kept < n {
            input.truncated = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::time::Duration;

    #[test]
    fn reads_to_the_end_and_keeps_only_the_cap() {
        let (reader, writer) = std::io::pipe().expect("pipe");
        let writing = std::thread::spawn(move || {
            let mut writer = writer;
            let _ = writer.write_all(&vec![b'x'; 300_000]);
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let input = read_bounded(&reader, 100_000, deadline).expect("read");
        writing.join().expect("writer");
        assert_eq!(input.bytes.len(), 100_000);
        assert!(input.truncated);
        assert!(!input.timed_out, "the writer closed: the end was reached");
    }

    #[test]
    fn stops_at_the_deadline_when_nobody_writes() {
        let (reader, writer) = std::io::pipe().expect("pipe");
        let started = Instant::now();
        let input = read_bounded(&reader, 100, started + Duration::from_millis(100)).expect("read");
        assert!(input.timed_out);
        assert!(input.bytes.is_empty());
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(writer);
    }

    #[test]
    fn small_input_is_kept_whole() {
        let (reader, mut writer) = std::io::pipe().expect("pipe");
        writer.write_all(b"{\"a\":1}").expect("write");
        drop(writer);
        let input =
            read_bounded(&reader, 100, Instant::now() + Duration::from_secs(5)).expect("read");
        assert_eq!(input.bytes, b"{\"a\":1}");
        assert!(!input.truncated && !input.timed_out);
    }
}
