use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Option<TaskFields>, ParseError> {
    parse_task(text.as_bytes(), Path::new("tasks/m1/some-task.md"))
}

fn task(text: &str) -> TaskFields {
    match parse(text) {
        Ok(Some(t)) => t,
        other => panic!("expected a task from {text:?}, got {other:?}"),
    }
}

fn error(text: &str) -> ParseError {
    match parse(text) {
        Err(e) => e,
        other => panic!("expected an error from {text:?}, got {other:?}"),
    }
}

#[test]
fn reads_every_known_field() {
    let t = task(
        "---\nid: T-1\ntitle: Do it\nstatus: ready\npriority: p1\nmilestone: m1\nowner: dave\n\
         depends_on: [a, b]\nstarted_at: 2026-03-22T10:00:00Z\ncompleted_at: 2026-03-23\n\
         completed_by: bot\nextra: kept and ignored\n---\n# Heading\n",
    );
    assert_eq!(t.id, "T-1");
    assert_eq!(t.title, "Do it");
    assert_eq!(t.status, Status::Ready);
    assert_eq!(t.priority, Priority::P1);
    assert_eq!(t.milestone.as_deref(), Some("m1"));
    assert_eq!(t.owner.as_deref(), Some("dave"));
    assert_eq!(t.depends_on, ["a", "b"]);
    assert_eq!(
        t.started_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-03-22T10:00:00+00:00")
    );
    assert_eq!(
        t.completed_at.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-03-23T00:00:00+00:00")
    );
    assert_eq!(t.completed_by.as_deref(), Some("bot"));
}

#[test]
fn defaults_come_from_path_and_heading() {
    let t = task("---\nstatus: ready\n---\n\nSome text.\n# The Title\n## Sub\n");
    assert_eq!(t.id, "some-task");
    assert_eq!(t.title, "The Title");
    assert_eq!(t.priority, Priority::P2);
    assert!(t.depends_on.is_empty());
    // A heading inside a code block is not the title.
    let t = task("---\nid: x\n---\n```\n# not this\n```\n# this\n");
    assert_eq!(t.title, "this");
    // No heading at all: the id.
    assert_eq!(task("---\nid: x\n---\nbody\n").title, "x");
    // Missing status: backlog, never dispatched by accident.
    assert_eq!(task("---\nid: x\n---\n").status, Status::Backlog);
}

#[test]
fn no_front_matter_is_not_a_task() {
    for text in ["# README\n\nJust docs.\n", "", "text\n---\nid: x\n---\n"] {
        assert_eq!(parse(text), Ok(None), "{text:?}");
    }
}

#[test]
fn crlf_and_bom_parse() {
    let t = task("\u{feff}---\r\nid: crlf\r\nstatus: in-progress\r\n---\r\n# Title\r\n");
    assert_eq!(t.id, "crlf");
    assert_eq!(t.status, Status::InProgress);
    assert_eq!(t.title, "Title");
}

#[test]
fn status_spellings() {
    let cases = [
        ("ready", Status::Ready),
        ("in-progress", Status::InProgress),
        ("In Progress", Status::InProgress),
        ("done", Status::Completed),
        ("todo", Status::Backlog),
        ("canceled", Status::Cancelled),
        ("on-hold", Status::Blocked),
        ("in_review", Status::Review),
    ];
    for (raw, want) in cases {
        assert_eq!(
            task(&format!("---\nid: x\nstatus: {raw}\n---\n")).status,
            want,
            "{raw}"
        );
    }
}

#[test]
fn priority_spellings() {
    for (raw, want) in [
        ("p0", Priority::P0),
        ("P1", Priority::P1),
        ("3", Priority::P3),
        ("high", Priority::P1),
    ] {
        assert_eq!(
            task(&format!("---\nid: x\npriority: {raw}\n---\n")).priority,
            want,
            "{raw}"
        );
    }
}

#[test]
fn depends_on_forms() {
    assert_eq!(task("---\nid: x\ndepends_on: a\n---\n").depends_on, ["a"]);
    assert_eq!(
        task("---\nid: x\ndepends_on:\n  - a\n  - 12\n---\n").depends_on,
        ["a", "12"]
    );
    assert!(
        task("---\nid: x\ndepends_on: []\n---\n")
            .depends_on
            .is_empty()
    );
    assert!(task("---\nid: x\ndepends_on:\n---\n").depends_on.is_empty());
}

#[test]
fn errors_carry_the_line() {
    let cases: [(&str, Option<usize>, &str); 8] = [
        (
            "---\nid: x\nstatus: pondering\n---\n",
            Some(3),
            "unknown status",
        ),
        (
            "---\nid: x\n\npriority: p9\n---\n",
            Some(4),
            "unknown priority",
        ),
        ("---\nid: x\nstatus: ready\n", Some(1), "never closed"),
        (
            "---\nid: x\nstarted_at: yesterday\n---\n",
            Some(3),
            "started_at",
        ),
        (
            "---\nid: x\ndepends_on: {a: 1}\n---\n",
            Some(3),
            "depends_on",
        ),
        ("---\nid: [a, b]\n---\n", Some(2), "single value"),
        ("---\n- just\n- a list\n---\n", Some(2), "not a mapping"),
        (
            "---\nid: x\ntitle: \"unterminated\n---\n",
            None,
            "invalid YAML",
        ),
    ];
    for (text, line, needle) in cases {
        let e = error(text);
        assert!(e.message.contains(needle), "{text:?}: {e:?}");
        if line.is_some() {
            assert_eq!(e.line, line, "{text:?}: {e:?}");
        }
    }
}

#[test]
fn yaml_syntax_error_line_is_in_file_coordinates() {
    let e = error("---\nid: x\nstatus: ready\nbad: [unclosed\n---\n");
    assert!(e.message.contains("invalid YAML"), "{e:?}");
    let line = e.line.expect("a line for a syntax error");
    assert!(
        (4..=5).contains(&line),
        "line {line} should point into the file: {e:?}"
    );
}

#[test]
fn not_utf8_names_the_line() {
    let e =
        parse_task(b"---\nid: x\ntitle: caf\xe9\n---\n", Path::new("t.md")).expect_err("bad utf8");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("UTF-8"));
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut yaml = String::from("---\nid: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        yaml.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    yaml.push_str("---\n");
    let started = std::time::Instant::now();
    let e = error(&yaml);
    assert!(e.message.contains("invalid YAML"), "{e:?}");
    // Generous bound: the point is "does not expand 10^12 nodes", not speed.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn timestamps() {
    for raw in [
        "2026-03-22",
        "2026-03-22T10:00:00Z",
        "2026-03-22 10:00:00",
        "2026-03-22T10:00:00+02:00",
        "2026-03-22T10:00",
    ] {
        assert!(parse_timestamp(raw).is_some(), "{raw}");
    }
    for raw in ["yesterday", "2026-13-01", "22/03/2026"] {
        assert!(parse_timestamp(raw).is_none(), "{raw}");
    }
}
