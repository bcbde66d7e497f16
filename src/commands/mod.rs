//! One file per subcommand; each takes what it needs and returns an exit code.

pub(crate) mod bench;
pub(crate) mod bench_exits;
pub(crate) mod check;
pub(crate) mod control;
pub(crate) mod demo;
pub(crate) mod doctor;
pub(crate) mod heartbeat;
pub(crate) mod init;
pub(crate) mod logs;
mod output;

/// Writes raw bytes to stdout (completions, the man page).
pub(crate) fn print_bytes(bytes: &[u8]) -> Result<crate::exit_code::ExitCode, crate::error::Error> {
    output::print(&String::from_utf8_lossy(bytes))?;
    Ok(crate::exit_code::ExitCode::Ok)
}
pub(crate) mod session;
pub(crate) mod status;
pub(crate) mod tasks;
pub(crate) mod tier2;
