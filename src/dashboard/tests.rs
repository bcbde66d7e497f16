//! The dashboard rendered into ratatui's test backend (insta snapshots of each state), and
//! its keys decided on plain views.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::keys::{Command, Key, Modal, Place, Ui, on_key};
use super::once::render;
use super::view::View;
use crate::snapshot::Snapshot;

const T0: &str = "2026-11-25T14:00:00Z";

fn t0() -> DateTime<Utc> {
    T0.parse().expect("time")
}

fn at(secs: i64) -> String {
    (t0() + TimeDelta::seconds(secs)).to_rfc3339()
}

fn counts() -> Value {
    json!({"total": 0, "backlog": 0, "ready": 0, "in_progress": 0, "blocked": 0, "review": 0,
        "completed": 0, "cancelled": 0, "invalid": 0, "queue": 0, "workers_live": 0,
        "escalation_signals": 0})
}

fn base() -> Value {
    json!({
        "format_version": 1, "generator": "warden test", "generated_at": T0,
        "valid_until": at(60), "root": "/home/op/shop", "counts": counts(), "queue": [],
        "tasks": [], "workers": [],
        "register": {"path": "/home/op/shop/.warden/register.json", "ok": true, "error": null, "jobs": 0},
        "escalation": {"required": false, "enabled": false, "dry_run": false,
            "min_severity": "warning", "signals": []},
        "usage": {"hour": {"tokens": {}}, "day": {"tokens": {}}, "priced": false},
        "limits": {"max_workers": 4}
    })
}

fn task(id: &str, title: &str, hold: Option<&str>) -> Value {
    json!({"id": id, "title": title, "status": "ready", "priority": "p1", "milestone": null,
        "owner": null, "path": format!("tasks/{id}.md"), "depends_on": [], "waiting_on": [],
        "started_at": null, "completed_at": null, "completed_by": null, "dispatchable": hold.is_none(),
        "worker": null, "hold": hold, "queue_position": null, "needs_attention": [],
        "escalation_reasons": []})
}

fn worker(task: &str, attempt: u32, started: i64, output: i64, agent: Option<Value>) -> Value {
    json!({"job": format!("j-{task}-{attempt}"), "task": task, "attempt": attempt,
        "pane": format!("%{attempt}{}", task.len()), "pid": 100, "worktree": null,
        "log_path": format!("tasks/logs/dispatch-{task}.log"), "started_at": at(started),
        "last_output_at": at(output), "silent_secs": 0, "agent": agent,
        "usage": {"tokens": {"input": 12_000, "output": 3_400}, "usd": 0.42, "usd_complete": true}})
}

fn agent(state: &str, notification: Option<&str>, last_event: &str) -> Value {
    json!({"kind": "claude", "state": state, "since": at(-30), "last_event": last_event,
        "last_event_at": at(-20), "session_id": "s1", "transcript_path": null,
        "notification": notification, "error_type": null, "error": null, "pending_tool": null})
}

fn signal(code: &str, severity: &str, task: &str, message: &str) -> Value {
    json!({"code": code, "severity": severity, "subject": {"kind": "task", "id": task},
        "task": task, "message": message, "evidence": {}, "since": at(-120)})
}

fn snapshot(v: Value) -> Snapshot {
    serde_json::from_value(v).expect("a snapshot")
}

fn busy() -> Value {
    let mut s = base();
    s["workers"] = json!([
        worker(
            "auth-login",
            1,
            -754,
            -3,
            Some(agent("working", None, "PostToolUse"))
        ),
        worker("billing", 2, -3700, -610, None),
        worker(
            "docs-site",
            1,
            -200,
            -190,
            Some(agent("idle", None, "Stop"))
        ),
    ]);
    s["queue"] = json!(["search", "export"]);
    s["tasks"] = json!([
        task("search", "Full-text search over orders", None),
        task("export", "CSV export", None),
        task(
            "flaky",
            "Fix flaky tests",
            Some("backoff: attempt 3 after 4m")
        ),
    ]);
    s["escalation"]["enabled"] = json!(true);
    s["escalation"]["signals"] = json!([signal(
        "dispatch_failed",
        "warning",
        "flaky",
        "attempt 2 of flaky exited with code 1"
    ),]);
    s["escalation"]["recent"] = json!([
        {"at": at(-900), "outcome": "fired", "detail": "dispatch_failed/task:flaky (warning)"},
        {"at": at(-600), "outcome": "suppressed", "detail": "cooldown for dispatch_failed/task:flaky"},
    ]);
    s["usage"]["hour"] =
        json!({"tokens": {"input": 1_200_000, "output": 90_000}, "usd": 3.1, "usd_complete": true});
    s["limits"]["max_usd_per_hour"] = json!(5.0);
    s
}

