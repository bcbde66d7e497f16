//! Talking to the running supervisor: `warden dispatch`, `retry`, `kill`, and the one place
//! its answers (and its silence) become errors with their own exit codes.

use std::time::Duration;

use super::output::print;
use crate::config::LoadedConfig;
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::supervisor::{ControlError, Request, Response, RuntimePaths, SupervisorLock, request};

/// Sends `req` and waits up to `timeout`. A refusal, a failure and a supervisor that holds
/// the lock but does not answer are each their own error.
pub(crate) fn ask(
    paths: &RuntimePaths,
    req: &Request,
    timeout: Duration,
) -> Result<Response, Error> {
    match request(&paths.control, req, timeout) {
        Ok(Response::Refused { refusal }) => Err(Error::Refused(refusal)),
        Ok(Response::Error { message }) => Err(Error::Supervisor(message)),
        Ok(answer) => Ok(answer),
        Err(e) => Err(unreached(paths, e)),
    }
}

/// A request that did not get through: no supervisor, one that holds the lock and does not
/// answer, or another failure.
pub(crate) fn unreached(paths: &RuntimePaths, e: ControlError) -> Error {
    match e {
        ControlError::Connect { .. } | ControlError::Io { .. } => {
            match SupervisorLock::probe(&paths.lock) {
                Some(holder) => Error::Unreachable {
                    pid: holder.pid,
                    root: paths.root.clone(),
                    source: e,
                },
                None => Error::NotRunning(paths.root.clone()),
            }
        }
        e => Error::Control(e),
    }
}

/// Sends `req` and prints the answer.
pub(crate) fn send(loaded: &LoadedConfig, req: &Request) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    if let Response::Ok { message } = ask(&paths, req, Duration::from_secs(60))? {
        // One line, though it quotes a task id.
        print(&format!("{}\n", terminal_safe(&message)))?;
    }
    Ok(ExitCode::Ok)
}
