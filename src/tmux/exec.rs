//! Running one tmux client with a deadline. A stopped or wedged server never answers, and
//! a client waiting on it would freeze the supervisor, so every call is bounded: on timeout
//! the client (our own child) is killed and reaped. Both pipes are drained on threads so a
//! large answer (`capture-pane`) cannot fill a pipe and stall the client.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// What the client printed, and how it ended.
#[derive(Debug)]
pub(super) struct Finished {
    pub(super) status: ExitStatus,
    pub(super) stdout: Vec<u8>,
    pub(super) stderr: Vec<u8>,
}

#[derive(Debug)]
pub(super) enum ExecError {
    /// The client could not be started (or watched).
    Spawn(std::io::Error),
    /// No exit within the timeout; the client was killed.
    Timeout,
}

/// A client command with the environment cleaned: no `TMUX`/`TMUX_PANE`, so a warden started
/// inside tmux never talks to the user's server. Callers choose stdio.
pub(super) fn client(bin: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args).env_remove("TMUX").env_remove("TMUX_PANE");
    cmd
}

/// Polling for the exit after the output closed (a tmux client exits some 20 µs after):
/// the first pause is short because a call takes about 3 ms and latency matters, then the
/// pauses double so a slow exit costs little CPU.
const FIRST_PAUSE: Duration = Duration::from_micros(50);
const MAX_PAUSE: Duration = Duration::from_millis(2);

enum Stream {
    Out,
    Err,
}

fn drain(
    pipe: Option<impl Read + Send + 'static>,
    stream: Stream,
    tx: Sender<(Stream, Vec<u8>)>,
) -> std::io::Result<()> {
    let Some(mut pipe) = pipe else {
        let _ = tx.send((stream, Vec::new()));
        return Ok(());
    };
    std::thread::Builder::new()
        .name("tmux-drain".to_owned())
        .stack_size(64 * 1024)
        .spawn(move || {
            let mut buf = Vec::new();
            // A read error ends the stream; what was read so far is still the answer.
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send((stream, buf));
        })
        .map(drop)
}

/// Kills and reaps the client. SIGKILL cannot be ignored, so the wait is short.
fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `bin args` with stdin closed and waits at most `timeout` for it to exit and close
/// its output.
pub(super) fn run(bin: &Path, args: &[String], timeout: Duration) -> Result<Finished, ExecError> {
    let deadline = Instant::now() + timeout;
    let mut child = client(bin, args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(ExecError::Spawn)?;
    let (tx, rx) = mpsc::channel();
    let started = drain(child.stdout.take(), Stream::Out, tx.clone())
        .and_then(|()| drain(child.stderr.take(), Stream::Err, tx));
    if let Err(e) = started {
        kill(&mut child);
        return Err(ExecError::Spawn(e));
    }
    // The output first: the client closes it as it exits (a server it forks detaches from
    // it), so blocking on the drains wakes right then, with no polling before.
    let (mut stdout, mut stderr) = (None, None);
    while stdout.is_none() || stderr.is_none() {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((Stream::Out, bytes)) => stdout = Some(bytes),
            Ok((Stream::Err, bytes)) => stderr = Some(bytes),
            Err(RecvTimeoutError::Timeout) => {
                kill(&mut child);
                return Err(ExecError::Timeout);
            }
            // Both drains are gone without sending (they cannot panic); keep what there is.
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut pause = FIRST_PAUSE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return Ok(Finished {
                    status,
                    stdout: stdout.unwrap_or_default(),
                    stderr: stderr.unwrap_or_default(),
                });
            }
            Ok(None) => {}
            Err(e) => {
                kill(&mut child);
                return Err(ExecError::Spawn(e));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            kill(&mut child);
            return Err(ExecError::Timeout);
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> Result<Finished, ExecError> {
        run(
            Path::new("/bin/sh"),
            &["-c".to_owned(), script.to_owned()],
            timeout,
        )
    }

    #[test]
    fn output_and_status_come_back() {
        let out = sh("printf out; printf err >&2; exit 3", Duration::from_secs(5)).expect("ran");
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(out.stdout, b"out");
        assert_eq!(out.stderr, b"err");
    }

    #[test]
    fn large_output_does_not_deadlock() {
        let out = sh(
            "head -c 1000000 /dev/zero; head -c 300000 /dev/zero >&2",
            Duration::from_secs(10),
        )
        .expect("ran");
        assert_eq!((out.stdout.len(), out.stderr.len()), (1_000_000, 300_000));
    }

    #[test]
    fn a_silent_client_is_killed_at_the_deadline() {
        let start = Instant::now();
        // `exec` so the client itself sleeps: no grandchild keeps the pipes open.
        let out = sh("exec sleep 30", Duration::from_millis(200));
        assert!(matches!(out, Err(ExecError::Timeout)), "{out:?}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_missing_binary_is_a_spawn_error() {
        let out = run(Path::new("/nonexistent/tmux"), &[], Duration::from_secs(1));
        assert!(matches!(out, Err(ExecError::Spawn(_))), "{out:?}");
    }
}
