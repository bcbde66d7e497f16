//! Pure, minimal edits of a task file's front matter: text in, text out, every byte that is
//! not one of the edited lines left exactly as it was.
//!
//! The file is not round-tripped through a YAML serialiser on purpose: that would reorder
//! keys, drop comments and requote values in a file people edit by hand and keep in git,
//! so a dispatch would show up as a noisy diff. Instead only the lines of the keys being
//! set change; everything else (BOM, CRLF, comments, the body) is copied through.

use chrono::{DateTime, SecondsFormat, Utc};

/// Why a task file could not be edited. The caller adds the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EditError {
    #[error("failed to find front matter: the file does not start with a '---' line")]
    NoFrontMatter,
    #[error("failed to find the end of the front matter: the '---' on line 1 is never closed")]
    Unclosed,
}

/// Sets `status: in_progress` and `started_at: <now>` (RFC 3339, UTC, whole seconds).
///
/// An existing top-level key has its line (and any continuation lines of its value)
/// replaced; a missing key is added just before the closing fence.
pub(crate) fn mark_started(text: &str, now: DateTime<Utc>) -> Result<String, EditError> {
    let started_at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    set_fields(
        text,
        &[("status", "in_progress"), ("started_at", &started_at)],
    )
}

/// One line of the file: `start..end` includes the terminator, `content` excludes it.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    start: usize,
    end: usize,
    content: &'a str,
    terminator: &'a str,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        self.content.trim().is_empty()
    }

    /// Part of the value of the key above it: indented, or a block sequence item, which
    /// YAML allows at the key's own indentation.
    fn continues_value(&self) -> bool {
        self.content.starts_with([' ', '\t'])
            || self.content == "-"
            || self.content.starts_with("- ")
            || self.content.starts_with("-\t")
    }

    /// The top-level key this line sets, if it is one of `keys`. Matches the parser's rule
    /// (the key at column 0, then optional spaces and a colon) and also accepts the key in
    /// quotes, so a quoted key is replaced rather than duplicated.
    fn sets_key(&self, key: &str) -> bool {
        let rest = self
            .content
            .strip_prefix(key)
            .or_else(|| quoted(self.content, '"', key))
            .or_else(|| quoted(self.content, '\'', key));
        rest.is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with(':'))
    }
}

fn quoted<'a>(content: &'a str, quote: char, key: &str) -> Option<&'a str> {
    content
        .strip_prefix(quote)?
        .strip_prefix(key)?
        .strip_prefix(quote)
}

/// Splits `text` (from byte `base` on) into lines with their absolute offsets.
fn lines(text: &str, base: usize) -> impl Iterator<Item = Line<'_>> {
    let mut start = base;
    text[base..].split_inclusive('\n').map(move |raw| {
        let line_start = start;
        start += raw.len();
        let content = raw
            .strip_suffix("\r\n")
            .or_else(|| raw.strip_suffix('\n'))
            .unwrap_or(raw);
        Line {
            start: line_start,
            end: start,
            content,
            terminator: &raw[content.len()..],
        }
    })
}

