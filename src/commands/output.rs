//! Writing reports to stdout. A closed pipe (`warden tasks | head`) ends the report quietly
//! instead of failing.

use std::io::Write;

use crate::error::Error;
use crate::escape::terminal_safe_lines;
use crate::paint::terminal_safe_painted;

/// Writes a report for a person to stdout: any control character but the newlines warden
/// put there is shown as a visible escape, so text from a task file, a path or an agent
/// cannot drive the terminal even where a field was not escaped on its own. A broken pipe
/// counts as success.
pub(crate) fn print(text: &str) -> Result<(), Error> {
    print_exact(&terminal_safe_lines(text))
}

/// Writes a report that may be painted (`crate::paint`): as `print`, but warden's own
/// colour codes pass.
pub(crate) fn print_painted(text: &str) -> Result<(), Error> {
    print_exact(&terminal_safe_painted(text))
}

/// Writes `text` to stdout as it is: JSON (which escapes control characters itself) and
/// warden's own terminal sequences (the demo's status line).
pub(crate) fn print_exact(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}

/// Writes raw bytes to stdout (completions, the man page).
pub(crate) fn print_bytes(bytes: &[u8]) -> Result<crate::exit_code::ExitCode, Error> {
    print_exact(&String::from_utf8_lossy(bytes))?;
    Ok(crate::exit_code::ExitCode::Ok)
}
