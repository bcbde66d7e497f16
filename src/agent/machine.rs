//! The agent state machine: the previous record and one event give the next record. Pure:
//! the time comes in as `now`. Rules (docs/agents.md has the same table):
//!
//! - a turn's events (`UserPromptSubmit`, tool calls, `SubagentStart`) → `Working`;
//! - a question for a person (permission, elicitation) → `WaitingInput`;
//! - the end of a turn (`Stop`, Codex `Interrupt` and `agent-turn-complete`, and Claude's
//!   `idle_prompt` notification) → `Idle`;
//! - `StopFailure` → `RateLimited` (error_type `rate_limit`) or `Error`;
//! - `SessionEnd` → `Ended`, which only a new `SessionStart` leaves;
//! - anything else leaves the state as it was.
//!
//! Deliberate choices where events mislead:
//! - `SessionStart` → `Idle` (the agent is at its prompt; a prompt given on the command line
//!   is followed at once by `UserPromptSubmit`), except `source: compact`, which comes in
//!   the middle of a turn and keeps the state.
//! - `PreCompact`/`PostCompact` keep the state: an automatic compaction happens inside a
//!   turn (already `Working`), and a manual `/compact` at the prompt is followed by no
//!   `Stop`, so `Working` would stick.
//! - `SubagentStop` keeps the state: a background subagent can finish after the main
//!   agent's `Stop`, and must not make an idle agent look busy.
//! - `idle_prompt` does not clear `RateLimited`/`Error`: the agent waits at its prompt
//!   because the turn failed, which is what the supervisor must know.
//! - With no record yet, the base state is `Idle`: an agent that sends an event is up.

use chrono::{DateTime, Utc};

use super::event::{EventName, HookEvent, NotificationType, StopErrorType};
use super::model::limit_reset;
use super::model::{AGENT_FORMAT_VERSION, AgentKind, AgentRecord, AgentState};

/// What an event does to the state, given the state before it.
fn next_state(prior: Option<AgentState>, event: &HookEvent) -> AgentState {
    let base = prior.unwrap_or(AgentState::Idle);
    if base == AgentState::Ended && event.name != EventName::SessionStart {
        return AgentState::Ended;
    }
    match &event.name {
        EventName::SessionStart => match (prior, event.source.as_deref()) {
            (Some(p), Some("compact")) if p != AgentState::Ended => p,
            _ => AgentState::Idle,
        },
        EventName::UserPromptSubmit
        | EventName::PreToolUse
        | EventName::PostToolUse
        | EventName::PostToolUseFailure
        | EventName::SubagentStart => AgentState::Working,
        EventName::PermissionRequest | EventName::Elicitation => AgentState::WaitingInput,
        EventName::Notification => match &event.notification_type {
            Some(NotificationType::PermissionPrompt | NotificationType::ElicitationDialog) => {
                AgentState::WaitingInput
            }
            Some(NotificationType::IdlePrompt) => match base {
                AgentState::RateLimited | AgentState::Error => base,
                _ => AgentState::Idle,
            },
            Some(NotificationType::AuthSuccess | NotificationType::Other(_)) | None => base,
        },
        EventName::Stop | EventName::AgentTurnComplete | EventName::Interrupt => AgentState::Idle,
        EventName::StopFailure => match &event.error_type {
            Some(StopErrorType::RateLimit) => AgentState::RateLimited,
            _ => AgentState::Error,
        },
        EventName::SessionEnd => AgentState::Ended,
        EventName::SubagentStop
        | EventName::PreCompact
        | EventName::PostCompact
        | EventName::Other(_) => base,
    }
}

/// Whether the event ends whatever tool call was pending.
fn ends_tool_call(event: &HookEvent) -> bool {
    match &event.name {
        EventName::PostToolUse
        | EventName::PostToolUseFailure
        | EventName::Stop
        | EventName::StopFailure
        | EventName::Interrupt
        | EventName::AgentTurnComplete
        | EventName::SessionStart
        | EventName::SessionEnd => true,
        EventName::Notification => event.notification_type == Some(NotificationType::IdlePrompt),
        _ => false,
    }
}

