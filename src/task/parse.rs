//! Pure parsing of one task file: bytes in, `TaskFields` (or "not a task", or an error with a
//! line number) out. No file system access; the path only names the task when `id` is missing.

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::id::{IdProblem, check_id, shown};
use super::model::{Priority, Status, TaskFields};

/// Why a file could not be read as a task. `line` is 1-based within the whole file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ParseError {
    pub(crate) line: Option<usize>,
    pub(crate) message: String,
}

impl ParseError {
    fn at(line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

/// Splits the text into front matter and body. `Ok(None)` when the file has no front matter
/// (a README), an error when the opening fence is never closed. Returns the YAML text, the
/// 1-based line of its first line, and the body.
fn split_front_matter(text: &str) -> Result<Option<(&str, usize, &str)>, ParseError> {
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else {
        return Ok(None);
    };
    if first.trim_end() != "---" {
        return Ok(None);
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for line in lines {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let yaml = &text[yaml_start..offset];
            let body = &text[offset + line.len()..];
            return Ok(Some((yaml, 2, body)));
        }
        offset += line.len();
    }
    Err(ParseError::at(
        Some(1),
        "front matter opened with '---' on line 1 is never closed",
    ))
}

/// The 1-based line in the file where `key:` is written at the top level of the front matter.
fn key_line(yaml: &str, first_line: usize, key: &str) -> Option<usize> {
    yaml.lines().enumerate().find_map(|(i, line)| {
        let rest = line.strip_prefix(key)?;
        rest.trim_start().starts_with(':').then_some(first_line + i)
    })
}

/// A scalar as text: strings as they are, numbers and booleans printed. `None` for null.
fn scalar(value: &Value) -> Option<Result<String, ()>> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(Ok(s.clone())),
        Value::Number(n) => Some(Ok(n.to_string())),
        Value::Bool(b) => Some(Ok(b.to_string())),
        Value::Array(_) | Value::Object(_) => Some(Err(())),
    }
}

/// Accepts `2026-03-22`, `2026-03-22T10:00:00Z`, `2026-03-22 10:00:00` and RFC 3339 with an
/// offset. Times without a zone are taken as UTC.
pub(crate) fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f %:z",
        "%Y-%m-%dT%H:%M%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(raw, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The id a task gets when its front matter has none: the file name without `.md`.
pub(crate) fn id_from_path(path: &Path) -> String {
    path.file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
}

fn first_heading(body: &str) -> Option<String> {
    let mut in_code = false;
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_code = !in_code;
            continue;
        }
        if !in_code && let Some(h) = t.strip_prefix("# ") {
            let h = h.trim();
            if !h.is_empty() {
                return Some(h.to_owned());
            }
        }
    }
    None
}