/// Sets each `(key, value)` at the top level of the front matter. `value` is written as it
/// is, so it must already be a plain YAML scalar; callers pass warden's own values only.
fn set_fields(text: &str, fields: &[(&str, &str)]) -> Result<String, EditError> {
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut all = lines(text, base);
    let open = all.next().ok_or(EditError::NoFrontMatter)?;
    if open.content.trim_end() != "---" {
        return Err(EditError::NoFrontMatter);
    }
    let mut front = Vec::new();
    let mut close = None;
    for line in all {
        let fence = line.content.trim_end();
        if fence == "---" || fence == "..." {
            close = Some(line);
            break;
        }
        front.push(line);
    }
    let close = close.ok_or(EditError::Unclosed)?;
    // The opening fence always has a terminator (a closing fence follows it), so this is
    // the file's line ending for any line we add.
    let eol = open.terminator;

    let mut out = String::with_capacity(text.len() + 64);
    let mut copied = 0;
    let mut found = vec![false; fields.len()];
    let mut i = 0;
    while i < front.len() {
        let line = front[i];
        let Some(k) = fields.iter().position(|(key, _)| line.sets_key(key)) else {
            i += 1;
            continue;
        };
        // A value spread over several lines is replaced as a whole; otherwise its
        // continuation would be read as part of the new value.
        let mut last = i;
        let mut j = i + 1;
        while j < front.len() {
            if front[j].continues_value() && !front[j].is_blank() {
                last = j;
            } else if !front[j].is_blank() {
                break;
            }
            j += 1;
        }
        let (key, value) = fields[k];
        out.push_str(&text[copied..line.start]);
        out.push_str(key);
        out.push_str(": ");
        out.push_str(value);
        out.push_str(front[last].terminator);
        copied = front[last].end;
        found[k] = true;
        i = last + 1;
    }
    out.push_str(&text[copied..close.start]);
    for ((key, value), _) in fields.iter().zip(&found).filter(|(_, found)| !**found) {
        out.push_str(key);
        out.push_str(": ");
        out.push_str(value);
        out.push_str(eol);
    }
    out.push_str(&text[close.start..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::task::Status;
    use crate::task::parse::parse_task;

    fn now() -> DateTime<Utc> {
        crate::clock::test_now()
    }

    const S: &str = "status: in_progress";
    const T: &str = "started_at: 2026-06-01T12:00:00Z";

    #[test]
    fn changes_only_the_two_lines_byte_for_byte() {
        let cases: Vec<(&str, String, String)> = vec![
            (
                "both keys present",
                "---\nid: a\nstatus: ready\nstarted_at: 2026-01-01\n---\n# A\n".into(),
                format!("---\nid: a\n{S}\n{T}\n---\n# A\n"),
            ),
            (
                "both keys missing: added before the fence, status first",
                "---\nid: a\ntitle: A\n---\nbody\n".into(),
                format!("---\nid: a\ntitle: A\n{S}\n{T}\n---\nbody\n"),
            ),
            (
                "only status present",
                "---\nstatus: backlog\nid: a\n---\n".into(),
                format!("---\n{S}\nid: a\n{T}\n---\n"),
            ),
            (
                "only started_at present",
                "---\nstarted_at: x\nid: a\n---\n".into(),
                format!("---\n{T}\nid: a\n{S}\n---\n"),
            ),
            (
                "empty front matter",
                "---\n---\nbody\n".into(),
                format!("---\n{S}\n{T}\n---\nbody\n"),
            ),
            (
                "CRLF everywhere, inserted lines too",
                "---\r\nid: a\r\nstatus: ready\r\n---\r\nbody\r\nstatus: ready\r\n".into(),
                format!("---\r\nid: a\r\n{S}\r\n{T}\r\n---\r\nbody\r\nstatus: ready\r\n"),
            ),
            (
                "BOM kept",
                "\u{feff}---\nstatus: ready\n---\n".into(),
                format!("\u{feff}---\n{S}\n{T}\n---\n"),
            ),
            (
                "BOM and CRLF",
                "\u{feff}---\r\nid: a\r\n---\r\n".into(),
                format!("\u{feff}---\r\nid: a\r\n{S}\r\n{T}\r\n---\r\n"),
            ),
            (
                "no newline after the closing fence",
                "---\nstatus: ready\n---".into(),
                format!("---\n{S}\n{T}\n---"),
            ),
            (
                "closing fence '...' with trailing spaces",
                "---\nid: a\n...  \nbody".into(),
                format!("---\nid: a\n{S}\n{T}\n...  \nbody"),
            ),
            (
                "body and nested keys are not touched",
                "---\nmeta:\n  status: nested\nnotes: |\n  status: text\nstatus: ready\n---\n\
                 status: body\nstarted_at: body\n---\nstatus: again\n"
                    .into(),
                format!(
                    "---\nmeta:\n  status: nested\nnotes: |\n  status: text\n{S}\n{T}\n---\n\
                     status: body\nstarted_at: body\n---\nstatus: again\n"
                ),
            ),
            (
                "comments, odd spacing and similar keys kept",
                "---\n# status: commented out\nstatuses: [a]\nstatus  :   ready # hand-set\n\
                 started_at_note: x\n\n---\n"
                    .into(),
                format!(
                    "---\n# status: commented out\nstatuses: [a]\n{S}\n\
                     started_at_note: x\n\n{T}\n---\n"
                ),
            ),
            (
                "quoted keys are replaced, not duplicated",
                "---\n\"status\": ready\n'started_at': 2026-01-01\n---\n".into(),
                format!("---\n{S}\n{T}\n---\n"),
            ),
            (
                "a value over several lines is replaced whole, blank lines after it kept",
                "---\nstatus: >\n  ready\n\n  still status\nstarted_at:\n- odd\n\nid: a\n---\n"
                    .into(),
                format!("---\n{S}\n{T}\n\nid: a\n---\n"),
            ),
            (
                "non-ASCII text around the keys",
                "---\ntitle: Überprüfen ✓\nstatus: prêt\n---\n# 日本語\n".into(),
                format!("---\ntitle: Überprüfen ✓\n{S}\n{T}\n---\n# 日本語\n"),
            ),
            (
                "a duplicated key is replaced everywhere, so no stale value survives",
                "---\nstatus: ready\nid: a\nstatus: review\n---\n".into(),
                format!("---\n{S}\nid: a\n{S}\n{T}\n---\n"),
            ),
            (
                "opening fence with trailing spaces",
                "---  \nid: a\n---\n".into(),
                format!("---  \nid: a\n{S}\n{T}\n---\n"),
            ),
        ];
        for (name, input, expected) in cases {
            let got = mark_started(&input, now());
            assert_eq!(got.as_deref(), Ok(expected.as_str()), "{name}");
        }
    }

    #[test]
    fn refuses_files_it_cannot_edit() {
        let cases = [
            ("", EditError::NoFrontMatter),
            ("# Just a README\n", EditError::NoFrontMatter),
            ("\nid: a\n---\n", EditError::NoFrontMatter),
            (" ---\nid: a\n---\n", EditError::NoFrontMatter),
            ("---", EditError::Unclosed),
            ("---\nid: a\n", EditError::Unclosed),
            ("---\r\nid: a\r\n--- no\r\n", EditError::Unclosed),
        ];
        for (input, expected) in cases {
            assert_eq!(mark_started(input, now()), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn the_parser_reads_back_what_was_written() {
        let inputs = [
            "---\nid: a\nstatus: ready\npriority: p1\n---\n# A\n",
            "\u{feff}---\r\nid: a\r\nstatus: ready\r\nstarted_at: 2020-01-01\r\n---\r\n",
            "---\nid: a\n---",
        ];
        for input in inputs {
            let edited = mark_started(input, now()).expect("editable");
            let before = parse_task(input.as_bytes(), Path::new("a.md"))
                .expect("valid")
                .expect("a task");
            let after = parse_task(edited.as_bytes(), Path::new("a.md"))
                .expect("still valid")
                .expect("still a task");
            assert_eq!(after.status, Status::InProgress, "{input:?}");
            assert_eq!(after.started_at, Some(now()), "{input:?}");
            assert_eq!(after.id, before.id);
            assert_eq!(after.priority, before.priority);
            assert_eq!(after.title, before.title);
        }
    }

    #[test]
    fn editing_twice_only_moves_the_time() {
        let input = "---\nid: a\n---\nbody\n";
        let once = mark_started(input, now()).expect("editable");
        assert_eq!(mark_started(&once, now()), Ok(once.clone()));
        let later = now() + chrono::Duration::seconds(90);
        let twice = mark_started(&once, later).expect("editable");
        assert_eq!(
            twice,
            once.replace("2026-06-01T12:00:00Z", "2026-06-01T12:01:30Z")
        );
    }

    #[test]
    fn sub_second_times_are_truncated_to_seconds() {
        let t = now() + chrono::Duration::milliseconds(987);
        let edited = mark_started("---\n---\n", t).expect("editable");
        assert!(
            edited.contains("started_at: 2026-06-01T12:00:00Z\n"),
            "{edited}"
        );
    }
}
