//! `warden check [--json]`: validates the config and every task file, for CI and
//! pre-commit hooks. Problems are task files that cannot be read, missing dependencies,
//! dependency cycles, an unreadable register and a prompt template that does not render;
//! unknown config keys are warnings.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::output::{print, print_exact};
use crate::detect::SignalCode;
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;

#[derive(Debug, Serialize)]
struct Finding {
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    message: String,
}

#[derive(Debug, Serialize)]
struct Report {
    /// The version of this shape (docs/snapshot-schema.md).
    format_version: u32,
    ok: bool,
    config: Option<PathBuf>,
    files_seen: usize,
    tasks: usize,
    problems: Vec<Finding>,
    warnings: Vec<Finding>,
}

const PROBLEM_CODES: [SignalCode; 4] = [
    SignalCode::TaskInvalid,
    SignalCode::DependencyMissing,
    SignalCode::DependencyCycle,
    SignalCode::RegisterCorrupt,
];

pub(crate) fn run(mut tier1: Tier1, json: bool) -> Result<ExitCode, Error> {
    let pass = tier1.pass(crate::clock::now());
    let loaded = tier1.loaded();
    let warnings = loaded
        .unknown_keys
        .iter()
        .map(|key| Finding {
            code: "config_unknown_key",
            path: loaded.file.clone(),
            line: None,
            message: format!("unknown key `{key}` (ignored)"),
        })
        .collect();
    // A typo in escalation.codes would otherwise only show as an error on every pass.
    let policy_problem = crate::escalate::Policy::from_config(&loaded.config.escalation)
        .err()
        .map(|e| Finding {
            code: "config_invalid",
            path: loaded.file.clone(),
            line: None,
            message: e.to_string(),
        });
    // A broken prompt template fails every launch: shown here, before any dispatch.
    let template_problem = crate::supervisor::read_template(&loaded.root, &loaded.config)
        .and_then(|t| crate::dispatch::check_prompt(&t.text, &t.name))
        .err()
        .map(|e| Finding {
            code: "prompt_template_invalid",
            path: Some(e.name),
            line: e.line,
            message: e.message,
        });
    let problems: Vec<Finding> = pass
        .signals()
        .iter()
        .filter(|s| PROBLEM_CODES.contains(&s.code))
        .map(|s| Finding {
            code: s.code.as_str(),
            path: s.evidence.path.clone(),
            line: s.evidence.line,
            message: match s.code {
                // task_invalid messages already start with "path:line: ".
                SignalCode::TaskInvalid => s
                    .evidence
                    .detail
                    .clone()
                    .unwrap_or_else(|| s.message.clone()),
                _ => s.message.clone(),
            },
        })
        .chain(policy_problem)
        .chain(template_problem)
        .collect();
    let report = Report {
        format_version: 1,
        ok: problems.is_empty(),
        config: loaded.file.clone(),
        files_seen: pass.scan.files_seen,
        tasks: pass.scan.backlog.tasks.len(),
        problems,
        warnings,
    };
    if json {
        let mut text = serde_json::to_string_pretty(&report)
            .map_err(crate::snapshot::SnapshotError::Encode)?;
        text.push('\n');
        print_exact(&text)?;
    } else {
        print(&render(&report))?;
    }
    Ok(if report.ok {
        ExitCode::Ok
    } else {
        ExitCode::CheckFailed
    })
}

/// `path:line: `, the path escaped: a file name can hold any byte but `/` and NUL.
fn place(f: &Finding) -> String {
    match (&f.path, f.line) {
        (Some(p), Some(l)) => format!("{}:{l}: ", terminal_safe(&p.to_string_lossy())),
        (Some(p), None) => format!("{}: ", terminal_safe(&p.to_string_lossy())),
        _ => String::new(),
    }
}

fn render(r: &Report) -> String {
    let mut out = String::new();
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {}{}", place(w), terminal_safe(&w.message));
    }
    for p in &r.problems {
        let _ = writeln!(
            out,
            "error[{}]: {}{}",
            p.code,
            place(p),
            terminal_safe(&p.message)
        );
    }
    let config = r.config.as_ref().map_or_else(
        || "no warden.toml (defaults)".to_owned(),
        |p| terminal_safe(&p.to_string_lossy()).into_owned(),
    );
    let verdict = if r.ok {
        "ok".to_owned()
    } else {
        format!(
            "{} problem{}",
            r.problems.len(),
            if r.problems.len() == 1 { "" } else { "s" }
        )
    };
    let _ = writeln!(
        out,
        "checked {config}, {} markdown file{}, {} task{}: {verdict}",
        r.files_seen,
        if r.files_seen == 1 { "" } else { "s" },
        r.tasks,
        if r.tasks == 1 { "" } else { "s" }
    );
    out
}
