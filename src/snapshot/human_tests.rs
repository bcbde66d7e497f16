//! The heartbeat's colour: on the right cells when on, nowhere when off.

use super::*;

/// The busy repository's snapshot from the integration tests, with its worker's agent set
/// to `state`.
fn snapshot(agent_state: &str) -> Snapshot {
    let snap = include_str!("../../tests/snapshots/tier1_cli__heartbeat_json.snap");
    let json = snap.splitn(3, "---\n").nth(2).expect("an insta snapshot");
    let mut value: serde_json::Value = serde_json::from_str(json).expect("json");
    value["workers"][0]["agent"] = serde_json::json!({
        "kind": "claude",
        "state": agent_state,
        "since": "2026-06-01T11:58:00Z",
        "last_event": null,
        "last_event_at": null,
        "session_id": null,
        "transcript_path": null,
        "notification": "Allow \u{1b}[31mrm?",
        "error_type": null,
        "error": null,
        "pending_tool": null
    });
    serde_json::from_value(value).expect("a snapshot")
}

#[test]
fn off_has_no_escape_at_all() {
    let text = render_heartbeat(&snapshot("waiting_input"), Paint::OFF);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("WAITING "), "{text}");
    assert!(
        text.contains("Allow \\e[31mrm?"),
        "the agent's text escaped: {text}"
    );
}

#[test]
fn on_paints_states_and_severities_on_their_cells() {
    let text = render_heartbeat(&snapshot("waiting_input"), Paint::ON);
    let worker = text
        .lines()
        .find(|l| l.contains("(attempt"))
        .expect("worker");
    assert!(
        worker.contains("\u{1b}[1;33mWAITING\u{1b}[0m "),
        "waiting is bold yellow, padded after: {worker:?}"
    );
    let critical = text.lines().find(|l| l.contains("critical")).expect("one");
    assert!(
        critical.starts_with("  \u{1b}[31mcritical\u{1b}[0m "),
        "{critical:?}"
    );
    let warning = text.lines().find(|l| l.contains("warning")).expect("one");
    assert!(
        warning.contains("\u{1b}[33mwarning\u{1b}[0m  "),
        "{warning:?}"
    );
    assert!(text.contains("\u{1b}[32m2 in progress\u{1b}[0m"), "{text}");
    // The agent's own escape stays escaped: colour is warden's only.
    assert!(text.contains("Allow \\e[31mrm?"), "{text}");
}

#[test]
fn painted_columns_line_up_like_plain_ones() {
    let strip = |t: &str| {
        let mut out = t.to_owned();
        for code in [
            "\u{1b}[0m",
            "\u{1b}[1;33m",
            "\u{1b}[31m",
            "\u{1b}[33m",
            "\u{1b}[2m",
            "\u{1b}[32m",
            "\u{1b}[35m",
            "\u{1b}[36m",
        ] {
            out = out.replace(code, "");
        }
        out
    };
    for state in ["working", "rate_limited", "error", "idle"] {
        let s = snapshot(state);
        assert_eq!(
            strip(&render_heartbeat(&s, Paint::ON)),
            render_heartbeat(&s, Paint::OFF),
            "{state}"
        );
    }
}

#[test]
fn each_agent_state_has_its_colour() {
    for (state, sgr) in [
        ("working", "\u{1b}[32m"),
        ("rate_limited", "\u{1b}[35m"),
        ("error", "\u{1b}[31m"),
        ("idle", "\u{1b}[2m"),
    ] {
        let text = render_heartbeat(&snapshot(state), Paint::ON);
        let worker = text
            .lines()
            .find(|l| l.contains("(attempt"))
            .expect("worker");
        assert!(worker.contains(&format!("  {sgr}")), "{state}: {worker:?}");
    }
}