fn waiting() -> Value {
    let mut s = busy();
    s["workers"][0]["agent"] = agent(
        "waiting_input",
        Some("Claude needs your permission to use Bash"),
        "Notification",
    );
    s["escalation"]["signals"] = json!([
        signal(
            "agent_waiting_input",
            "warning",
            "auth-login",
            "auth-login waits for you: Claude needs your permission to use Bash"
        ),
        signal(
            "dispatch_failed",
            "warning",
            "flaky",
            "attempt 2 of flaky exited with code 1"
        ),
    ]);
    s
}

fn frame(v: Value, ui: &Ui, width: u16, height: u16) -> String {
    let view = View::build(&snapshot(v));
    render(&view, ui, t0(), width, height)
}

fn ui() -> Ui {
    Ui::new(Place::Window)
}

#[test]
fn empty() {
    insta::assert_snapshot!(frame(base(), &ui(), 100, 24));
}

#[test]
fn busy_with_a_selected_worker() {
    let text = frame(busy(), &ui(), 110, 30);
    assert!(text.contains("workers 3/4"), "{text}");
    assert!(text.contains("billing #2"), "the attempt shows: {text}");
    assert!(text.contains("12m34s"), "running for, against now: {text}");
    assert!(text.contains("held: backoff"), "why a task is held: {text}");
    insta::assert_snapshot!(text);
}