/// Reads the front matter with serde-saphyr, whose default budget and alias limits stop
/// alias bombs and deep nesting instead of exhausting memory.
fn parse_yaml(yaml: &str, first_line: usize) -> Result<Map<String, Value>, ParseError> {
    if yaml.trim().is_empty() {
        return Ok(Map::new());
    }
    let value: Value = serde_saphyr::from_str(yaml).map_err(|e| {
        let line = e
            .location()
            .map(|loc| first_line + loc.line().saturating_sub(1) as usize);
        ParseError::at(
            line,
            format!(
                "invalid YAML front matter: {}",
                yaml_message(&e.to_string())
            ),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(ParseError::at(
            Some(first_line),
            "front matter is not a mapping of keys to values",
        )),
    }
}

/// saphyr's message without its own "error: line L column C:" prefix (its line counts from
/// the front matter, not the file, and we report the file's line separately) and with the
/// budget wording made plain.
fn yaml_message(raw: &str) -> String {
    let first = raw.lines().next().unwrap_or("invalid YAML");
    let mut msg = first.strip_prefix("error: ").unwrap_or(first);
    if msg.starts_with("line ")
        && let Some((_, rest)) = msg.split_once(": ")
    {
        msg = rest;
    }
    if msg.contains("budget breached") {
        return format!(
            "it exceeds the parser's size limits (an alias bomb or a huge document): {msg}"
        );
    }
    msg.to_owned()
}

/// A task file's text after its front matter (the whole text when it has none), for a
/// job's prompt: BOM dropped, CRLF made LF, as the parser sees it.
pub(crate) fn task_body(text: &str) -> String {
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    match split_front_matter(&text) {
        Ok(Some((_, _, body))) => body.to_owned(),
        _ => text,
    }
}

/// Parses one task file. `Ok(None)`: a markdown file without front matter, not a task.
pub(crate) fn parse_task(bytes: &[u8], path: &Path) -> Result<Option<TaskFields>, ParseError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(ParseError::at(
                Some(line),
                format!("not valid UTF-8 (byte {})", e.valid_up_to()),
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // CRLF: normalise once so fences, keys and headings all see plain lines.
    let normalised;
    let text = if text.contains('\r') {
        normalised = text.replace("\r\n", "\n");
        normalised.as_str()
    } else {
        text
    };
    let Some((yaml, first_line, body)) = split_front_matter(text)? else {
        return Ok(None);
    };
    let map = parse_yaml(yaml, first_line)?;
    let line_of = |key: &str| key_line(yaml, first_line, key);
    let text_field = |key: &str| -> Result<Option<String>, ParseError> {
        match map.get(key).and_then(scalar) {
            None => Ok(None),
            Some(Ok(s)) if s.trim().is_empty() => Ok(None),
            Some(Ok(s)) => Ok(Some(s.trim().to_owned())),
            Some(Err(())) => Err(ParseError::at(
                line_of(key),
                format!("`{key}` must be a single value, not a list or mapping"),
            )),
        }
    };
    let time_field = |key: &str| -> Result<Option<DateTime<Utc>>, ParseError> {
        match text_field(key)? {
            None => Ok(None),
            Some(raw) => parse_timestamp(&raw).map(Some).ok_or_else(|| {
                ParseError::at(
                    line_of(key),
                    format!(
                        "`{key}` is {raw:?}; expected a date or time like 2026-03-22 or 2026-03-22T10:00:00Z"
                    ),
                )
            }),
        }
    };

    let (id, from_file_name) = match text_field("id")? {
        Some(id) => (id, false),
        None => (id_from_path(path), true),
    };
    if let Err(problem) = check_id(&id) {
        return Err(match problem {
            IdProblem::Empty => ParseError::at(line_of("id"), "the task has an empty id"),
            // An id from the file name has no line to point at.
            _ if from_file_name => ParseError::at(
                None,
                format!("the id {} from the file name {problem}", shown(&id)),
            ),
            _ => ParseError::at(line_of("id"), format!("the id {} {problem}", shown(&id))),
        });
    }
    let status = match text_field("status")? {
        None => Status::Backlog,
        Some(raw) => Status::parse(&raw).ok_or_else(|| {
            ParseError::at(
                line_of("status"),
                format!(
                    "unknown status {raw:?}; expected one of backlog, ready, in_progress, blocked, review, completed, cancelled"
                ),
            )
        })?,
    };
    let priority = match text_field("priority")? {
        None => Priority::default(),
        Some(raw) => Priority::parse(&raw).ok_or_else(|| {
            ParseError::at(
                line_of("priority"),
                format!("unknown priority {raw:?}; expected p0, p1, p2 or p3"),
            )
        })?,
    };
    let depends_on = match map.get("depends_on") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                match scalar(item) {
                    Some(Ok(s)) if !s.trim().is_empty() => ids.push(s.trim().to_owned()),
                    _ => {
                        return Err(ParseError::at(
                            line_of("depends_on"),
                            "`depends_on` must be a list of task ids",
                        ));
                    }
                }
            }
            ids
        }
        // A single id written without list brackets.
        Some(other) => match scalar(other) {
            Some(Ok(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
            Some(Ok(_)) => Vec::new(),
            _ => {
                return Err(ParseError::at(
                    line_of("depends_on"),
                    "`depends_on` must be a list of task ids",
                ));
            }
        },
    };
    let title = text_field("title")?
        .or_else(|| first_heading(body))
        .unwrap_or_else(|| id.clone());
    Ok(Some(TaskFields {
        title,
        status,
        priority,
        milestone: text_field("milestone")?,
        owner: text_field("owner")?,
        depends_on,
        created_at: time_field("created_at")?,
        started_at: time_field("started_at")?,
        completed_at: time_field("completed_at")?,
        completed_by: text_field("completed_by")?,
        id,
    }))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
