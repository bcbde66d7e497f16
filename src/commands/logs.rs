//! `warden logs TASK [-f] [--raw]` and `warden layouts`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use super::output::{print, print_exact};
use crate::config::LoadedConfig;
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::layout::list_layouts;
use crate::logs::strip_escapes;
use crate::supervisor::RuntimePaths;

fn write_out(bytes: &[u8], raw: bool) -> Result<(), Error> {
    let text = if raw {
        bytes.to_vec()
    } else {
        strip_escapes(bytes)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(&text).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}

/// Why a task has no log: it was never dispatched, or there is no such task (with the
/// ids close to it).
fn no_log(loaded: &LoadedConfig, task: &str, path: &std::path::Path) -> String {
    let mut tier1 = crate::heartbeat::Tier1::new(loaded.clone());
    let pass = tier1.pass(crate::clock::now());
    if pass.task(task).is_some() {
        return format!(
            "{task:?} was never dispatched: it has no log yet ({})",
            path.display()
        );
    }
    let close = crate::task::close_ids(task, pass.plan.index.keys().map(String::as_str));
    format!("no task {task:?}{}", crate::task::did_you_mean(&close))
}

pub(crate) fn logs(
    loaded: &LoadedConfig,
    task: &str,
    follow: bool,
    raw: bool,
) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let path = paths.log_for(task);
    let opened = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            what: no_log(loaded, task, &path),
        },
        _ => Error::Io {
            what: "open log",
            path: path.clone(),
            source: e,
        },
    };
    if !follow && !raw {
        // As a person saw it: cursor moves, redraws and spinners replayed by a terminal.
        let safe = crate::render::log_as_seen(&path).map_err(opened)?;
        let mut out = std::io::stdout().lock();
        return match out.write_all(safe.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
            _ => Ok(ExitCode::Ok),
        };
    }
    let mut file = std::fs::File::open(&path).map_err(opened)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(Error::io("read log", &path))?;
    // Escapes are stripped a line at a time, so a sequence split by a read is never cut.
    let cut = if follow {
        bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
    } else {
        bytes.len()
    };
    write_out(&bytes[..cut], raw)?;
    if !follow {
        return Ok(ExitCode::Ok);
    }
    let mut pending = bytes[cut..].to_vec();
    let mut pos = file.stream_position().unwrap_or(0);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(pos);
        if len < pos {
            pos = 0; // truncated or replaced
        }
        if len == pos {
            continue;
        }
        let _ = file.seek(SeekFrom::Start(pos));
        let mut chunk = Vec::new();
        let _ = file.read_to_end(&mut chunk);
        pos += chunk.len() as u64;
        pending.extend_from_slice(&chunk);
        if let Some(i) = pending.iter().rposition(|&b| b == b'\n') {
            let rest = pending.split_off(i + 1);
            write_out(&pending, raw)?;
            pending = rest;
        }
    }
}

/// The version of `warden layouts --json`'s shape (docs/json-outputs.md).
const LAYOUTS_FORMAT_VERSION: u32 = 1;

pub(crate) fn layouts(loaded: &LoadedConfig, json: bool) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let entries = list_layouts(&paths.user_layouts)?;
    if json {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| match &e.layout {
                Ok(l) => serde_json::json!({
                    "name": e.name,
                    "description": l.description,
                    "workers": if l.workers == crate::layout::WorkerPlacement::Windows { "windows" } else { "tiled" },
                    "panes_per_window": l.panes_per_window,
                    "supervisor_window": l.supervisor_window,
                    "manager_window": l.manager_window,
                    "source": l.source.to_string(),
                }),
                Err(err) => serde_json::json!({ "name": e.name, "error": err.to_string() }),
            })
            .collect();
        let list = serde_json::json!({
            "format_version": LAYOUTS_FORMAT_VERSION,
            "layouts": rows,
        });
        print_exact(&format!(
            "{}\n",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        ))?;
        return Ok(ExitCode::Ok);
    }
    let mut out = String::new();
    for entry in entries {
        match entry.layout {
            // A user's layout file names both the layout and its description.
            Ok(l) => out.push_str(&format!(
                "{:<12} {}  ({})\n",
                terminal_safe(&entry.name),
                terminal_safe(&l.description),
                terminal_safe(&l.source.to_string())
            )),
            Err(e) => out.push_str(&format!(
                "{:<12} unusable: {}\n",
                terminal_safe(&entry.name),
                terminal_safe(&e.to_string())
            )),
        }
    }
    print(&out)?;
    Ok(ExitCode::Ok)
}
