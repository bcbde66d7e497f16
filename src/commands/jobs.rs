//! `warden jobs [TASK] [--json]`: every dispatch attempt in the register, newest first,
//! with how it ended and what it spent (`.warden/jobs/<job>.usage.json`).

use std::fmt::Write as _;

use serde::Serialize;

use super::output::{print, print_exact, print_painted};
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;
use crate::paint::{Paint, job_end_style};
use crate::register::JobRecord;
use crate::usage::Totals;

#[derive(Serialize)]
struct JobLine<'a> {
    #[serde(flatten)]
    job: &'a JobRecord,
    usage: Option<Totals>,
}

#[derive(Serialize)]
struct JobList<'a> {
    format_version: u32,
    jobs: Vec<JobLine<'a>>,
}

fn spent(u: Option<&Totals>) -> String {
    match u {
        None => "-".to_owned(),
        Some(t) => match t.usd {
            Some(usd) => format!("{} tok ${usd:.4}", t.tokens.total()),
            None => format!("{} tok", t.tokens.total()),
        },
    }
}

pub(crate) fn run(
    tier1: &Tier1,
    task: Option<&str>,
    json: bool,
    paint: Paint,
) -> Result<ExitCode, Error> {
    let register = crate::register::load_register(&tier1.register_path())?;
    let loaded = tier1.loaded();
    let jobs_dir = loaded.resolve(&loaded.config.paths.state).join("jobs");
    let usage = crate::usage::read_all_usage(&jobs_dir, &register);
    let mut jobs: Vec<&JobRecord> = register
        .jobs
        .iter()
        .filter(|j| task.is_none_or(|t| j.task == t))
        .collect();
    jobs.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.job.cmp(&a.job)));
    if json {
        let list = JobList {
            format_version: crate::snapshot::SNAPSHOT_FORMAT_VERSION,
            jobs: jobs
                .iter()
                .map(|j| JobLine {
                    job: j,
                    usage: usage.get(&j.job).map(|u| u.totals),
                })
                .collect(),
        };
        let mut text =
            serde_json::to_string_pretty(&list).map_err(crate::snapshot::SnapshotError::Encode)?;
        text.push('\n');
        print_exact(&text)?;
        return Ok(ExitCode::Ok);
    }
    if jobs.is_empty() {
        print("no jobs\n")?;
        return Ok(ExitCode::Ok);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<9} {:<20} {:>3} {:<20} {:<24} spent",
        "job", "task", "try", "started", "end"
    );
    for j in jobs {
        let end = j
            .end
            .as_ref()
            .map_or_else(|| "running".to_owned(), ToString::to_string);
        // Task ids and ends quote task files and agents: escaped for the terminal.
        let _ = writeln!(
            out,
            "{:<9} {:<20} {:>3} {:<20} {} {}",
            j.job,
            terminal_safe(&j.task),
            j.attempt,
            j.started_at.format("%Y-%m-%d %H:%M:%S"),
            paint.cell(job_end_style(j.end.as_ref()), &terminal_safe(&end), 24),
            spent(usage.get(&j.job).map(|u| &u.totals))
        );
    }
    print_painted(&out)?;
    Ok(ExitCode::Ok)
}
