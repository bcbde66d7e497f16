//! One hook event, from whichever agent sent it: Claude Code's hook JSON on stdin, Codex's
//! native hook JSON on stdin (the same snake_case fields, plus `turn_id` and `model`), or
//! Codex's `notify` JSON given as the last argument. Agents add events and fields in every
//! release, so nothing unknown is an error: an unknown event keeps its name as it came.
//! Every text field is cut to a bounded length, since it ends up in a record file and on
//! screens.

use std::path::PathBuf;

use serde_json::{Map, Value};

/// The most characters kept of a message (notification text, error text).
pub(crate) const MESSAGE_MAX: usize = 500;
/// The most characters kept of an id, a name or a path.
pub(crate) const ID_MAX: usize = 300;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum EventError {
    #[error("failed to parse the hook input: it is empty")]
    Empty,
    #[error("failed to parse the hook input: it is not JSON ({reason})")]
    NotJson { reason: String },
    #[error("failed to parse the hook input: it is not a JSON object")]
    NotObject,
    #[error("failed to parse the hook input: it names no event (no hook_event_name or type)")]
    NoName,
}

/// The events warden knows; any other keeps its name in `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EventName {
    SessionStart,
    UserPromptSubmit,
    PreToolUse,
    PostToolUse,
    PostToolUseFailure,
    PermissionRequest,
    Notification,
    Stop,
    StopFailure,
    SubagentStart,
    SubagentStop,
    PreCompact,
    PostCompact,
    SessionEnd,
    Elicitation,
    /// Codex: the user interrupted the turn.
    Interrupt,
    /// Codex `notify`: `agent-turn-complete`.
    AgentTurnComplete,
    Other(String),
}

impl EventName {
    const KNOWN: [Self; 17] = [
        Self::SessionStart,
        Self::UserPromptSubmit,
        Self::PreToolUse,
        Self::PostToolUse,
        Self::PostToolUseFailure,
        Self::PermissionRequest,
        Self::Notification,
        Self::Stop,
        Self::StopFailure,
        Self::SubagentStart,
        Self::SubagentStop,
        Self::PreCompact,
        Self::PostCompact,
        Self::SessionEnd,
        Self::Elicitation,
        Self::Interrupt,
        Self::AgentTurnComplete,
    ];

    /// The name as the agent spells it.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::SessionStart => "SessionStart",
            Self::UserPromptSubmit => "UserPromptSubmit",
            Self::PreToolUse => "PreToolUse",
            Self::PostToolUse => "PostToolUse",
            Self::PostToolUseFailure => "PostToolUseFailure",
            Self::PermissionRequest => "PermissionRequest",
            Self::Notification => "Notification",
            Self::Stop => "Stop",
            Self::StopFailure => "StopFailure",
            Self::SubagentStart => "SubagentStart",
            Self::SubagentStop => "SubagentStop",
            Self::PreCompact => "PreCompact",
            Self::PostCompact => "PostCompact",
            Self::SessionEnd => "SessionEnd",
            Self::Elicitation => "Elicitation",
            Self::Interrupt => "Interrupt",
            Self::AgentTurnComplete => "agent-turn-complete",
            Self::Other(name) => name,
        }
    }

    pub(crate) fn parse(name: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|known| known.as_str() == name)
            .unwrap_or_else(|| Self::Other(cut(name, ID_MAX)))
    }
}

/// Claude Code's `notification_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotificationType {
    PermissionPrompt,
    IdlePrompt,
    AuthSuccess,
    ElicitationDialog,
    Other(String),
}

impl NotificationType {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::PermissionPrompt => "permission_prompt",
            Self::IdlePrompt => "idle_prompt",
            Self::AuthSuccess => "auth_success",
            Self::ElicitationDialog => "elicitation_dialog",
            Self::Other(name) => name,
        }
    }

    pub(crate) fn parse(name: &str) -> Self {
        match name {
            "permission_prompt" => Self::PermissionPrompt,
            "idle_prompt" => Self::IdlePrompt,
            "auth_success" => Self::AuthSuccess,
            "elicitation_dialog" => Self::ElicitationDialog,
            other => Self::Other(cut(other, ID_MAX)),
        }
    }
}

