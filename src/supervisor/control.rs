//! The control socket: one JSON request per connection, one JSON response back (the
//! messages are in `protocol.rs`). Only the user who runs the supervisor may talk to it:
//! the socket is mode 0600 and each peer's uid is checked. Both ways: the client checks the
//! server's uid too, and neither uses a socket folder another user could control.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

use super::event::Event;
use super::protocol::{Request, Response};
use crate::state::PathError;
use crate::worker::check_socket_folder;

#[derive(Debug, thiserror::Error)]
pub(crate) enum ControlError {
    #[error("failed to reach the supervisor at {path}: {source}")]
    Connect {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to talk to the supervisor at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read the supervisor's answer: {0}")]
    Decode(#[source] serde_json::Error),
    #[error("failed to listen on {path}: {source}")]
    Listen {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "failed to trust the supervisor at {path}: the process that answers there runs as uid {peer}, not as uid {me}"
    )]
    Stranger { path: PathBuf, peer: u32, me: u32 },
    /// The socket's folder is another user's, or open to others.
    #[error(transparent)]
    Refused(#[from] PathError),
}

/// Whom either end talks to: a process of its own user, and no one else (root included).
fn trusted(peer: u32, me: u32) -> bool {
    peer == me
}

/// Sends one request and waits for the answer.
pub(crate) fn request(
    path: &Path,
    req: &Request,
    timeout: Duration,
) -> Result<Response, ControlError> {
    check_socket_folder(path, false)?;
    let stream = UnixStream::connect(path).map_err(|source| ControlError::Connect {
        path: path.to_path_buf(),
        source,
    })?;
    let io = |source| ControlError::Io {
        path: path.to_path_buf(),
        source,
    };
    let peer = getsockopt(&stream, PeerCredentials)
        .map_err(|e| io(e.into()))?
        .uid();
    let me = nix::unistd::getuid().as_raw();
    if !trusted(peer, me) {
        return Err(ControlError::Stranger {
            path: path.to_path_buf(),
            peer,
            me,
        });
    }
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    let mut line = serde_json::to_string(req).map_err(ControlError::Decode)?;
    line.push('\n');
    (&stream).write_all(line.as_bytes()).map_err(io)?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).map_err(io)?;
    serde_json::from_str(&answer).map_err(ControlError::Decode)
}

/// Binds the socket (replacing a stale one nobody answers on) and serves it on a thread,
/// turning each request into an `Event::Control` for the loop.
pub(crate) fn serve(path: &Path, events: Sender<Event>) -> Result<(), ControlError> {
    let listen_err = |source| ControlError::Listen {
        path: path.to_path_buf(),
        source,
    };
    check_socket_folder(path, true)?;
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(listen_err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "a supervisor already answers on it",
            )));
        }
        let _ = std::fs::remove_file(path);
    }
    let listener = UnixListener::bind(path).map_err(listen_err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(listen_err)?;
    let me = nix::unistd::getuid().as_raw();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let events = events.clone();
            // One short thread per connection: a slow client never blocks the listener.
            std::thread::spawn(move || handle(stream, me, &events));
        }
    });
    Ok(())
}

fn handle(stream: UnixStream, me: u32, events: &Sender<Event>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let answer = match getsockopt(&stream, PeerCredentials) {
        Ok(cred) if trusted(cred.uid(), me) => {
            let mut line = String::new();
            match BufReader::new(&stream).read_line(&mut line) {
                Ok(_) => match serde_json::from_str::<Request>(&line) {
                    Ok(req) => {
                        let (tx, rx) = channel();
                        if events
                            .send(Event::Control {
                                request: req,
                                reply: tx,
                            })
                            .is_err()
                        {
                            Response::Error {
                                message: "the supervisor is shutting down".to_owned(),
                            }
                        } else {
                            rx.recv_timeout(Duration::from_secs(60))
                                .unwrap_or(Response::Error {
                                    message: "the supervisor did not answer in time".to_owned(),
                                })
                        }
                    }
                    Err(e) => Response::Error {
                        message: format!("bad request: {e}"),
                    },
                },
                Err(e) => Response::Error {
                    message: format!("failed to read the request: {e}"),
                },
            }
        }
        _ => Response::Error {
            message: "refused: only the supervisor's own user may control it".to_owned(),
        },
    };
    if let Ok(mut line) = serde_json::to_string(&answer) {
        line.push('\n');
        let _ = (&stream).write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt as _;
    use std::time::Instant;

    use super::*;

    /// A listener that answers every request `ok`, run by perl as uid 65534.
    const STRANGER: &str = r#"use IO::Socket::UNIX; my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 5) or die "listen: $!"; while (my $c = $s->accept) { my $l = <$c>; print $c qq({"response":"ok","message":"answered by a stranger"}\n); close $c; }"#;

    /// The client checks the server's uid as the server checks the client's. Only root can
    /// start a listener as another user; elsewhere this is skipped.
    #[test]
    fn the_client_refuses_a_server_run_by_another_user() {
        if !nix::unistd::getuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        let path = dir.path().join("warden.sock");
        let Ok(mut stranger) = std::process::Command::new("perl")
            .args(["-e", STRANGER])
            .arg(&path)
            .uid(65534)
            .gid(65534)
            .spawn()
        else {
            return;
        };
        // Until it listens: the socket file appears at bind, a moment before listen.
        let deadline = Instant::now() + Duration::from_secs(10);
        let answer = loop {
            let answer = request(&path, &Request::Ping, Duration::from_secs(5));
            if !matches!(answer, Err(ControlError::Connect { .. })) || Instant::now() > deadline {
                break answer;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let _ = stranger.kill();
        let _ = stranger.wait();
        assert!(
            answer.is_err(),
            "the client talked to a server run by uid 65534: {answer:?}"
        );
        let message = answer.map(|_| ()).expect_err("refused").to_string();
        assert!(message.contains("65534"), "{message}");
    }

    #[test]
    fn only_the_same_user_is_trusted() {
        assert!(trusted(1000, 1000));
        assert!(!trusted(65534, 1000));
        assert!(!trusted(0, 1000), "not even root");
        assert!(!trusted(1000, 0), "root trusts no one else either");
    }
}
