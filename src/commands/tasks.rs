//! `warden tasks [--queue] [--json]`.

use std::fmt::Write as _;

use serde::Serialize;

use super::output::{print, print_exact, print_painted};
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;
use crate::paint::{Paint, status_style};
use crate::snapshot::{SNAPSHOT_FORMAT_VERSION, TaskEntry};

#[derive(Serialize)]
struct TaskList<'a> {
    format_version: u32,
    tasks: Vec<&'a TaskEntry>,
}

pub(crate) fn run(
    mut tier1: Tier1,
    queue: bool,
    json: bool,
    paint: Paint,
) -> Result<ExitCode, Error> {
    let pass = tier1.pass(crate::clock::now());
    let snapshot = &pass.snapshot;
    let tasks: Vec<&TaskEntry> = if queue {
        snapshot
            .queue
            .iter()
            .filter_map(|id| snapshot.tasks.iter().find(|t| &t.id == id))
            .collect()
    } else {
        snapshot.tasks.iter().collect()
    };
    if json {
        let list = TaskList {
            format_version: SNAPSHOT_FORMAT_VERSION,
            tasks,
        };
        let mut text =
            serde_json::to_string_pretty(&list).map_err(crate::snapshot::SnapshotError::Encode)?;
        text.push('\n');
        print_exact(&text)?;
        return Ok(ExitCode::Ok);
    }
    let mut out = String::new();
    if tasks.is_empty() {
        out.push_str(if queue {
            "the queue is empty\n"
        } else {
            "no tasks\n"
        });
        print(&out)?;
        return Ok(ExitCode::Ok);
    }
    // Ids and titles come from task files: escaped, so a newline cannot break the table
    // and an escape sequence cannot reach the terminal.
    let id_w = tasks
        .iter()
        .map(|t| terminal_safe(&t.id).chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let lead = if queue { "  #  " } else { "" };
    let _ = writeln!(out, "{lead}{:<id_w$}  {:<11}  PRI  TITLE", "ID", "STATUS");
    // Padded before painted: the colour codes do not count towards a column's width.
    for t in tasks {
        let pos = match (queue, t.queue_position) {
            (true, Some(p)) => format!("{:>3}  ", p + 1),
            _ => String::new(),
        };
        let mut title = t.title.clone();
        if !t.waiting_on.is_empty() {
            let _ = write!(title, "  [waits on {}]", t.waiting_on.join(", "));
        }
        if let Some(hold) = &t.hold {
            let _ = write!(title, "  [{hold}]");
        } else if let Some(worker) = &t.worker {
            let _ = write!(title, "  [running: {worker}]");
        }
        if !t.needs_attention.is_empty() {
            let _ = write!(title, "  [{}]", t.needs_attention.join(", "));
        }
        let _ = writeln!(
            out,
            "{pos}{:<id_w$}  {}  {:<3}  {}",
            terminal_safe(&t.id),
            paint.cell(status_style(t.status), t.status.as_str(), 11),
            t.priority.as_str(),
            terminal_safe(&title)
        );
    }
    print_painted(&out)?;
    Ok(ExitCode::Ok)
}
