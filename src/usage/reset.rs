//! `warden budget reset`: the moment from which the repository's rolling hour and day count
//! again, in `.warden/budget.json`. Spend before it stays in the records (and the
//! snapshot); only the budgets forget it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ResetFile {
    format_version: u32,
    reset_at: DateTime<Utc>,
}

pub(crate) fn reset_path(state: &Path) -> PathBuf {
    state.join("budget.json")
}

/// The last reset, if any (an unreadable file counts as none).
pub(crate) fn read_reset(state: &Path) -> Option<DateTime<Utc>> {
    // Written by warden: a link or a FIFO there is not ours to follow.
    let bytes = crate::state::read_bounded(&reset_path(state), 4096)?;
    serde_json::from_slice::<ResetFile>(&bytes)
        .ok()
        .filter(|f| f.format_version == 1)
        .map(|f| f.reset_at)
}

pub(crate) fn write_reset(state: &Path, at: DateTime<Utc>) -> Result<(), crate::state::WriteError> {
    let file = ResetFile {
        format_version: 1,
        reset_at: at,
    };
    // A struct of a number and a time always encodes.
    let bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
    crate::state::write_atomic(&reset_path(state), &bytes)
}
