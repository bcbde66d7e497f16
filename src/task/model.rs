//! The task model: what a task file says once it has been read.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A task's status. Other spellings are mapped onto these by `Status::parse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    Backlog,
    Ready,
    InProgress,
    Blocked,
    Review,
    Completed,
    Cancelled,
}

impl Status {
    pub(crate) const ALL: [Self; 7] = [
        Self::Backlog,
        Self::Ready,
        Self::InProgress,
        Self::Blocked,
        Self::Review,
        Self::Completed,
        Self::Cancelled,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Backlog => "backlog",
            Self::Ready => "ready",
            Self::InProgress => "in_progress",
            Self::Blocked => "blocked",
            Self::Review => "review",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Maps the spellings people use onto the seven statuses; `None` for anything else.
    /// The table is documented in `docs/task-files.md`.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        let norm: String = raw
            .trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Some(match norm.as_str() {
            "backlog" | "todo" | "to_do" | "open" | "new" | "planned" | "icebox" | "draft" => {
                Self::Backlog
            }
            "ready" | "queued" | "up_next" => Self::Ready,
            "in_progress" | "inprogress" | "doing" | "active" | "started" | "wip" | "working" => {
                Self::InProgress
            }
            "blocked" | "on_hold" | "waiting" | "paused" => Self::Blocked,
            "review" | "in_review" | "needs_review" | "reviewing" => Self::Review,
            "completed" | "complete" | "done" | "closed" | "finished" | "resolved" | "merged" => {
                Self::Completed
            }
            "cancelled" | "canceled" | "wontfix" | "won't_fix" | "abandoned" | "dropped"
            | "obsolete" => Self::Cancelled,
            _ => return None,
        })
    }

    /// Completed and cancelled tasks need nothing more from anyone.
    pub(crate) fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Priority `p0` (most urgent) to `p3`. Ordered so that `P0 < P3` sorts urgent work first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Priority {
    P0,
    P1,
    #[default]
    P2,
    P3,
}

impl Priority {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::P0 => "p0",
            Self::P1 => "p1",
            Self::P2 => "p2",
            Self::P3 => "p3",
        }
    }

    /// `p1`, `P1`, `1`, and the words `critical`, `high`, `medium`, `low`.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        Some(match raw.trim().to_ascii_lowercase().as_str() {
            "p0" | "0" | "critical" | "urgent" => Self::P0,
            "p1" | "1" | "high" => Self::P1,
            "p2" | "2" | "medium" | "normal" => Self::P2,
            "p3" | "3" | "low" => Self::P3,
            _ => return None,
        })
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a task file's front matter says, before the file system adds its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskFields {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) status: Status,
    pub(crate) priority: Priority,
    pub(crate) milestone: Option<String>,
    pub(crate) owner: Option<String>,
    pub(crate) depends_on: Vec<String>,
    pub(crate) created_at: Option<DateTime<Utc>>,
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
    pub(crate) completed_by: Option<String>,
}

/// A task file that was read successfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Task {
    /// Shared with the store's cache: rebuilding the backlog copies no strings.
    pub(crate) fields: Arc<TaskFields>,
    /// Path relative to the repository root, with `/` separators.
    pub(crate) path: PathBuf,
    /// The file's modification time.
    pub(crate) mtime: DateTime<Utc>,
}

impl Task {
    pub(crate) fn id(&self) -> &str {
        &self.fields.id
    }

    pub(crate) fn status(&self) -> Status {
        self.fields.status
    }

    /// The task's age for queue order: `created_at` when given, else the file's mtime.
    pub(crate) fn age_key(&self) -> DateTime<Utc> {
        self.fields.created_at.unwrap_or(self.mtime)
    }
}

/// A file under the tasks folder that could not be read as a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidTask {
    pub(crate) path: PathBuf,
    /// 1-based line in the file, where known.
    pub(crate) line: Option<usize>,
    pub(crate) message: String,
    pub(crate) mtime: DateTime<Utc>,
}
