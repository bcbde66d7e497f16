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

#[test]
fn ids_with_control_characters_are_invalid_at_the_id_line() {
    for (yaml_id, shown) in [
        (r#""a\u0000b""#, r#""a\0b""#),
        (r#""a\e[31mred""#, r#""a\u{1b}[31mred""#),
        (r#""two\nlines""#, r#""two\nlines""#),
        (r#""tab\there""#, r#""tab\there""#),
        (r#""del\u007f""#, r#""del\u{7f}""#),
    ] {
        let e = error(&format!("---\nstatus: ready\nid: {yaml_id}\n---\n"));
        assert_eq!(e.line, Some(3), "{yaml_id}: {e:?}");
        assert!(e.message.contains("control character"), "{yaml_id}: {e:?}");
        assert!(e.message.contains(shown), "{yaml_id}: {e:?}");
    }
}

#[test]
fn ids_longer_than_the_limit_are_invalid_at_the_id_line() {
    let long = "a".repeat(9000);
    let e = error(&format!("---\nstatus: ready\nid: {long}\n---\n"));
    assert_eq!(e.line, Some(3), "{e:?}");
    assert!(e.message.contains("9000 bytes"), "{e:?}");
    assert!(e.message.contains("200-byte limit"), "{e:?}");
    assert!(
        e.message.len() < 300,
        "the message does not repeat the whole id"
    );
    // The limit itself is fine, in bytes, not characters.
    assert_eq!(
        task(&format!("---\nid: {}\n---\n", "a".repeat(200)))
            .id
            .len(),
        200
    );
    let e = error(&format!("---\nid: {}\n---\n", "é".repeat(101)));
    assert!(e.message.contains("202 bytes"), "{e:?}");
}

#[test]
fn ids_from_file_names_follow_the_same_rule() {
    let e = parse_task(b"---\nstatus: ready\n---\n", Path::new("tasks/a\x1bb.md"))
        .expect_err("an escape in the file name");
    assert_eq!(e.line, None, "{e:?}");
    assert!(e.message.contains("control character"), "{e:?}");
    assert!(e.message.contains("file name"), "{e:?}");
    let long = format!("tasks/{}.md", "b".repeat(250));
    let e = parse_task(b"---\n---\n", Path::new(&long)).expect_err("a long file name");
    assert!(e.message.contains("250 bytes"), "{e:?}");
    assert!(e.message.contains("file name"), "{e:?}");
}

#[test]
fn ids_dispatch_can_run_are_accepted() {
    for id in [
        "semi;",
        "a b",
        "naïve-✓",
        "{job}",
        "$(x)",
        "-rf",
        "..",
        "a\u{2028}b",
    ] {
        let yaml = serde_json::to_string(id).expect("json string");
        assert_eq!(task(&format!("---\nid: {yaml}\n---\n")).id, id);
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::dispatch::{is_safe_name, safe_name};
    use crate::task::check_id;

    /// Whatever the parser accepts, dispatch can run: the id passes the rule the launcher
    /// checks, and the name made from it is one safe path, branch and window component.
    fn dispatchable(fields: &TaskFields) -> Result<(), TestCaseError> {
        let id = &fields.id;
        prop_assert_eq!(check_id(id), Ok(()), "accepted id {:?}", id);
        let name = safe_name(id);
        prop_assert!(is_safe_name(&name), "{:?} -> {:?}", id, name);
        Ok(())
    }

    /// Any text, control characters included (`any::<String>()` has none), sometimes longer
    /// than the id limit.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter),
            prop::collection::vec(any::<char>(), 150..260).prop_map(String::from_iter),
            "[a-z;. -]{190,210}",
        ]
    }

    /// Front matter lines: known keys with arbitrary scalar values (quoted as JSON, which is
    /// YAML), plus arbitrary raw lines.
    fn front_matter() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "id",
            "title",
            "status",
            "priority",
            "depends_on",
            "created_at",
            "owner",
            "x",
        ]);
        let quoted = (key.clone(), text())
            .prop_map(|(k, v)| format!("{k}: {}", serde_json::to_string(&v).unwrap_or_default()));
        let raw = (key, "[^\n]{0,40}").prop_map(|(k, v)| format!("{k}: {v}"));
        let free = "[^\n]{0,40}";
        prop::collection::vec(prop_oneof![quoted, raw, free], 0..8)
            .prop_map(|lines| format!("---\n{}\n---\n# body\n", lines.join("\n")))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(Some(fields)) = parse_task(&bytes, Path::new("tasks/x.md")) {
                dispatchable(&fields)?;
            }
            let mut fenced = b"---\n".to_vec();
            fenced.extend_from_slice(&bytes);
            fenced.extend_from_slice(b"\n---\n");
            if let Ok(Some(fields)) = parse_task(&fenced, Path::new("tasks/x.md")) {
                dispatchable(&fields)?;
            }
        }

        #[test]
        fn arbitrary_front_matter_never_panics_and_every_accepted_id_is_dispatchable(
            text in front_matter(),
            stem in text(),
        ) {
            let path = format!("tasks/{}.md", stem.replace('/', "_"));
            if let Ok(Some(fields)) = parse_task(text.as_bytes(), Path::new(&path)) {
                dispatchable(&fields)?;
            }
        }

        #[test]
        fn any_id_is_either_refused_or_dispatchable(id in text()) {
            let yaml = serde_json::to_string(&id).unwrap_or_default();
            match parse_task(format!("---\nid: {yaml}\n---\n").as_bytes(), Path::new("t.md")) {
                Ok(Some(fields)) => {
                    dispatchable(&fields)?;
                    // Accepted as written (trimmed), or the file name's id for a blank one.
                    let want = if id.trim().is_empty() { "t" } else { id.trim() };
                    prop_assert_eq!(fields.id.as_str(), want);
                }
                Ok(None) => prop_assert!(false, "front matter was not seen"),
                // Refused by the YAML parser, or by the id rule at the id's line.
                Err(e) => prop_assert!(
                    e.message.starts_with("invalid YAML") || e.line == Some(2),
                    "{:?}",
                    e
                ),
            }
        }
    }
}
