//! `warden status [--json]`: the latest snapshot. (With a running supervisor, a later
//! version asks it over its socket first.)

use super::output::print;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;
use crate::snapshot::{LATEST, SnapshotError, read_latest, render_heartbeat};

pub(crate) fn run(tier1: &Tier1, json: bool) -> Result<ExitCode, Error> {
    let dir = tier1.snapshot_dir();
    let Some(snapshot) = read_latest(&dir)? else {
        return Err(Error::NoSnapshot(dir));
    };
    if json {
        // The file as written: a newer warden's extra fields survive the round trip.
        let path = dir.join(LATEST);
        let text = std::fs::read_to_string(&path)
            .map_err(|source| SnapshotError::Read { path, source })?;
        print(&text)?;
        return Ok(ExitCode::Ok);
    }
    let mut text = render_heartbeat(&snapshot);
    let now = crate::clock::now();
    if now > snapshot.valid_until {
        let age = crate::config::HumanDuration::from_secs(
            u64::try_from((now - snapshot.generated_at).num_seconds()).unwrap_or(0),
        );
        text.push_str(&format!(
            "\nnote: this snapshot is stale (written {age} ago); no heartbeat has run since. Run `warden heartbeat --once` or start the supervisor.\n"
        ));
    }
    print(&text)?;
    Ok(ExitCode::Ok)
}
