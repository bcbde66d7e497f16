//! Table tests for the signals drawn from agents' hooks, and for `dispatch_stalled` judged
//! by hooks instead of output.

use super::signal::{Severity, SignalCode};
use super::testing::{HOUR, World, ago, ended, exit, job, table, task};
use crate::agent::{AgentKind, AgentRecord, AgentState};
use crate::dispatch::Hold;
use crate::register::JobRecord;
use crate::task::Status;

const MIN: i64 = 60;

/// A live job expected to report, started `started_ago` seconds ago.
fn hooked(started_ago: i64) -> JobRecord {
    JobRecord {
        agent: Some(AgentKind::Claude),
        ..job(1, "t", started_ago)
    }
}

/// An agent record: `state` since `since_ago`, last event `event_ago`.
fn agent(state: AgentState, since_ago: i64, event_ago: i64) -> AgentRecord {
    AgentRecord {
        since: ago(since_ago),
        last_event: "Stop".to_owned(),
        last_event_at: ago(event_ago),
        events: 3,
        prompts: 1,
        notification: Some("Claude needs your permission to use Bash".to_owned()),
        ..AgentRecord::new("j1", AgentKind::Claude, state, ago(since_ago))
    }
}

/// One live hooked job on task `t` (in progress) with this record, or none.
fn world(job: JobRecord, record: Option<AgentRecord>) -> World {
    let mut w = World::tasks(vec![task("t", Status::InProgress, HOUR)]).jobs(vec![job]);
    if let Some(r) = record {
        w.agents.insert("j1".to_owned(), r);
    }
    w
}

#[test]
fn agent_waiting_input_is_a_warning_then_critical() {
    let cases = vec![
        (
            "waiting 1m",
            world(
                hooked(HOUR),
                Some(agent(AgentState::WaitingInput, MIN, MIN)),
            ),
            0,
        ),
        (
            "waiting 2m",
            world(
                hooked(HOUR),
                Some(agent(AgentState::WaitingInput, 2 * MIN, 2 * MIN)),
            ),
            1,
        ),
        (
            "working",
            world(hooked(HOUR), Some(agent(AgentState::Working, 5 * MIN, 5))),
            0,
        ),
        (
            "not expected to report",
            world(
                job(1, "t", HOUR),
                Some(agent(AgentState::WaitingInput, HOUR, HOUR)),
            ),
            0,
        ),
    ];
    table(SignalCode::AgentWaitingInput, cases);
    let late = world(
        hooked(HOUR),
        Some(agent(AgentState::WaitingInput, 31 * MIN, 31 * MIN)),
    );
    let got = late.codes(SignalCode::AgentWaitingInput);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].severity, Severity::Critical);
    assert!(
        got[0].message.contains("permission to use Bash"),
        "{}",
        got[0].message
    );
}

#[test]
fn a_tool_announced_with_nothing_drawn_since_is_a_missed_permission_prompt() {
    let pending = |output_ago: Option<i64>| {
        let mut j = hooked(HOUR);
        j.last_output_at = output_ago.map(ago);
        let mut a = agent(AgentState::Working, 10 * MIN, 3 * MIN);
        a.pending_tool = Some("Bash".to_owned());
        a.last_event = "PreToolUse".to_owned();
        world(j, Some(a))
    };
    let got = pending(Some(3 * MIN)).codes(SignalCode::AgentWaitingInput);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].message.contains("Bash"), "{}", got[0].message);
    // The tool draws (a spinner, its output): it runs, it does not wait.
    assert!(
        pending(Some(10))
            .codes(SignalCode::AgentWaitingInput)
            .is_empty()
    );
}

#[test]
fn agent_idle_needs_the_task_undone() {
    let idle = |status: Status, since: i64| {
        { World::tasks(vec![task("t", status, HOUR)]).jobs(vec![hooked(HOUR)]) }.tap(|w| {
            w.agents
                .insert("j1".to_owned(), agent(AgentState::Idle, since, since));
        })
    };
    table(
        SignalCode::AgentIdle,
        vec![
            ("idle 9m", idle(Status::InProgress, 9 * MIN), 0),
            ("idle 10m", idle(Status::InProgress, 10 * MIN), 1),
            ("idle, task completed", idle(Status::Completed, HOUR), 0),
            ("idle, task in review", idle(Status::Review, HOUR), 0),
        ],
    );
}

