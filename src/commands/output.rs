//! Writing reports to stdout. A closed pipe (`warden tasks | head`) ends the report quietly
//! instead of failing.

use std::io::Write;

use crate::error::Error;

/// Writes `text` to stdout; a broken pipe counts as success.
pub(crate) fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}

/// Writes raw bytes to stdout (completions, the man page).
pub(crate) fn print_bytes(bytes: &[u8]) -> Result<crate::exit_code::ExitCode, Error> {
    print(&String::from_utf8_lossy(bytes))?;
    Ok(crate::exit_code::ExitCode::Ok)
}
