//! Writing snapshots: `<UTC>.snapshot.json` and `latest.snapshot.json`, atomically, keeping
//! the newest N timestamped files.

use std::path::{Path, PathBuf};

use super::model::{SNAPSHOT_FORMAT_VERSION, Snapshot};
use crate::state::{WriteError, write_atomic_linked};

pub(crate) const LATEST: &str = "latest.snapshot.json";
const SUFFIX: &str = ".snapshot.json";

#[derive(Debug, thiserror::Error)]
pub(crate) enum SnapshotError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("failed to encode snapshot: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("failed to read snapshot {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "failed to read snapshot {path}: format_version {found} is newer than this warden understands ({SNAPSHOT_FORMAT_VERSION}); upgrade warden"
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error("failed to parse snapshot {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// The snapshot as pretty JSON with a trailing newline.
pub(crate) fn to_json(snapshot: &Snapshot) -> Result<String, SnapshotError> {
    let mut text = serde_json::to_string_pretty(snapshot).map_err(SnapshotError::Encode)?;
    text.push('\n');
    Ok(text)
}

/// Writes both files (one write, two names) and prunes old ones. `json` is
/// `to_json(snapshot)`, passed in so a caller that also prints it encodes once. Returns the
/// timestamped path.
pub(crate) fn write_snapshot(
    dir: &Path,
    snapshot: &Snapshot,
    json: &str,
    keep: usize,
) -> Result<PathBuf, SnapshotError> {
    let name = format!(
        "{}{SUFFIX}",
        snapshot.generated_at.format("%Y%m%dT%H%M%S%.3fZ")
    );
    let path = dir.join(name);
    write_atomic_linked(&dir.join(LATEST), Some(&path), json.as_bytes())?;
    prune(dir, keep.max(1));
    Ok(path)
}

/// Removes the oldest timestamped snapshots beyond `keep`. Names sort by time. Failures to
/// remove are logged, not fatal: a leftover file costs disk, not correctness.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(SUFFIX) && n != LATEST && !n.starts_with('.'))
        })
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep);
    for old in names.into_iter().take(excess) {
        if let Err(e) = std::fs::remove_file(&old) {
            tracing::warn!("failed to remove old snapshot {}: {e}", old.display());
        }
    }
}

/// Reads `latest.snapshot.json`; `Ok(None)` when there is none yet.
pub(crate) fn read_latest(dir: &Path) -> Result<Option<Snapshot>, SnapshotError> {
    let path = dir.join(LATEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SnapshotError::Read { path, source }),
    };
    let snapshot: Snapshot =
        serde_json::from_str(&text).map_err(|source| SnapshotError::Parse {
            path: path.clone(),
            source,
        })?;
    if snapshot.format_version > SNAPSHOT_FORMAT_VERSION {
        return Err(SnapshotError::TooNew {
            path,
            found: snapshot.format_version,
        });
    }
    Ok(Some(snapshot))
}
