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
