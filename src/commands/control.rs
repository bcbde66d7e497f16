//! `warden dispatch`, `warden retry`, `warden kill`: requests to the running supervisor.

use std::time::Duration;

use super::output::print;
use crate::config::LoadedConfig;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::supervisor::{ControlError, Request, Response, RuntimePaths, request};

/// Sends `req` and prints the answer. No supervisor is its own exit code.
pub(crate) fn send(loaded: &LoadedConfig, req: &Request) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    match request(&paths.control, req, Duration::from_secs(60)) {
        Ok(Response::Ok { message }) => {
            print(&format!("{message}\n"))?;
            Ok(ExitCode::Ok)
        }
        Ok(Response::Error { message }) => Err(Error::Other(message)),
        Ok(Response::Snapshot { .. } | Response::Decisions { .. }) => Ok(ExitCode::Ok),
        Err(ControlError::Connect { .. }) => Err(Error::NotRunning(paths.root)),
        Err(e) => Err(Error::Other(e.to_string())),
    }
}