/// A small helper so a table row can build a world and then adjust it.
trait Tap: Sized {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl<T> Tap for T {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

#[test]
fn dispatch_unconfirmed_without_an_event_or_a_prompt() {
    let session_only = {
        let mut a = agent(AgentState::Idle, 2 * MIN, 2 * MIN);
        a.prompts = 0;
        a.last_event = "SessionStart".to_owned();
        a
    };
    let codex = {
        let mut a = agent(AgentState::Idle, 2 * MIN, 2 * MIN);
        a.prompts = 0;
        a.kind = AgentKind::Codex;
        a
    };
    table(
        SignalCode::DispatchUnconfirmed,
        vec![
            ("no event, 30s", world(hooked(30), None), 0),
            ("no event, 60s", world(hooked(60), None), 1),
            (
                "session started, no prompt",
                world(hooked(5 * MIN), Some(session_only)),
                1,
            ),
            (
                "prompt submitted",
                world(hooked(5 * MIN), Some(agent(AgentState::Idle, MIN, MIN))),
                0,
            ),
            (
                "a codex turn finished",
                world(hooked(5 * MIN), Some(codex)),
                0,
            ),
            ("not expected to report", world(job(1, "t", HOUR), None), 0),
        ],
    );
}

#[test]
fn agent_error_carries_its_type_and_a_rate_limit_is_not_one() {
    let failed = |state: AgentState, kind: &str| {
        let mut a = agent(state, MIN, MIN);
        a.error_type = Some(kind.to_owned());
        a.error = Some("upstream said 500".to_owned());
        world(hooked(HOUR), Some(a))
    };
    table(
        SignalCode::AgentError,
        vec![
            ("server error", failed(AgentState::Error, "server_error"), 1),
            (
                "rate limited",
                failed(AgentState::RateLimited, "rate_limit"),
                0,
            ),
        ],
    );
    let got = failed(AgentState::Error, "server_error").codes(SignalCode::AgentError);
    assert!(
        got[0].message.contains("server_error: upstream said 500"),
        "{}",
        got[0].message
    );
}

#[test]
fn awaiting_review_after_a_clean_exit_with_the_task_undone() {
    let review = |status: Status, ended_ago: i64| {
        let mut w = World::tasks(vec![task("t", status, 2 * HOUR)]).jobs(vec![ended(
            job(1, "t", HOUR),
            ended_ago,
            exit(0),
        )]);
        w.holds.insert(
            "t".to_owned(),
            Hold::Succeeded {
                job: "j1".to_owned(),
                ended_at: ago(ended_ago),
            },
        );
        w
    };
    table(
        SignalCode::AwaitingReview,
        vec![
            ("5m after", review(Status::InProgress, 5 * MIN), 0),
            ("10m after", review(Status::InProgress, 10 * MIN), 1),
            ("ready again", review(Status::Ready, HOUR), 1),
            ("in review", review(Status::Review, HOUR), 0),
            ("completed", review(Status::Completed, HOUR), 0),
        ],
    );
    // `register_mismatch` does not say the same thing again.
    assert!(
        review(Status::InProgress, HOUR)
            .codes(SignalCode::RegisterMismatch)
            .is_empty()
    );
}

#[test]
fn dispatch_stalled_follows_the_hooks_when_there_are_hooks() {
    let printing = |state: AgentState, event_ago: i64| {
        let mut j = hooked(HOUR);
        j.last_output_at = Some(ago(1)); // a spinner
        world(j, Some(agent(state, event_ago, event_ago)))
    };
    let quiet = |record: Option<AgentRecord>| {
        let mut j = hooked(HOUR);
        j.last_output_at = Some(ago(HOUR));
        world(j, record)
    };
    table(
        SignalCode::DispatchStalled,
        vec![
            (
                "working, last event 11m ago, printing",
                printing(AgentState::Working, 11 * MIN),
                1,
            ),
            (
                "working, last event 1m ago",
                printing(AgentState::Working, MIN),
                0,
            ),
            (
                "idle for an hour, quiet",
                quiet(Some(agent(AgentState::Idle, HOUR, HOUR))),
                0,
            ),
            (
                "waiting for an hour, quiet",
                quiet(Some(agent(AgentState::WaitingInput, HOUR, HOUR))),
                0,
            ),
            ("no event yet, quiet: output decides", quiet(None), 1),
        ],
    );
}
