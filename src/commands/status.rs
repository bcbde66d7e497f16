//! `warden status [--json]`: the latest snapshot. (With a running supervisor, a later
//! version asks it over its socket first.)

use super::output::{print_exact, print_painted};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;
use crate::paint::Paint;
use std::time::Duration;

use crate::snapshot::{LATEST, Snapshot, SnapshotError, read_latest, render_heartbeat};
use crate::supervisor::{ControlError, Request, Response, RuntimePaths, request};

/// Asks the running supervisor for a fresh snapshot; `None` when none answers. A socket
/// that another user could answer on is an error, not a reason to read the file quietly.
fn from_supervisor(tier1: &Tier1) -> Result<Option<serde_json::Value>, Error> {
    let paths = RuntimePaths::new(tier1.loaded());
    match request(&paths.control, &Request::Status, Duration::from_secs(10)) {
        Ok(Response::Snapshot { snapshot }) => Ok(Some(snapshot)),
        Err(e @ (ControlError::Stranger { .. } | ControlError::Refused(_))) => Err(e.into()),
        _ => Ok(None),
    }
}

pub(crate) fn run(tier1: &Tier1, json: bool, paint: Paint) -> Result<ExitCode, Error> {
    if let Some(value) = from_supervisor(tier1)? {
        if json {
            let mut text = serde_json::to_string_pretty(&value).map_err(SnapshotError::Encode)?;
            text.push('\n');
            print_exact(&text)?;
            return Ok(ExitCode::Ok);
        }
        if let Ok(snapshot) = serde_json::from_value::<Snapshot>(value) {
            print_painted(&render_heartbeat(&snapshot, paint))?;
            return Ok(ExitCode::Ok);
        }
    }
    let dir = tier1.snapshot_dir();
    let Some(snapshot) = read_latest(&dir)? else {
        return Err(Error::NoSnapshot(dir));
    };
    if json {
        // The file as written: a newer warden's extra fields survive the round trip.
        let path = dir.join(LATEST);
        let text = std::fs::read_to_string(&path)
            .map_err(|source| SnapshotError::Read { path, source })?;
        print_exact(&text)?;
        return Ok(ExitCode::Ok);
    }
    let mut text = render_heartbeat(&snapshot, paint);
    let now = crate::clock::now();
    if now > snapshot.valid_until {
        let age = crate::config::HumanDuration::from_secs(
            u64::try_from((now - snapshot.generated_at).num_seconds()).unwrap_or(0),
        );
        text.push_str(&format!(
            "\nnote: this snapshot is stale (written {age} ago); no heartbeat has run since. Run `warden heartbeat --once` or start the supervisor.\n"
        ));
    }
    print_painted(&text)?;
    Ok(ExitCode::Ok)
}
