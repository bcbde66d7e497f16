//! The top-level flags: where to run, which config, how loud, which colour, and the config
//! overrides. Each subcommand's own flags are in `command.rs`.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser};

use super::command::Command;
use crate::config::{HumanDuration, Overrides};
use crate::paint::ColorChoice;

/// Where the global flags are listed in a command's help, apart from its own.
const HEADING: &str = "Global options";

#[derive(Debug, Parser)]
#[command(
    name = "warden",
    version,
    about = "A tmux-native supervisor for AI coding agents working a backlog of markdown tasks",
    long_about = "A tmux-native supervisor for AI coding agents working a backlog of markdown \
                  tasks.\n\nwarden reads task files (tasks/**/*.md), dispatches ready ones to \
                  agents in tmux panes, watches each worker (its exit, its silence, its hooks) and \
                  writes a snapshot with a heartbeat. When things go wrong for long enough, Tier 2 \
                  escalates to a manager agent with a context pack.",
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// Run as if started in DIR, which must exist (it is never created).
    #[arg(short = 'C', long = "directory", global = true, help_heading = HEADING, value_name = "DIR", value_parser = existing_folder)]
    pub(crate) directory: Option<PathBuf>,
    /// Use FILE as the config instead of the warden.toml found upwards from the folder.
    #[arg(long, global = true, help_heading = HEADING, value_name = "FILE", env = "WARDEN_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// More logging on stderr: -v info, -vv debug, -vvv trace (WARDEN_LOG overrides).
    #[arg(short, long, global = true, help_heading = HEADING, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    #[command(flatten)]
    pub(crate) overrides: OverrideArgs,
    /// None: `warden` alone prints a short overview.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// The flags a supervisor started by `warden up` inherits: the config overrides (each also
/// read from an environment variable) and the colour choice.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct OverrideArgs {
    /// Colour reports and logs: auto (on a terminal, without NO_COLOR or TERM=dumb), always
    /// or never.
    #[arg(long, global = true, help_heading = HEADING, value_enum, value_name = "WHEN")]
    pub(crate) color: Option<ColorChoice>,
    /// Run at most N workers at once (overrides `dispatch.max_workers`).
    #[arg(long, global = true, help_heading = HEADING, value_name = "N", env = "WARDEN_MAX_WORKERS")]
    pub(crate) max_workers: Option<u32>,
    /// Time between heartbeats, like 15s or 1m (overrides `heartbeat.interval`).
    #[arg(
        long,
        global = true, help_heading = HEADING,
        value_name = "DURATION",
        env = "WARDEN_HEARTBEAT_INTERVAL"
    )]
    pub(crate) interval: Option<HumanDuration>,
    /// Turn Tier 2 escalation on, or off with =false (overrides `escalation.enabled`).
    #[arg(long, global = true, help_heading = HEADING, require_equals = true, env = "TASK_MANAGER_ESCALATION", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub(crate) escalation: Option<bool>,
    /// Decide escalations but spawn no manager (overrides `escalation.dry_run`).
    #[arg(long, global = true, help_heading = HEADING, require_equals = true, env = "WARDEN_DRY_RUN", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub(crate) dry_run: Option<bool>,
    /// Set `status: in_progress` and `started_at` in a task file when dispatching it
    /// (overrides `dispatch.mark_started_on_dispatch`).
    #[arg(long, global = true, help_heading = HEADING, require_equals = true, env = "TASK_MANAGER_MARK_STARTED_ON_DISPATCH", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub(crate) mark_started_on_dispatch: Option<bool>,
}

impl OverrideArgs {
    pub(crate) fn to_overrides(&self) -> Overrides {
        Overrides {
            max_workers: self.max_workers,
            interval: self.interval,
            escalation: self.escalation,
            dry_run: self.dry_run,
            mark_started_on_dispatch: self.mark_started_on_dispatch,
        }
    }
}

/// `-C DIR`: a folder that exists. A typo must not become a new repository.
fn existing_folder(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => Ok(path),
        Ok(_) => Err("not a folder".to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("no such folder".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}
