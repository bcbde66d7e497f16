//! The agent record: a job's latest agent state, as `warden hook` saves it in
//! `.warden/jobs/<job>.agent.json` (the file first, then a datagram). The file is the truth:
//! a supervisor that was down reads it when it comes back.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change to the record's shape; a newer one is ignored.
pub(crate) const AGENT_FORMAT_VERSION: u32 = 1;

/// Which agent sends the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AgentKind {
    Claude,
    Codex,
    Unknown,
}

impl AgentKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::Codex => "codex",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for AgentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What the agent is doing. `Starting` is never in a file: it is a job expected to report
/// that has sent nothing yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AgentState {
    /// The pane is up; no hook event yet.
    Starting,
    /// A turn is running: a prompt was submitted, tools run.
    Working,
    /// A person must answer: a permission prompt, a question, a dialog.
    WaitingInput,
    /// The turn ended; the agent waits at its prompt.
    Idle,
    /// The turn failed on a usage or rate limit.
    RateLimited,
    /// The turn failed (StopFailure other than a rate limit).
    Error,
    /// The session ended (SessionEnd).
    Ended,
}

impl AgentState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Working => "working",
            Self::WaitingInput => "waiting_input",
            Self::Idle => "idle",
            Self::RateLimited => "rate_limited",
            Self::Error => "error",
            Self::Ended => "ended",
        }
    }

    /// The state as the heartbeat and the dashboard show it: those that need a person (or
    /// stop the agent) in capitals.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Working => "working",
            Self::WaitingInput => "WAITING",
            Self::Idle => "idle",
            Self::RateLimited => "LIMITED",
            Self::Error => "ERROR",
            Self::Ended => "ended",
        }
    }
}

impl fmt::Display for AgentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One job's latest agent state. Every text field came from the agent: escape it before it
/// reaches a terminal or tmux.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AgentRecord {
    pub(crate) format_version: u32,
    pub(crate) job: String,
    pub(crate) kind: AgentKind,
    pub(crate) state: AgentState,
    /// When `state` began.
    pub(crate) since: DateTime<Utc>,
    /// The last event's name as the agent sent it (`PreToolUse`, `agent-turn-complete`, an
    /// event warden does not know yet …).
    pub(crate) last_event: String,
    pub(crate) last_event_at: DateTime<Utc>,
    /// Events received so far.
    pub(crate) events: u64,
    /// `UserPromptSubmit` events so far: a delivered prompt is confirmed by the next one.
    #[serde(default)]
    pub(crate) prompts: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) transcript_path: Option<PathBuf>,
    /// The tool of a `PreToolUse` not yet followed by its `PostToolUse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pending_tool: Option<String>,
    /// The last notification's type (`permission_prompt`, `idle_prompt`, …) and text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) notification_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) notification: Option<String>,
    /// The last failure: `error_type` (`rate_limit`, `server_error`, …) and its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// When a usage limit resets, when the agent said (`…limit reached|<unix seconds>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resets_at: Option<DateTime<Utc>>,
}

impl AgentRecord {
    /// A job's first record: `state` since `now`, nothing else known yet.
    pub(crate) fn new(job: &str, kind: AgentKind, state: AgentState, now: DateTime<Utc>) -> Self {
        Self {
            format_version: AGENT_FORMAT_VERSION,
            job: job.to_owned(),
            kind,
            state,
            since: now,
            last_event: String::new(),
            last_event_at: now,
            events: 0,
            prompts: 0,
            session_id: None,
            transcript_path: None,
            pending_tool: None,
            notification_type: None,
            notification: None,
            error_type: None,
            error: None,
            resets_at: None,
        }
    }
}

/// The reset time in a usage-limit text: Claude Code's documented
/// `Claude AI usage limit reached|<unix seconds>`. Any other wording gives none (warden
/// then holds until the agent leaves the limit, see `docs/agents.md`).
pub(crate) fn limit_reset(text: &str) -> Option<DateTime<Utc>> {
    let (_, tail) = text.rsplit_once('|')?;
    let digits: String = tail
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if !(9..=11).contains(&digits.len()) {
        return None;
    }
    DateTime::from_timestamp(digits.parse().ok()?, 0)
}

/// `.warden/jobs/<job>.agent.json`.
pub(crate) fn agent_path(jobs: &Path, job: &str) -> PathBuf {
    jobs.join(format!("{job}.agent.json"))
}

/// `.warden/jobs/<job>.hook-errors`: one line per hook call that could not be taken.
pub(crate) fn hook_errors_path(jobs: &Path, job: &str) -> PathBuf {
    jobs.join(format!("{job}.hook-errors"))
}

/// `.warden/jobs/<job>.claude-settings.json`: the hooks handed to `claude --settings`.
pub(crate) fn settings_path(jobs: &Path, job: &str) -> PathBuf {
    jobs.join(format!("{job}.claude-settings.json"))
}

/// The most a record may hold: agents' messages are cut well below this.
pub(crate) const AGENT_RECORD_MAX: u64 = 64 * 1024;

/// The job's record, if there is a readable one of this format (and of this job). Never
/// through a link, never a FIFO (it would block), never more than `AGENT_RECORD_MAX`.
pub(crate) fn read_agent_record(jobs: &Path, job: &str) -> Option<AgentRecord> {
    let bytes = crate::state::read_bounded(&agent_path(jobs, job), AGENT_RECORD_MAX)?;
    let record: AgentRecord = serde_json::from_slice(&bytes).ok()?;
    (record.format_version == AGENT_FORMAT_VERSION && record.job == job).then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_time_is_read_from_the_documented_limit_text() {
        assert_eq!(
            limit_reset("Claude AI usage limit reached|1764000000"),
            DateTime::from_timestamp(1_764_000_000, 0)
        );
        assert_eq!(limit_reset("Claude AI usage limit reached"), None);
        assert_eq!(limit_reset("5-hour limit reached ∙ resets 3pm"), None);
        assert_eq!(limit_reset("limit|12"), None, "not a time");
    }
}