/// The record after `event`. `kind` `Unknown` keeps the kind already recorded.
pub(crate) fn apply(
    prev: Option<&AgentRecord>,
    job: &str,
    kind: AgentKind,
    event: &HookEvent,
    now: DateTime<Utc>,
) -> AgentRecord {
    let state = next_state(prev.map(|p| p.state), event);
    let mut next = match prev {
        Some(p) => p.clone(),
        None => AgentRecord::new(job, kind, state, now),
    };
    next.format_version = AGENT_FORMAT_VERSION;
    next.job = job.to_owned();
    if kind != AgentKind::Unknown {
        next.kind = kind;
    }
    if prev.is_some_and(|p| p.state != state) {
        next.since = now;
    }
    next.state = state;
    next.last_event = event.name_str().to_owned();
    next.last_event_at = now;
    next.events = next.events.saturating_add(1);
    if event.name == EventName::UserPromptSubmit {
        next.prompts = next.prompts.saturating_add(1);
    }
    if event.session_id.is_some() {
        next.session_id.clone_from(&event.session_id);
    }
    if event.transcript_path.is_some() {
        next.transcript_path.clone_from(&event.transcript_path);
    }
    match &event.name {
        EventName::PreToolUse | EventName::PermissionRequest if event.tool_name.is_some() => {
            next.pending_tool.clone_from(&event.tool_name);
        }
        _ if ends_tool_call(event) => next.pending_tool = None,
        _ => {}
    }
    match &event.name {
        EventName::Notification => {
            next.notification_type = event
                .notification_type
                .as_ref()
                .map(|t| t.as_str().to_owned());
            next.notification.clone_from(&event.message);
        }
        EventName::Elicitation if event.message.is_some() => {
            next.notification_type = None;
            next.notification.clone_from(&event.message);
        }
        EventName::StopFailure => {
            next.error_type = event.error_type.as_ref().map(|t| t.as_str().to_owned());
            next.error.clone_from(&event.error);
            next.resets_at = event.error.as_deref().and_then(limit_reset);
        }
        _ => {}
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::test_now;
    use chrono::Duration;

    use AgentState::{Ended, Error, Idle, RateLimited, WaitingInput, Working};

    fn ev(name: EventName) -> HookEvent {
        HookEvent::named(name)
    }

    fn note(t: NotificationType) -> HookEvent {
        HookEvent {
            notification_type: Some(t),
            message: Some("a message".into()),
            ..ev(EventName::Notification)
        }
    }

    fn failure(t: StopErrorType) -> HookEvent {
        HookEvent {
            error_type: Some(t),
            error: Some("it failed".into()),
            ..ev(EventName::StopFailure)
        }
    }

    fn start(source: &str) -> HookEvent {
        HookEvent {
            source: Some(source.into()),
            ..ev(EventName::SessionStart)
        }
    }

    fn record(state: AgentState) -> AgentRecord {
        apply(
            None,
            "j1",
            AgentKind::Claude,
            &ev(EventName::Stop),
            test_now(),
        )
        .with_state(state)
    }

    impl AgentRecord {
        fn with_state(mut self, state: AgentState) -> Self {
            self.state = state;
            self
        }
    }

    #[test]
    fn every_event_from_every_state() {
        use EventName as E;
        use NotificationType as N;
        let all = [Working, WaitingInput, Idle, RateLimited, Error, Ended];
        let live = [Working, WaitingInput, Idle, RateLimited, Error];
        // (event, prior states it applies to, expected state; None = unchanged)
        let rows: Vec<(HookEvent, &[AgentState], Option<AgentState>)> = vec![
            (ev(E::UserPromptSubmit), &live, Some(Working)),
            (ev(E::PreToolUse), &live, Some(Working)),
            (ev(E::PostToolUse), &live, Some(Working)),
            (ev(E::PostToolUseFailure), &live, Some(Working)),
            (ev(E::SubagentStart), &live, Some(Working)),
            (ev(E::SubagentStop), &all, None),
            (ev(E::PreCompact), &all, None),
            (ev(E::PostCompact), &all, None),
            (ev(E::PermissionRequest), &live, Some(WaitingInput)),
            (ev(E::Elicitation), &live, Some(WaitingInput)),
            (note(N::PermissionPrompt), &live, Some(WaitingInput)),
            (note(N::ElicitationDialog), &live, Some(WaitingInput)),
            (
                note(N::IdlePrompt),
                &[Working, WaitingInput, Idle],
                Some(Idle),
            ),
            (note(N::IdlePrompt), &[RateLimited, Error, Ended], None),
            (note(N::AuthSuccess), &all, None),
            (note(N::Other("later".into())), &all, None),
            (ev(E::Notification), &all, None),
            (ev(E::Stop), &live, Some(Idle)),
            (ev(E::AgentTurnComplete), &live, Some(Idle)),
            (ev(E::Interrupt), &live, Some(Idle)),
            (failure(StopErrorType::RateLimit), &live, Some(RateLimited)),
            (failure(StopErrorType::ServerError), &live, Some(Error)),
            (
                failure(StopErrorType::Other("new".into())),
                &live,
                Some(Error),
            ),
            (ev(E::StopFailure), &live, Some(Error)),
            (ev(E::SessionEnd), &all, Some(Ended)),
            (ev(E::Other("TeammateIdle".into())), &all, None),
            (start("startup"), &all, Some(Idle)),
            (start("resume"), &all, Some(Idle)),
            (start("clear"), &all, Some(Idle)),
            (start("compact"), &live, None),
            (start("compact"), &[Ended], Some(Idle)),
            (ev(E::SessionStart), &all, Some(Idle)),
        ];
        // After Ended, everything but SessionStart keeps Ended.
        let mut rows = rows;
        for name in [
            E::UserPromptSubmit,
            E::PreToolUse,
            E::PostToolUse,
            E::PostToolUseFailure,
            E::SubagentStart,
            E::PermissionRequest,
            E::Elicitation,
            E::Stop,
            E::AgentTurnComplete,
            E::Interrupt,
            E::StopFailure,
        ] {
            rows.push((ev(name), &[Ended], Some(Ended)));
        }
        rows.push((note(N::PermissionPrompt), &[Ended], Some(Ended)));
        let later = test_now() + Duration::seconds(30);
        for (event, priors, expected) in &rows {
            for prior in *priors {
                let prev = record(*prior);
                let next = apply(Some(&prev), "j1", AgentKind::Claude, event, later);
                let want = expected.unwrap_or(*prior);
                assert_eq!(
                    next.state,
                    want,
                    "{} from {prior}: got {}",
                    event.name_str(),
                    next.state
                );
                // `since` moves exactly when the state changes.
                let since = if want == *prior { test_now() } else { later };
                assert_eq!(
                    next.since,
                    since,
                    "since, {} from {prior}",
                    event.name_str()
                );
                assert_eq!(next.last_event, event.name_str());
                assert_eq!(next.last_event_at, later);
                assert_eq!(next.events, prev.events + 1);
            }
        }
    }

    #[test]
    fn the_first_event_makes_a_record() {
        let first = apply(
            None,
            "j1",
            AgentKind::Codex,
            &ev(EventName::AgentTurnComplete),
            test_now(),
        );
        assert_eq!(first.state, Idle);
        assert_eq!(first.kind, AgentKind::Codex);
        assert_eq!(first.since, test_now());
        assert_eq!(first.events, 1);
        assert_eq!(first.format_version, AGENT_FORMAT_VERSION);
        let working = apply(
            None,
            "j1",
            AgentKind::Claude,
            &ev(EventName::UserPromptSubmit),
            test_now(),
        );
        assert_eq!((working.state, working.prompts), (Working, 1));
        let unknown = apply(
            None,
            "j1",
            AgentKind::Unknown,
            &ev(EventName::Other("X".into())),
            test_now(),
        );
        assert_eq!(unknown.state, Idle);
    }

    #[test]
    fn counters_tools_notifications_errors_and_kind() {
        let t = test_now();
        let mut r = apply(None, "j1", AgentKind::Claude, &start("startup"), t);
        let tool = |name: EventName| HookEvent {
            tool_name: Some("Bash".into()),
            session_id: Some("s2".into()),
            ..ev(name)
        };
        r = apply(
            Some(&r),
            "j1",
            AgentKind::Unknown,
            &ev(EventName::UserPromptSubmit),
            t,
        );
        assert_eq!(
            r.kind,
            AgentKind::Claude,
            "an unknown kind keeps the recorded one"
        );
        r = apply(
            Some(&r),
            "j1",
            AgentKind::Claude,
            &tool(EventName::PreToolUse),
            t,
        );
        assert_eq!(r.pending_tool.as_deref(), Some("Bash"));
        assert_eq!(r.session_id.as_deref(), Some("s2"));
        r = apply(
            Some(&r),
            "j1",
            AgentKind::Claude,
            &note(NotificationType::PermissionPrompt),
            t,
        );
        assert_eq!(r.state, WaitingInput);
        assert_eq!(r.notification_type.as_deref(), Some("permission_prompt"));
        assert_eq!(r.notification.as_deref(), Some("a message"));
        assert_eq!(
            r.pending_tool.as_deref(),
            Some("Bash"),
            "still waiting on it"
        );
        r = apply(
            Some(&r),
            "j1",
            AgentKind::Claude,
            &ev(EventName::PostToolUse),
            t,
        );
        assert_eq!((r.state, r.pending_tool.as_deref()), (Working, None));
        r = apply(
            Some(&r),
            "j1",
            AgentKind::Claude,
            &tool(EventName::PreToolUse),
            t,
        );
        r = apply(
            Some(&r),
            "j1",
            AgentKind::Claude,
            &failure(StopErrorType::RateLimit),
            t,
        );
        assert_eq!(r.state, RateLimited);
        assert_eq!(r.pending_tool, None);
        assert_eq!(r.error_type.as_deref(), Some("rate_limit"));
        assert_eq!(r.error.as_deref(), Some("it failed"));
        r = apply(
            Some(&r),
            "j1",
            AgentKind::Claude,
            &ev(EventName::UserPromptSubmit),
            t,
        );
        r = apply(
            Some(&r),
            "j1",
            AgentKind::Claude,
            &tool(EventName::PreToolUse),
            t,
        );
        r = apply(Some(&r), "j1", AgentKind::Claude, &ev(EventName::Stop), t);
        assert_eq!((r.state, r.pending_tool.as_deref()), (Idle, None));
        assert_eq!(r.events, 10);
        assert_eq!(r.prompts, 2);
        assert_eq!(r.session_id.as_deref(), Some("s2"), "kept when not sent");
    }
}
