//! Engine tests with an injected clock: every case the issue names, each with its near miss.

use chrono::{DateTime, TimeDelta, Utc};

use super::engine::EngineState;
use super::ops::AlertOpError;
use super::reason::SuppressReason;
use super::*;
use crate::config::{Escalation, ManagerMode};
use crate::detect::{Evidence, Severity, Signal, SignalCode, Subject};

fn t(min: i64) -> DateTime<Utc> {
    crate::clock::test_now() + TimeDelta::minutes(min)
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

fn sig(code: SignalCode, task: &str, severity: Severity) -> Signal {
    Signal {
        code,
        severity,
        subject: Subject::Task(task.to_owned()),
        task: Some(task.to_owned()),
        message: format!("{code} on {task}"),
        evidence: Evidence::default(),
        since: t(0),
    }
}

fn critical(task: &str) -> Signal {
    sig(SignalCode::RepeatedFailure, task, Severity::Critical)
}

fn policy() -> Policy {
    Policy::from_config(&Escalation::default()).expect("default policy")
}

fn spawns(decisions: &[Decision]) -> usize {
    decisions
        .iter()
        .filter(|d| matches!(d, Decision::Spawn { .. }))
        .count()
}

/// Runs the engine once a minute from `from` to `to` (inclusive) with `signals(minute)`.
fn run(
    state: &mut EngineState,
    policy: &Policy,
    from: i64,
    to: i64,
    signals: impl Fn(i64) -> Vec<Signal>,
) -> Vec<Decision> {
    let mut all = Vec::new();
    for m in from..=to {
        all.extend(step(state, &signals(m), policy, t(m), Step::default()));
    }
    all
}

#[test]
fn cleared_before_the_hold_is_nothing_just_past_it_is_one_action() {
    let p = policy(); // hold 2m
    let mut state = EngineState::default();
    assert!(step(&mut state, &[critical("a")], &p, t(0), Step::default()).is_empty());
    assert!(
        step(
            &mut state,
            &[critical("a")],
            &p,
            t(0) + secs(119),
            Step::default()
        )
        .is_empty()
    );
    assert!(
        step(&mut state, &[], &p, t(2) + secs(1), Step::default()).is_empty(),
        "a blip"
    );
    assert!(
        state.alerts.is_empty(),
        "a pending alert that cleared leaves nothing"
    );

    let mut state = EngineState::default();
    step(&mut state, &[critical("a")], &p, t(0), Step::default());
    let d = step(&mut state, &[critical("a")], &p, t(2), Step::default());
    assert_eq!(spawns(&d), 1, "{d:?}");
    let d = run(&mut state, &p, 3, 30, |_| vec![critical("a")]);
    assert_eq!(spawns(&d), 0, "never on every heartbeat: {d:?}");
}

#[test]
fn flapping_spawns_at_most_once_per_cooldown() {
    let p = policy(); // hold 2m, resolve_after 5m, cooldown 30m
    let mut state = EngineState::default();
    // Present 3 minutes (fires), gone 6 (resolves), and again: a new episode every 9 minutes.
    // Each manager ends at once, so only the cooldown can hold the repeats back.
    let mut d = Vec::new();
    for m in 0..60 {
        let sigs = if m % 9 < 3 {
            vec![critical("a")]
        } else {
            vec![]
        };
        d.extend(step(&mut state, &sigs, &p, t(m), Step::default()));
        let live: Vec<String> = state.live.iter().map(|l| l.action.clone()).collect();
        for action in live {
            manager_ended(&mut state, &action);
        }
    }
    assert_eq!(
        spawns(&d),
        2,
        "once at minute 2, once after the 30-minute cooldown: {d:#?}"
    );
    assert!(d.iter().any(
        |x| matches!(x, Decision::Suppressed { reason, .. } if *reason == SuppressReason::Cooldown)
    ));
    assert!(
        state.alerts["repeated_failure/task:a"].episode >= 5,
        "each refire after resolve is a new episode"
    );
}

#[test]
fn restart_with_unchanged_conditions_spawns_nothing_new() {
    let p = policy();
    let mut state = EngineState::default();
    let d = run(&mut state, &p, 0, 5, |_| vec![critical("a")]);
    assert_eq!(spawns(&d), 1);
    // The ledger round trip a restart does.
    let mut restarted: EngineState =
        serde_json::from_str(&serde_json::to_string(&state).expect("save")).expect("load");
    assert_eq!(restarted, state);
    let d = run(&mut restarted, &p, 6, 20, |_| vec![critical("a")]);
    assert_eq!(spawns(&d), 0, "{d:?}");
}

#[test]
fn a_condition_that_appeared_while_down_still_escalates() {
    let p = policy();
    let mut state = EngineState::default();
    run(&mut state, &p, 0, 5, |_| vec![]);
    let saved = serde_json::to_string(&state).expect("save");
    // Down from minute 5 to 40; "b" went bad meanwhile and is there on the first pass back.
    let mut state: EngineState = serde_json::from_str(&saved).expect("load");
    let d = run(&mut state, &p, 40, 43, |_| vec![critical("b")]);
    assert_eq!(spawns(&d), 1, "{d:?}");
}

#[test]
fn a_hundred_firing_alerts_in_an_hour_never_exceed_the_budget() {
    let mut p = policy();
    p.cooldown = crate::config::HumanDuration::from_secs(0);
    let mut state = EngineState::default();
    let mut total = 0;
    for m in 0..60 {
        // Up to 100 distinct critical alerts, new ones every minute, none acknowledged.
        let sigs: Vec<Signal> = (0..(m * 2 + 2).min(100))
            .map(|i| critical(&format!("t{i}")))
            .collect();
        let d = step(&mut state, &sigs, &p, t(m), Step::default());
        total += spawns(&d);
        // A manager window is live after the first spawn and takes everything else: end it
        // each time so only the budget can hold the storm back.
        let live: Vec<String> = state.live.iter().map(|l| l.action.clone()).collect();
        for action in live {
            manager_ended(&mut state, &action);
        }
    }
    assert_eq!(total, 3, "the budget: 3 an hour, 10 minutes apart");
    assert!(state.needs_human, "exhaustion is flagged for a person");
}

#[test]
fn suppression_is_reported_once() {
    let mut p = policy();
    p.budget.per_hour = 0;
    let mut state = EngineState::default();
    let d = run(&mut state, &p, 0, 30, |_| vec![critical("a")]);
    let suppressed = d
        .iter()
        .filter(|x| matches!(x, Decision::Suppressed { .. }))
        .count();
    assert_eq!(suppressed, 1, "{d:?}");
    assert_eq!(spawns(&d), 0);
    assert!(state.needs_human);
}

#[test]
fn clock_jumps_of_an_hour_neither_spawn_nor_lose_anything() {
    let p = policy();
    let mut state = EngineState::default();
    run(&mut state, &p, 0, 5, |_| vec![critical("a")]);
    assert_eq!(state.spawns.len(), 1);
    let before = state.clone();
    // Back an hour, with the same condition and a new one.
    let back = run(&mut state, &p, -60, -50, |_| {
        vec![critical("a"), critical("b")]
    });
    assert_eq!(spawns(&back), 0, "{back:?}");
    assert_eq!(state.spawns, before.spawns, "the spawn log is kept");
    assert!(state.alerts.contains_key("repeated_failure/task:a"));
    // Forward an hour past the original: time has passed, nothing new spawns either.
    let forward = run(&mut state, &p, 65, 70, |_| {
        vec![critical("a"), critical("b")]
    });
    assert_eq!(spawns(&forward), 0, "{forward:?}");
    // "b" was not lost: the live manager got it.
    let delivered = back.iter().chain(&forward).any(|x| matches!(x, Decision::Deliver { keys, .. } if keys.contains(&"repeated_failure/task:b".to_owned())));
    assert!(delivered, "{back:?} {forward:?}");
    // With no manager alive, a clock that jumps back an hour cannot spawn past the log.
    let mut alone = before.clone();
    alone.live.clear();
    let d = run(&mut alone, &p, -60, -1, |_| vec![critical("c")]);
    assert_eq!(
        spawns(&d),
        0,
        "the last spawn is in the future: too soon: {d:?}"
    );
}

#[test]
fn warnings_count_as_trouble_only_together() {
    let p = policy(); // 3 warnings
    let warn = |task: &str| sig(SignalCode::DispatchFailed, task, Severity::Warning);
    let mut state = EngineState::default();
    let d = run(&mut state, &p, 0, 10, |_| vec![warn("a"), warn("b")]);
    assert_eq!(spawns(&d), 0, "two warnings are not trouble");
    let d = run(&mut state, &p, 11, 15, |_| {
        vec![warn("a"), warn("b"), warn("c")]
    });
    assert_eq!(spawns(&d), 1, "three are: {d:?}");
    let info = |task: &str| sig(SignalCode::DispatchFailed, task, Severity::Info);
    let mut state = EngineState::default();
    let d = run(&mut state, &p, 0, 10, |_| {
        (0..9).map(|i| info(&format!("i{i}"))).collect()
    });
    assert_eq!(spawns(&d), 0, "info never escalates");
}

#[test]
fn acknowledged_and_silenced_alerts_do_not_escalate() {
    let p = policy();
    let mut state = EngineState::default();
    step(&mut state, &[critical("a")], &p, t(0), Step::default());
    apply_alert_op(
        &mut state,
        "repeated_failure/task:a",
        AlertOp::Silence { until: t(60) },
        t(0),
    )
    .expect("silence");
    let d = run(&mut state, &p, 1, 59, |_| vec![critical("a")]);
    assert_eq!(spawns(&d), 0, "silenced");
    let d = run(&mut state, &p, 60, 61, |_| vec![critical("a")]);
    assert_eq!(spawns(&d), 1, "the silence ended");

    let mut state = EngineState::default();
    step(&mut state, &[critical("b")], &p, t(0), Step::default());
    step(&mut state, &[critical("b")], &p, t(2), Step::default());
    apply_alert_op(
        &mut state,
        "repeated_failure/task:b",
        AlertOp::Ack { until: t(32) },
        t(2),
    )
    .expect("ack a firing alert");
    assert_eq!(
        state.alerts["repeated_failure/task:b"].state,
        AlertState::Acknowledged
    );
    run(&mut state, &p, 3, 33, |_| vec![critical("b")]);
    assert_eq!(
        state.alerts["repeated_failure/task:b"].state,
        AlertState::Firing,
        "the ack expired"
    );
    assert_eq!(
        apply_alert_op(&mut state, "nope", AlertOp::Ack { until: t(41) }, t(40)),
        Err(AlertOpError::NoAlert {
            op: "acknowledge".into(),
            key: "nope".into()
        })
    );
    // Offline and online share this function: an operation on a resolved alert says so.
    apply_alert_op(
        &mut state,
        "repeated_failure/task:b",
        AlertOp::Resolve,
        t(41),
    )
    .expect("resolve");
    let err = apply_alert_op(
        &mut state,
        "repeated_failure/task:b",
        AlertOp::Ack { until: t(50) },
        t(42),
    )
    .expect_err("not firing");
    assert_eq!(
        err.to_string(),
        "failed to acknowledge repeated_failure/task:b: it is resolved, not firing"
    );
}

#[test]
fn severity_only_rises_within_an_episode() {
    let p = policy();
    let mut state = EngineState::default();
    step(
        &mut state,
        &[sig(SignalCode::DispatchFailed, "a", Severity::Critical)],
        &p,
        t(0),
        Step::default(),
    );
    step(
        &mut state,
        &[sig(SignalCode::DispatchFailed, "a", Severity::Warning)],
        &p,
        t(1),
        Step::default(),
    );
    assert_eq!(
        state.alerts["dispatch_failed/task:a"].severity,
        Severity::Critical
    );
}

#[test]
fn one_shot_steps_up_to_a_window_if_still_firing() {
    let mut p = policy();
    p.mode = ManagerMode::Oneshot; // step_up_after 15m
    let mut state = EngineState::default();
    let d = run(&mut state, &p, 0, 2, |_| vec![critical("a")]);
    assert!(
        matches!(
            &d[..],
            [
                ..,
                Decision::Spawn {
                    mode: ManagerMode::Oneshot,
                    ..
                }
            ]
        ),
        "{d:?}"
    );
    // The one-shot finished; the trouble did not.
    let first = state.live[0].action.clone();
    manager_ended(&mut state, &first);
    let d = run(&mut state, &p, 3, 16, |_| vec![critical("a")]);
    assert_eq!(spawns(&d), 0, "not before step_up_after: {d:?}");
    let d = run(&mut state, &p, 17, 17, |_| vec![critical("a")]);
    assert!(
        matches!(&d[..], [Decision::Spawn { mode: ManagerMode::Window, reason, .. }] if *reason == SpawnReason::StepUp),
        "{d:?}"
    );
    // Acknowledged instead: no step-up.
    let mut state = EngineState::default();
    run(&mut state, &p, 0, 2, |_| vec![critical("b")]);
    apply_alert_op(
        &mut state,
        "repeated_failure/task:b",
        AlertOp::Ack { until: t(60) },
        t(2),
    )
    .expect("ack");
    let d = run(&mut state, &p, 3, 30, |_| vec![critical("b")]);
    assert_eq!(spawns(&d), 0);
}

#[test]
fn escalate_now_skips_the_hold_but_not_the_guards() {
    let p = policy();
    let mut state = EngineState::default();
    let d = step(
        &mut state,
        &[critical("a")],
        &p,
        t(0),
        Step {
            skip_hold: true,
            spend_closed: false,
        },
    );
    assert_eq!(spawns(&d), 1);
    let first = state.live[0].action.clone();
    manager_ended(&mut state, &first);
    let d = step(
        &mut state,
        &[critical("a"), critical("b")],
        &p,
        t(1),
        Step {
            skip_hold: true,
            spend_closed: false,
        },
    );
    assert_eq!(spawns(&d), 0, "min_spacing still applies: {d:?}");
}

#[test]
fn unknown_codes_in_the_policy_are_named() {
    let c = Escalation {
        codes: vec!["dispatch_failed".into(), "dispatch_fialed".into()],
        ..Escalation::default()
    };
    let err = Policy::from_config(&c).expect_err("typo");
    assert!(err.to_string().contains("dispatch_fialed"), "{err}");
}

#[test]
fn agents_waiting_for_a_person_are_not_trouble_until_critical() {
    let p = policy(); // three warnings together are trouble
    let person = |task: &str, severity| sig(SignalCode::AgentWaitingInput, task, severity);
    let mut state = EngineState::default();
    // Three agents waiting for their person, plus two idle ones: nobody is brought in.
    let waiting = |_| {
        vec![
            person("a", Severity::Warning),
            person("b", Severity::Warning),
            person("c", Severity::Warning),
            sig(SignalCode::AgentIdle, "d", Severity::Warning),
            sig(SignalCode::AwaitingReview, "e", Severity::Warning),
        ]
    };
    assert_eq!(spawns(&run(&mut state, &p, 0, 10, waiting)), 0);
    // Nor do they tip two ordinary warnings into trouble.
    let mixed = |m| {
        let mut s = waiting(m);
        s.push(sig(SignalCode::DispatchFailed, "f", Severity::Warning));
        s.push(sig(SignalCode::DispatchFailed, "g", Severity::Warning));
        s
    };
    assert_eq!(spawns(&run(&mut state, &p, 11, 20, mixed)), 0);
    // An agent that has waited past the critical threshold is trouble.
    let late = |m| {
        let mut s = mixed(m);
        s[0] = person("a", Severity::Critical);
        s
    };
    let decisions = run(&mut state, &p, 21, 30, late);
    assert_eq!(spawns(&decisions), 1, "{decisions:#?}");
    assert!(decisions.iter().any(|d| matches!(
        d,
        Decision::Spawn { keys, .. } if keys.contains(&"agent_waiting_input/task:a".to_owned())
    )));
}

#[test]
fn no_manager_while_the_hours_spending_budget_is_spent() {
    let p = policy();
    let mut state = EngineState::default();
    let closed = Step {
        skip_hold: false,
        spend_closed: true,
    };
    let mut decisions = Vec::new();
    for m in 0..=5 {
        decisions.extend(step(&mut state, &[critical("a")], &p, t(m), closed));
    }
    assert_eq!(spawns(&decisions), 0, "{decisions:#?}");
    // Recorded once, with its reason.
    let suppressed: Vec<_> = decisions
        .iter()
        .filter(|d| {
            matches!(d, Decision::Suppressed { reason, .. } if *reason == SuppressReason::SpendBudget)
        })
        .collect();
    assert_eq!(suppressed.len(), 1, "{decisions:#?}");
    // Once the budget allows it again, the trouble brings in its manager.
    let open = step(&mut state, &[critical("a")], &p, t(6), Step::default());
    assert_eq!(spawns(&open), 1, "{open:#?}");
}
