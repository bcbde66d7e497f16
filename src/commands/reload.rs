//! `warden reload`: SIGHUP to the running supervisor, which reads `warden.toml` again (an
//! invalid one keeps the old). Only to the process that holds this repository's lock as
//! its supervisor.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::output::print;
use crate::config::LoadedConfig;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::supervisor::{Role, RuntimePaths, SupervisorLock};

pub(crate) fn reload(loaded: &LoadedConfig) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let Some(holder) =
        SupervisorLock::probe(&paths.lock).filter(|h| h.role == Some(Role::Supervisor))
    else {
        return Err(Error::NotRunning(paths.root.clone()));
    };
    let Ok(pid) = holder.pid.parse::<i32>() else {
        return Err(Error::Failed(format!(
            "the supervisor's lock {} names no pid ({:?})",
            paths.lock.display(),
            holder.pid
        )));
    };
    kill(Pid::from_raw(pid), Signal::SIGHUP)
        .map_err(|e| Error::Failed(format!("failed to signal the supervisor (pid {pid}): {e}")))?;
    print(&format!(
        "asked the supervisor (pid {pid}) to read {} again; an invalid file keeps the old config (see its log)\n",
        loaded
            .file
            .as_ref()
            .map_or_else(|| "the defaults".to_owned(), |f| f.display().to_string())
    ))?;
    Ok(ExitCode::Ok)
}
