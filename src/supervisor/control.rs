//! The control socket: one JSON request per connection, one JSON response back (the
//! messages are in `protocol.rs`). Only the
//! user who runs the supervisor may talk to it: the socket is mode 0600 and each peer's uid
//! is checked.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

use super::event::Event;
use super::protocol::{Request, Response};

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
}

/// Sends one request and waits for the answer.
pub(crate) fn request(
    path: &Path,
    req: &Request,
    timeout: Duration,
) -> Result<Response, ControlError> {
    let stream = UnixStream::connect(path).map_err(|source| ControlError::Connect {
        path: path.to_path_buf(),
        source,
    })?;
    let io = |source| ControlError::Io {
        path: path.to_path_buf(),
        source,
    };
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
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(listen_err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "a supervisor already answers on it",
            )));
        }
        let _ = std::fs::remove_file(path);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(listen_err)?;
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
        Ok(cred) if cred.uid() == me => {
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
