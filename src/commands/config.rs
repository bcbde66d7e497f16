//! `warden config [--json]`: the effective configuration, one leaf key a line, and where
//! each value came from (`config::provenance` decides; this file asks clap which flags and
//! variables it read, and prints).

use std::fmt::Write as _;

use clap::parser::ValueSource;
use serde::Serialize;

use super::output::{print, print_exact};
use crate::cli::Cli;
use crate::config::{Entry, LoadedConfig, OVERRIDE_KEYS, Source, provenance};
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;

/// The version of `warden config --json`'s shape (docs/json-outputs.md).
const CONFIG_FORMAT_VERSION: u32 = 1;

/// Values wider than this do not push the `#` column of every line to the right.
const ALIGN_VALUES_UP_TO: usize = 40;

#[derive(Serialize)]
struct Report<'a> {
    format_version: u32,
    /// The file read, if any, and how it was chosen.
    file: Option<FileInfo>,
    values: &'a [Entry],
}

#[derive(Serialize)]
struct FileInfo {
    path: String,
    /// `flag` (`--config`), `env` (`WARDEN_CONFIG`) or `found` (searched upwards).
    chosen_by: &'static str,
}

/// The flag or environment variable clap took an argument's value from, if either.
fn source_of(matches: &clap::ArgMatches, id: &str) -> Option<Source> {
    let command = <Cli as clap::CommandFactory>::command();
    let arg = command.get_arguments().find(|a| a.get_id() == id)?;
    match matches.value_source(id)? {
        ValueSource::CommandLine => Some(Source::Flag {
            name: format!("--{}", arg.get_long()?),
        }),
        ValueSource::EnvVariable => Some(Source::Env {
            name: arg.get_env()?.to_string_lossy().into_owned(),
        }),
        _ => None,
    }
}

/// A file source as `warden.toml:12` when the file is in the repository (the header names
/// it in full).
fn source_text(source: &Source, root: &std::path::Path) -> String {
    match source {
        Source::File { file, line } => match file.strip_prefix(root) {
            Ok(inside) => format!("{}:{line}", inside.display()),
            Err(_) => source.to_string(),
        },
        other => other.to_string(),
    }
}

fn render(report: &Report<'_>, root: &std::path::Path) -> String {
    let mut out = String::new();
    let _ = match &report.file {
        Some(f) => writeln!(
            out,
            "# config file: {} ({})",
            terminal_safe(&f.path),
            match f.chosen_by {
                "flag" => "from --config",
                "env" => "from WARDEN_CONFIG",
                _ => "found upwards from here",
            }
        ),
        None => writeln!(out, "# no config file: the defaults, and any flags"),
    };
    let rows: Vec<(String, String, String)> = report
        .values
        .iter()
        .map(|e| {
            // Values and paths come from the file and the environment: escaped.
            (
                terminal_safe(&e.key).into_owned(),
                terminal_safe(&e.value.to_string()).into_owned(),
                terminal_safe(&source_text(&e.source, root)).into_owned(),
            )
        })
        .collect();
    let key_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|r| r.1.chars().count())
        .filter(|&w| w <= ALIGN_VALUES_UP_TO)
        .max()
        .unwrap_or(0);
    for (key, value, source) in rows {
        let _ = writeln!(out, "{key:<key_width$} = {value:<value_width$}  # {source}");
    }
    out
}

pub(crate) fn run(
    loaded: &LoadedConfig,
    matches: &clap::ArgMatches,
    json: bool,
) -> Result<ExitCode, Error> {
    let text = match &loaded.file {
        Some(path) => Some(std::fs::read_to_string(path).map_err(Error::io("read", path))?),
        None => None,
    };
    let overridden: Vec<(&str, Source)> = OVERRIDE_KEYS
        .iter()
        .filter_map(|(id, key)| Some((*key, source_of(matches, id)?)))
        .collect();
    let values = provenance(
        &loaded.config,
        loaded.file.as_deref().zip(text.as_deref()),
        &overridden,
    )?;
    let file = loaded.file.as_ref().map(|p| FileInfo {
        path: p.display().to_string(),
        chosen_by: match source_of(matches, "config") {
            Some(Source::Flag { .. }) => "flag",
            Some(Source::Env { .. }) => "env",
            _ => "found",
        },
    });
    let report = Report {
        format_version: CONFIG_FORMAT_VERSION,
        file,
        values: &values,
    };
    if json {
        let mut text = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::Failed(format!("failed to encode the configuration: {e}")))?;
        text.push('\n');
        print_exact(&text)?;
    } else {
        print(&render(&report, &loaded.root))?;
    }
    Ok(ExitCode::Ok)
}