/// `StopFailure`'s `error_type`: only a rate limit is told apart by the state machine; the
/// rest are named so the record and the docs can say which failure it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StopErrorType {
    RateLimit,
    AuthenticationFailed,
    BillingError,
    InvalidRequest,
    ServerError,
    MaxOutputTokens,
    Unknown,
    Other(String),
}

impl StopErrorType {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::RateLimit => "rate_limit",
            Self::AuthenticationFailed => "authentication_failed",
            Self::BillingError => "billing_error",
            Self::InvalidRequest => "invalid_request",
            Self::ServerError => "server_error",
            Self::MaxOutputTokens => "max_output_tokens",
            Self::Unknown => "unknown",
            Self::Other(name) => name,
        }
    }

    pub(crate) fn parse(name: &str) -> Self {
        match name {
            "rate_limit" => Self::RateLimit,
            "authentication_failed" => Self::AuthenticationFailed,
            "billing_error" => Self::BillingError,
            "invalid_request" => Self::InvalidRequest,
            "server_error" => Self::ServerError,
            "max_output_tokens" => Self::MaxOutputTokens,
            "unknown" => Self::Unknown,
            other => Self::Other(cut(other, ID_MAX)),
        }
    }
}

/// The parts of an event warden uses, every text cut to `MESSAGE_MAX` or `ID_MAX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HookEvent {
    pub(crate) name: EventName,
    pub(crate) session_id: Option<String>,
    pub(crate) transcript_path: Option<PathBuf>,
    /// Codex native hooks.
    pub(crate) turn_id: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) notification_type: Option<NotificationType>,
    pub(crate) message: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) error_type: Option<StopErrorType>,
    /// `error_message`, else `error` (a string, or an object's `message`).
    pub(crate) error: Option<String>,
    pub(crate) tool_name: Option<String>,
    /// SessionEnd's `reason`.
    pub(crate) reason: Option<String>,
    /// SessionStart's `source` (`startup`, `resume`, `clear`, `compact`).
    pub(crate) source: Option<String>,
    /// PreCompact's `trigger` (`manual`, `auto`).
    pub(crate) trigger: Option<String>,
}

impl HookEvent {
    /// An event of this name with no other field (for tests and salvaged input).
    pub(crate) fn named(name: EventName) -> Self {
        Self {
            name,
            session_id: None,
            transcript_path: None,
            turn_id: None,
            model: None,
            notification_type: None,
            message: None,
            title: None,
            error_type: None,
            error: None,
            tool_name: None,
            reason: None,
            source: None,
            trigger: None,
        }
    }

    /// Parses a hook payload (Claude Code, Codex hooks) or a Codex `notify` argument: one
    /// JSON object naming its event in `hook_event_name` (hooks) or `type` (notify).
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, EventError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(EventError::Empty);
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|e| EventError::NotJson {
            reason: cut(&e.to_string(), ID_MAX),
        })?;
        let Value::Object(map) = value else {
            return Err(EventError::NotObject);
        };
        Self::from_map(&map)
    }

    fn from_map(map: &Map<String, Value>) -> Result<Self, EventError> {
        let name = text(map, &["hook_event_name", "type"], ID_MAX).ok_or(EventError::NoName)?;
        let mut event = Self::named(EventName::parse(&name));
        event.session_id = text(map, &["session_id", "thread-id", "thread_id"], ID_MAX);
        event.transcript_path = text(map, &["transcript_path"], ID_MAX).map(PathBuf::from);
        event.turn_id = text(map, &["turn_id", "turn-id"], ID_MAX);
        event.model = text(map, &["model"], ID_MAX);
        event.notification_type =
            text(map, &["notification_type"], ID_MAX).map(|t| NotificationType::parse(&t));
        event.message = text(map, &["message"], MESSAGE_MAX);
        event.title = text(map, &["title"], MESSAGE_MAX);
        // Claude Code 2.1.197 sends the type itself as `error` (`"error":"rate_limit"`, seen
        // against the real CLI), the documentation says `error_type`: both are read.
        let error_word = match map.get("error") {
            Some(Value::String(s)) if is_identifier(s) => Some(s.clone()),
            _ => None,
        };
        event.error_type = text(map, &["error_type"], ID_MAX)
            .or(error_word.clone())
            .map(|t| StopErrorType::parse(&t));
        event.error = text(map, &["error_message", "error_details"], MESSAGE_MAX).or_else(|| {
            match map.get("error") {
                Some(Value::String(s)) if error_word.is_none() => Some(cut(s, MESSAGE_MAX)),
                Some(Value::Object(inner)) => text(inner, &["message"], MESSAGE_MAX),
                _ => None,
            }
        });
        event.tool_name = text(map, &["tool_name"], ID_MAX);
        event.reason = text(map, &["reason"], MESSAGE_MAX);
        event.source = text(map, &["source"], ID_MAX);
        event.trigger = text(map, &["trigger"], ID_MAX);
        Ok(event)
    }

    /// The event name from input cut short by the size cap (a `PostToolUse` with a huge
    /// `tool_response`): agents send `hook_event_name` before the tool's data, so the first
    /// one found is the event's own. The event is then known by name only.
    pub(crate) fn salvage(prefix: &[u8]) -> Option<Self> {
        let key = b"\"hook_event_name\"";
        let at = prefix.windows(key.len()).position(|w| w == key)?;
        let rest = prefix[at + key.len()..].trim_ascii_start();
        let rest = rest.strip_prefix(b":")?.trim_ascii_start();
        let name: String = serde_json::Deserializer::from_slice(rest)
            .into_iter::<String>()
            .next()?
            .ok()?;
        (!name.is_empty()).then(|| Self::named(EventName::parse(&cut(&name, ID_MAX))))
    }

    /// The name as the agent sent it, for `last_event`.
    pub(crate) fn name_str(&self) -> &str {
        self.name.as_str()
    }
}

