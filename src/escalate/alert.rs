//! Alerts: signals grouped by a dedup key, with a lifecycle that survives restarts.
//!
//! ```text
//!            signal seen            held `hold`                 `warden ack`
//! (none) ──────────────▶ pending ─────────────▶ firing ─────────────────────▶ acknowledged
//!   ▲                      │ gone before hold     │ ▲  ack expires                │
//!   │                      ▼ (silent)             │ └───────────────────────────────┘
//!   └──────────────────── (none)       clear for `resolve_after` (or `warden resolve`)
//!                                                 ▼
//!                                             resolved ── seen again ──▶ pending (new episode)
//! ```

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reason::SuppressReason;
use crate::config::ManagerMode;
use crate::detect::{Severity, Signal, SignalCode, Subject};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AlertState {
    Pending,
    Firing,
    Acknowledged,
    Resolved,
}

impl AlertState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Firing => "firing",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What the current episode has had from Tier 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Escalated {
    pub(crate) at: DateTime<Utc>,
    pub(crate) mode: ManagerMode,
    pub(crate) action: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Alert {
    pub(crate) key: String,
    pub(crate) code: SignalCode,
    pub(crate) subject: Subject,
    #[serde(default)]
    pub(crate) task: Option<String>,
    /// Only rises within an episode.
    pub(crate) severity: Severity,
    /// The latest signal's message.
    pub(crate) message: String,
    pub(crate) state: AlertState,
    /// Counts from 1; a refire after resolve is a new episode.
    pub(crate) episode: u32,
    pub(crate) pending_since: DateTime<Utc>,
    #[serde(default)]
    pub(crate) firing_since: Option<DateTime<Utc>>,
    /// Since when the condition has been gone (a firing alert resolves after `resolve_after`).
    #[serde(default)]
    pub(crate) cleared_since: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) ack_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) silenced_until: Option<DateTime<Utc>>,
    /// Tier 2's last action for this episode, if any.
    #[serde(default)]
    pub(crate) escalated: Option<Escalated>,
    /// The last suppression reported for this episode, so it is reported once.
    #[serde(default)]
    pub(crate) suppressed: Option<SuppressReason>,
}

/// The dedup key: code and subject, never times, pids or text.
pub(crate) fn alert_key(code: SignalCode, subject: &Subject) -> String {
    let subject = match subject {
        Subject::Task(id) => format!("task:{id}"),
        Subject::File(p) => format!("file:{p}"),
        Subject::Worker(j) => format!("worker:{j}"),
        Subject::Worktree(p) => format!("worktree:{p}"),
        Subject::Repository => "repository".to_owned(),
    };
    format!("{code}/{subject}")
}

impl Alert {
    pub(crate) fn open(signal: &Signal, episode: u32, now: DateTime<Utc>) -> Self {
        Self {
            key: alert_key(signal.code, &signal.subject),
            code: signal.code,
            subject: signal.subject.clone(),
            task: signal.task.clone(),
            severity: signal.severity,
            message: signal.message.clone(),
            state: AlertState::Pending,
            episode,
            pending_since: now,
            firing_since: None,
            cleared_since: None,
            resolved_at: None,
            ack_until: None,
            silenced_until: None,
            escalated: None,
            suppressed: None,
        }
    }

    /// Firing or acknowledged: the condition was held long enough and is not resolved.
    pub(crate) fn is_active(&self) -> bool {
        matches!(self.state, AlertState::Firing | AlertState::Acknowledged)
    }

    pub(crate) fn is_silenced(&self, now: DateTime<Utc>) -> bool {
        self.silenced_until.is_some_and(|t| now < t)
    }
}