#[test]
fn waiting_for_input_is_listed_as_needing_you() {
    let text = frame(waiting(), &ui(), 110, 30);
    assert!(text.contains("WAITING"), "{text}");
    assert!(text.contains("waiting for you"), "{text}");
    assert!(
        text.contains("Claude needs your permission to use Bash"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn over_budget() {
    let mut s = busy();
    s["usage"]["hour"]["usd"] = json!(6.1);
    s["escalation"]["signals"] = json!([signal(
        "budget_exceeded",
        "critical",
        "billing",
        "the hour's spending $6.10 is over max_usd_per_hour $5.00"
    )]);
    let text = frame(s, &ui(), 110, 30);
    assert!(text.contains("1 critical"), "{text}");
    assert!(text.contains("budget"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn narrow_terminal_keeps_the_essentials() {
    let text = frame(waiting(), &ui(), 60, 24);
    assert!(text.lines().all(|l| l.chars().count() <= 60));
    assert!(text.contains("auth-login"), "{text}");
    assert!(!text.contains("spent"), "no room for spending: {text}");
    insta::assert_snapshot!(text);
}

#[test]
fn ages_tick_with_the_frame_not_the_snapshot() {
    let view = View::build(&snapshot(busy()));
    let later = render(&view, &ui(), t0() + TimeDelta::seconds(6), 110, 30);
    assert!(later.contains("12m40s"), "{later}");
    assert!(later.contains("snapshot 6s ago"), "{later}");
    let stale = render(&view, &ui(), t0() + TimeDelta::seconds(61), 110, 30);
    assert!(stale.contains("stale: no snapshot for 1m01s"), "{stale}");
}

#[test]
fn text_from_tasks_and_agents_is_escaped() {
    let mut s = busy();
    s["workers"][0]["task"] = json!("evil\u{1b}]0;pwned\u{7}");
    s["workers"][0]["agent"]["notification"] = json!("look\u{1b}[2J here");
    let text = frame(s, &ui(), 110, 30);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(
        text.contains("\\e]0;pwned"),
        "shown as a visible escape: {text}"
    );
}

#[test]
fn help_and_kill_confirmation_are_drawn_over_the_frame() {
    let mut u = ui();
    u.modal = Some(Modal::Help);
    assert!(frame(busy(), &u, 110, 30).contains("show the worker's window"));
    u.modal = Some(Modal::ConfirmKill {
        task: "auth-login".to_owned(),
    });
    assert!(frame(busy(), &u, 110, 30).contains("Kill the worker of auth-login?"));
}

#[test]
fn keys_move_the_selection_and_act_on_the_selected_row() {
    let view = View::build(&snapshot(waiting()));
    let mut u = ui();
    u.follow(&view);
    assert_eq!(on_key(&mut u, &view, Key::Char('j')), None);
    assert_eq!(u.selected, 1);
    assert_eq!(on_key(&mut u, &view, Key::Up), None);
    assert_eq!(
        on_key(&mut u, &view, Key::Enter),
        Some(Command::Jump {
            pane: "%110".to_owned()
        })
    );
    assert_eq!(
        on_key(&mut u, &view, Key::Char('l')),
        Some(Command::Log {
            task: "auth-login".to_owned()
        })
    );
    // K asks first; anything but y cancels.
    assert_eq!(on_key(&mut u, &view, Key::Char('K')), None);
    assert!(matches!(u.modal, Some(Modal::ConfirmKill { .. })));
    assert_eq!(on_key(&mut u, &view, Key::Char('n')), None);
    assert_eq!(u.modal, None);
    assert_eq!(on_key(&mut u, &view, Key::Char('K')), None);
    assert_eq!(
        on_key(&mut u, &view, Key::Char('y')),
        Some(Command::Kill {
            task: "auth-login".to_owned()
        })
    );
    // The last row is the held task in the queue: no window, no worker to kill.
    for _ in 0..20 {
        let _ = on_key(&mut u, &view, Key::Down);
    }
    assert_eq!(u.selected, view.rows() - 1);
    assert_eq!(on_key(&mut u, &view, Key::Enter), None);
    assert!(
        u.status
            .as_deref()
            .is_some_and(|s| s.contains("no worker window"))
    );
    assert_eq!(on_key(&mut u, &view, Key::Char('K')), None);
    assert!(
        u.status
            .as_deref()
            .is_some_and(|s| s.contains("no running worker"))
    );
    assert_eq!(
        on_key(&mut u, &view, Key::Char('r')),
        Some(Command::Retry {
            task: "flaky".to_owned()
        })
    );
    assert_eq!(
        on_key(&mut u, &view, Key::Char('d')),
        Some(Command::Dispatch {
            task: "flaky".to_owned()
        })
    );
    assert_eq!(on_key(&mut u, &view, Key::Click(0)), None);
    assert_eq!(u.selected, 0);
}

#[test]
fn ack_and_silence_take_the_row_alert_and_q_never_stops_the_window() {
    let mut s = waiting();
    s["escalation"]["alerts"] = json!([{"key": "agent_waiting_input/task:auth-login",
        "state": "firing", "severity": "warning", "episode": 1, "since": at(-60), "escalated_to": null}]);
    let view = View::build(&snapshot(s));
    let mut u = ui();
    u.follow(&view);
    let key = "agent_waiting_input/task:auth-login".to_owned();
    assert_eq!(
        on_key(&mut u, &view, Key::Char('a')),
        Some(Command::Ack { key: key.clone() })
    );
    assert_eq!(
        on_key(&mut u, &view, Key::Char('s')),
        Some(Command::Silence { key })
    );
    assert_eq!(on_key(&mut u, &view, Key::Char('q')), None);
    assert!(
        u.status
            .as_deref()
            .is_some_and(|s| s.contains("keeps running"))
    );
    let mut top = Ui::new(Place::Top);
    assert_eq!(on_key(&mut top, &view, Key::Char('q')), Some(Command::Quit));
}

#[test]
fn before_any_key_the_top_row_stays_selected_whatever_comes_first() {
    let mut u = ui();
    // The first snapshot had only a queue: its first task is not the person's choice.
    let mut queued = base();
    queued["queue"] = json!(["export", "search"]);
    queued["tasks"] = json!([
        task("search", "Search", None),
        task("export", "Export", None)
    ]);
    u.follow(&View::build(&snapshot(queued)));
    assert_eq!(u.selected, 0);
    let view = View::build(&snapshot(busy()));
    u.follow(&view);
    assert_eq!(u.selected, 0, "still the top row: the first worker");
    assert_eq!(
        view.target(u.selected).and_then(|t| t.task).as_deref(),
        Some("auth-login")
    );
}

#[test]
fn the_selection_follows_its_task_when_rows_move() {
    let mut u = ui();
    let view = View::build(&snapshot(busy()));
    u.follow(&view);
    assert_eq!(on_key(&mut u, &view, Key::Down), None);
    assert_eq!(u.selected_task.as_deref(), Some("billing"));
    let mut moved = busy();
    let first = moved["workers"][0].clone();
    moved["workers"] = json!([
        moved["workers"][1].clone(),
        moved["workers"][2].clone(),
        first
    ]);
    let view = View::build(&snapshot(moved));
    u.follow(&view);
    assert_eq!(u.selected, 0);
}