/// The first of `keys` holding a non-empty string, cut to `max` characters.
fn text(map: &Map<String, Value>, keys: &[&str], max: usize) -> Option<String> {
    keys.iter().find_map(|k| match map.get(*k) {
        Some(Value::String(s)) if !s.is_empty() => Some(cut(s, max)),
        _ => None,
    })
}

/// `s` cut to at most `max` characters (never inside one).
pub(crate) fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => s[..end].to_owned(),
        None => s.to_owned(),
    }
}

/// A snake_case word such as `rate_limit`: an error's type, not its message.
fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_payloads_parse_with_unknown_fields_ignored() {
        let e = HookEvent::parse(
            br#"{"session_id":"s1","transcript_path":"/t/x.jsonl","cwd":"/w","permission_mode":"default",
                "hook_event_name":"Notification","notification_type":"permission_prompt",
                "message":"Claude needs your permission to use Bash","title":"Claude Code",
                "some_future_field":{"nested":[1,2,3]}}"#,
        )
        .expect("parse");
        assert_eq!(e.name, EventName::Notification);
        assert_eq!(e.session_id.as_deref(), Some("s1"));
        assert_eq!(e.transcript_path, Some(PathBuf::from("/t/x.jsonl")));
        assert_eq!(
            e.notification_type,
            Some(NotificationType::PermissionPrompt)
        );
        assert_eq!(
            e.message.as_deref(),
            Some("Claude needs your permission to use Bash")
        );
        assert_eq!(e.title.as_deref(), Some("Claude Code"));
    }

    #[test]
    fn stop_failure_keeps_its_type_and_message() {
        let e = HookEvent::parse(
            br#"{"hook_event_name":"StopFailure","error_type":"rate_limit","error_message":"limit reached","error":"x"}"#,
        )
        .expect("parse");
        assert_eq!(e.error_type, Some(StopErrorType::RateLimit));
        assert_eq!(e.error.as_deref(), Some("limit reached"));
        let e = HookEvent::parse(
            br#"{"hook_event_name":"StopFailure","error_type":"overloaded_new","error":{"message":"busy"}}"#,
        )
        .expect("parse");
        assert_eq!(
            e.error_type,
            Some(StopErrorType::Other("overloaded_new".into()))
        );
        assert_eq!(e.error.as_deref(), Some("busy"));
        // What Claude Code 2.1.197 really sends on a 429: the type as `error`.
        let e = HookEvent::parse(
            br#"{"hook_event_name":"StopFailure","error":"rate_limit","error_details":"429 from the API"}"#,
        )
        .expect("parse");
        assert_eq!(e.error_type, Some(StopErrorType::RateLimit));
        assert_eq!(e.error.as_deref(), Some("429 from the API"));
        let e = HookEvent::parse(br#"{"hook_event_name":"StopFailure","error":"Upstream broke."}"#)
            .expect("parse");
        assert_eq!(e.error_type, None);
        assert_eq!(e.error.as_deref(), Some("Upstream broke."));
    }

    #[test]
    fn codex_hooks_and_notify_parse() {
        let e = HookEvent::parse(
            br#"{"hook_event_name":"PreToolUse","session_id":"c1","turn_id":"t9","model":"gpt-5","tool_name":"shell"}"#,
        )
        .expect("parse");
        assert_eq!(e.name, EventName::PreToolUse);
        assert_eq!(e.turn_id.as_deref(), Some("t9"));
        assert_eq!(e.model.as_deref(), Some("gpt-5"));
        assert_eq!(e.tool_name.as_deref(), Some("shell"));
        let e = HookEvent::parse(
            br#"{"type":"agent-turn-complete","thread-id":"th1","turn-id":"tu2","cwd":"/w","input-messages":["hi"],"last-assistant-message":"done"}"#,
        )
        .expect("parse");
        assert_eq!(e.name, EventName::AgentTurnComplete);
        assert_eq!(e.name_str(), "agent-turn-complete");
        assert_eq!(e.session_id.as_deref(), Some("th1"));
        assert_eq!(e.turn_id.as_deref(), Some("tu2"));
    }

    #[test]
    fn unknown_events_keep_their_name() {
        let e = HookEvent::parse(br#"{"hook_event_name":"TeammateIdle"}"#).expect("parse");
        assert_eq!(e.name, EventName::Other("TeammateIdle".into()));
        assert_eq!(e.name_str(), "TeammateIdle");
        for known in EventName::KNOWN {
            assert_eq!(EventName::parse(known.as_str()), known);
        }
    }

    #[test]
    fn only_non_json_non_objects_and_nameless_input_are_refused() {
        assert_eq!(HookEvent::parse(b""), Err(EventError::Empty));
        assert_eq!(HookEvent::parse(b" \n"), Err(EventError::Empty));
        assert!(matches!(
            HookEvent::parse(b"garbage"),
            Err(EventError::NotJson { .. })
        ));
        assert_eq!(HookEvent::parse(b"[1,2]"), Err(EventError::NotObject));
        assert_eq!(HookEvent::parse(b"\"Stop\""), Err(EventError::NotObject));
        assert_eq!(
            HookEvent::parse(br#"{"session_id":"s"}"#),
            Err(EventError::NoName)
        );
        assert_eq!(
            HookEvent::parse(br#"{"hook_event_name":42}"#),
            Err(EventError::NoName)
        );
        // A field of an unexpected type is dropped, not an error.
        let e = HookEvent::parse(br#"{"hook_event_name":"Stop","session_id":7,"message":null}"#)
            .expect("parse");
        assert_eq!(e.session_id, None);
    }

    #[test]
    fn text_is_cut_on_a_char_boundary() {
        let long = "é".repeat(2 * MESSAGE_MAX);
        let payload = serde_json::json!({
            "hook_event_name": "Notification",
            "message": long,
            "session_id": "x".repeat(1000),
        });
        let e = HookEvent::parse(payload.to_string().as_bytes()).expect("parse");
        assert_eq!(
            e.message.as_deref().map(|m| m.chars().count()),
            Some(MESSAGE_MAX)
        );
        assert_eq!(e.session_id.map(|s| s.len()), Some(ID_MAX));
        assert_eq!(cut("añb", 2), "añ");
        assert_eq!(cut("ab", 5), "ab");
        let e = HookEvent::parse(
            serde_json::json!({ "hook_event_name": "N".repeat(1000) })
                .to_string()
                .as_bytes(),
        )
        .expect("parse");
        assert_eq!(e.name_str().len(), ID_MAX);
    }

    #[test]
    fn a_truncated_payload_salvages_its_event_name() {
        let full = format!(
            r#"{{"session_id":"s","hook_event_name" : "PostToolUse","tool_response":"{}"#,
            "x".repeat(1000)
        );
        assert!(HookEvent::parse(full.as_bytes()).is_err());
        let e = HookEvent::salvage(full.as_bytes()).expect("salvaged");
        assert_eq!(e.name, EventName::PostToolUse);
        assert_eq!(HookEvent::salvage(b"garbage"), None);
        assert_eq!(HookEvent::salvage(br#"{"hook_event_name":"#), None);
    }
}
