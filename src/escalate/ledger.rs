//! The ledger: the engine's state, every action (intent → spawned → ended or failed) and
//! every decision, in `.warden/ledger.json` (dry-run keeps its own `ledger.dry-run.json`, so
//! it never spends or resets the live budget). Written atomically after every change and
//! before anything is spawned. A ledger that cannot be read is never reset: the caller fails
//! closed (no spawns, `needs_human`) until a person fixes or removes it.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::engine::{Decision, EngineState};
use crate::config::ManagerMode;
use crate::state::{WriteError, write_atomic};

pub(crate) const LEDGER_FORMAT_VERSION: u32 = 1;
/// Decisions kept in the file; older ones are dropped (the log on stderr has them all).
const KEEP_DECISIONS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    /// Decided and recorded; not started yet (or the supervisor died before it could).
    Intent,
    Spawned,
    Ended,
    Failed,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Intent => "decided, not started",
            Self::Spawned => "running",
            Self::Ended => "ended",
            Self::Failed => "failed",
        })
    }
}

/// What became of a decision. The serde names are the ledger's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// A manager was started.
    Spawn,
    /// Dry-run: a manager would have been started; nothing was.
    WouldSpawn,
    /// New alerts were handed to the live manager.
    Deliver,
    /// A guard refused the escalation.
    Suppressed,
    /// An alert cleared.
    Resolved,
    /// An alert started firing.
    Fired,
    /// The spawn itself failed (the pack, the ledger, tmux or the command).
    Failed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Spawn => "spawned",
            Self::WouldSpawn => "would spawn",
            Self::Deliver => "delivered",
            Self::Suppressed => "suppressed",
            Self::Resolved => "resolved",
            Self::Fired => "firing",
            Self::Failed => "failed",
        })
    }
}

/// One manager Tier 2 decided to bring in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ActionRecord {
    pub(crate) id: String,
    pub(crate) mode: ManagerMode,
    pub(crate) keys: Vec<String>,
    pub(crate) phase: Phase,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) pack_dir: PathBuf,
    pub(crate) argv: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pane: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

/// One decision as it was carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DecisionRecord {
    pub(crate) at: DateTime<Utc>,
    pub(crate) outcome: Outcome,
    pub(crate) decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pack_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) argv: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ledger {
    pub(crate) format_version: u32,
    pub(crate) dry_run: bool,
    pub(crate) state: EngineState,
    pub(crate) actions: Vec<ActionRecord>,
    pub(crate) decisions: Vec<DecisionRecord>,
}

impl Ledger {
    pub(crate) fn new(dry_run: bool) -> Self {
        Self {
            format_version: LEDGER_FORMAT_VERSION,
            dry_run,
            state: EngineState::default(),
            actions: Vec::new(),
            decisions: Vec::new(),
        }
    }

    pub(crate) fn record(&mut self, record: DecisionRecord) {
        self.decisions.push(record);
        let excess = self.decisions.len().saturating_sub(KEEP_DECISIONS);
        self.decisions.drain(..excess);
    }

    pub(crate) fn action_mut(&mut self, id: &str) -> Option<&mut ActionRecord> {
        self.actions.iter_mut().find(|a| a.id == id)
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LedgerError {
    #[error("failed to read ledger {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "failed to parse ledger {path}: {message}; escalation is off until it is fixed or removed"
    )]
    Corrupt { path: PathBuf, message: String },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// `.warden/ledger.json`, or `.warden/ledger.dry-run.json`.
pub(crate) fn ledger_path(state_dir: &Path, dry_run: bool) -> PathBuf {
    state_dir.join(if dry_run {
        "ledger.dry-run.json"
    } else {
        "ledger.json"
    })
}

/// A missing ledger is a first run: empty.
pub(crate) fn load_ledger(path: &Path, dry_run: bool) -> Result<Ledger, LedgerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::new(dry_run)),
        Err(source) => {
            return Err(LedgerError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let ledger: Ledger = serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if ledger.format_version > LEDGER_FORMAT_VERSION {
        return Err(LedgerError::Corrupt {
            path: path.to_path_buf(),
            message: format!(
                "format_version {} is newer than this warden understands",
                ledger.format_version
            ),
        });
    }
    Ok(ledger)
}

pub(crate) fn save_ledger(path: &Path, ledger: &Ledger) -> Result<(), LedgerError> {
    let mut bytes = serde_json::to_vec_pretty(ledger).unwrap_or_default();
    bytes.push(b'\n');
    write_atomic(path, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corrupt_ledgers_are_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = ledger_path(dir.path(), false);
        assert_eq!(
            load_ledger(&path, false).expect("first run"),
            Ledger::new(false)
        );
        let mut ledger = Ledger::new(false);
        ledger.state.needs_human = true;
        save_ledger(&path, &ledger).expect("save");
        assert_eq!(load_ledger(&path, false).expect("load"), ledger);
        std::fs::write(&path, "{ broken").expect("write");
        let err = load_ledger(&path, false).expect_err("corrupt");
        assert!(err.to_string().contains("escalation is off"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), "{ broken");
        assert_eq!(
            ledger_path(dir.path(), true)
                .file_name()
                .and_then(|n| n.to_str()),
            Some("ledger.dry-run.json")
        );
    }
}
