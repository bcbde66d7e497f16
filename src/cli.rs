//! The command line: raw flags only. `app.rs` turns them into a validated config.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};

use crate::config::{HumanDuration, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "warden",
    version,
    about = "A tmux-native supervisor for AI coding agents working a backlog of markdown tasks"
)]
pub(crate) struct Cli {
    /// Run as if started in this folder (which must exist: it is never created).
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR", value_parser = existing_folder)]
    pub(crate) directory: Option<PathBuf>,
    /// Use this config file instead of looking for warden.toml upwards.
    #[arg(long, global = true, value_name = "FILE", env = "WARDEN_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// More logging on stderr (-v info, -vv debug, -vvv trace). WARDEN_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    #[command(flatten)]
    pub(crate) overrides: OverrideArgs,
    /// None: `warden` alone prints a short overview.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Flags that override the config file; each also reads an environment variable.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct OverrideArgs {
    /// At most this many workers at once.
    #[arg(long, global = true, value_name = "N", env = "WARDEN_MAX_WORKERS")]
    pub(crate) max_workers: Option<u32>,
    /// Time between heartbeats, like 15s or 1m.
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        env = "WARDEN_HEARTBEAT_INTERVAL"
    )]
    pub(crate) interval: Option<HumanDuration>,
    /// Turn Tier 2 escalation on (or off with =false).
    #[arg(long, global = true, require_equals = true, env = "TASK_MANAGER_ESCALATION", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub(crate) escalation: Option<bool>,
    /// Decide escalations but spawn nothing.
    #[arg(long, global = true, require_equals = true, env = "WARDEN_DRY_RUN", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub(crate) dry_run: Option<bool>,
    /// Set status: in_progress and started_at in a task file when dispatching it.
    #[arg(long, global = true, require_equals = true, env = "TASK_MANAGER_MARK_STARTED_ON_DISPATCH", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new(), value_name = "BOOL")]
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

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run Tier 1: read tasks, detect signals, write the snapshot and print the heartbeat.
    Heartbeat {
        /// One pass, then exit (for cron and scripts). Without it, repeat every interval.
        #[arg(long)]
        once: bool,
        /// Print the snapshot JSON instead of the text heartbeat.
        #[arg(long)]
        json: bool,
        /// Do not write snapshot files; only print.
        #[arg(long)]
        no_write: bool,
        /// Also dispatch ready tasks into the tmux session (one pass, for cron).
        #[arg(long, requires = "once")]
        dispatch_ready: bool,
    },
    /// Set a repository up for warden: warden.toml, scripts/dispatch, .gitignore, justfile.
    Init {
        /// Replace warden.toml and scripts/dispatch if they exist.
        #[arg(long)]
        force: bool,
        /// The agent to wire: its dispatch script, hooks and manager commands.
        #[arg(long, value_enum, default_value = "generic")]
        agent: crate::commands::init::InitAgent,
        /// Make a justfile with a `manage` recipe when there is none (one that exists
        /// gets the recipe anyway).
        #[arg(long)]
        justfile: bool,
    },
    /// Remove the worktrees of completed and cancelled tasks (after `[workspace]
    /// before_remove`); one with uncommitted changes is kept unless --force.
    Clean {
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), generated from this command line.
    #[command(hide = true)]
    Man,
    /// Check tmux, git, the config, the dispatch command and warden's state; say how to fix.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Watch warden do its whole job on a throwaway repository, in about a minute.
    Demo {
        /// Leave the demo's session running and say how to attach.
        #[arg(long)]
        keep: bool,
        /// Spawn the fake manager for real instead of dry-run.
        #[arg(long)]
        live_escalation: bool,
    },
    /// Start the supervised tmux session (or reuse the running one).
    Up {
        /// Attach this terminal to the session afterwards.
        #[arg(long)]
        attach: bool,
        /// The window layout (see `warden layouts`).
        #[arg(long, default_value = "default")]
        layout: String,
        /// Start without running doctor's checks first.
        #[arg(long)]
        no_preflight: bool,
    },
    /// Stop the supervisor; with --kill-workers also every worker and the session.
    Down {
        #[arg(long)]
        kill_workers: bool,
        /// How long workers get after SIGTERM before SIGKILL.
        #[arg(long, default_value = "10s")]
        timeout: HumanDuration,
    },
    /// Attach the terminal to the session at a task's worker (or the manager window).
    Attach {
        /// A task id, `manager`, or nothing for the supervisor window.
        target: Option<String>,
    },
    /// Dispatch one task now, whatever the queue and the retry policy say.
    Dispatch { task: String },
    /// Clear the retry policy's hold on a task (after it gave up or was killed).
    Retry { task: String },
    /// Stop a task's worker: SIGTERM to its process group, SIGKILL after the timeout.
    Kill {
        task: String,
        #[arg(long, default_value = "10s")]
        timeout: HumanDuration,
    },
    /// Print a task's dispatch log with terminal escapes stripped.
    Logs {
        task: String,
        /// Keep printing as the log grows (Ctrl-C to stop).
        #[arg(short, long)]
        follow: bool,
        /// Print the bytes as written, escapes and all.
        #[arg(long)]
        raw: bool,
    },
    /// Evaluate Tier 2 now (hold times skipped, guards kept) and print its decisions.
    Escalate {
        /// Decide and build the pack, spawn nothing (uses the dry-run ledger).
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge a firing alert: no repeats or step-ups until the time is up.
    Ack {
        key: String,
        #[arg(long = "for", value_name = "DURATION")]
        duration: Option<HumanDuration>,
    },
    /// Silence an alert key: no escalation for it until the time is up.
    Silence {
        key: String,
        #[arg(long = "for", value_name = "DURATION")]
        duration: HumanDuration,
    },
    /// Mark an alert resolved (it fires again as a new episode if the condition persists).
    Resolve { key: String },
    /// Show Tier 2's ledger: alerts, managers, recent decisions.
    Escalations {
        #[arg(long)]
        json: bool,
    },
    /// Build a context pack for the alerts firing now and print its prompt file.
    Pack,
    /// List the window layouts (shipped and in .warden/layouts/).
    Layouts {
        #[arg(long)]
        json: bool,
    },
    /// Run the supervisor loop in this terminal (what `warden up` runs in its window).
    Supervise {
        #[arg(long, default_value = "default")]
        layout: String,
    },
    /// Show the latest snapshot.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// List tasks, or only the dispatch queue.
    Tasks {
        /// Only dispatchable tasks, in dispatch order.
        #[arg(long)]
        queue: bool,
        #[arg(long)]
        json: bool,
    },
    /// What the agents spent against `[budget]`; `reset` starts the repository's rolling
    /// hour and day afresh (`warden retry TASK` resets a task's own).
    Budget {
        #[command(subcommand)]
        action: Option<BudgetAction>,
    },
    /// The effective configuration, and where each value came from (default, file:line,
    /// environment variable, flag).
    Config {
        #[arg(long)]
        json: bool,
    },
    /// Ask the running supervisor to read warden.toml again (SIGHUP; an invalid file keeps
    /// the old config).
    Reload,
    /// Every dispatch attempt, newest first: how it ended and what it spent.
    Jobs {
        /// Only this task's jobs.
        task: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Validate the config and every task file; non-zero exit on problems.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// The wrapper each worker pane runs (internal).
    #[command(hide = true)]
    RunWorker {
        #[arg(long)]
        job: String,
        /// Where to write the job's record.
        #[arg(long)]
        record: PathBuf,
        /// The supervisor's datagram socket.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Start only once this file exists.
        #[arg(long)]
        go: Option<PathBuf>,
        /// `NAME=VALUE` for the child's environment (tmux replaces a pane's PATH with its
        /// client's, so PATH must be set here).
        #[arg(long = "env", value_name = "NAME=VALUE")]
        env: Vec<String>,
        /// The workspace hooks to run around the agent (a JSON plan).
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// The dispatch argv.
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
    /// Measure exit-to-record latency against 100 ms polling (a benchmark, not a test).
    #[command(hide = true)]
    BenchExits {
        #[arg(long, default_value_t = 200)]
        count: usize,
        #[arg(long, default_value_t = 10)]
        concurrency: usize,
    },
    /// Measure the wall time of one `warden hook` call (a benchmark, not a test).
    #[command(hide = true)]
    BenchHook {
        /// Calls timed in each of the three ways.
        #[arg(long, default_value_t = 500)]
        calls: usize,
    },
    /// Measure reading a Claude Code transcript pass by pass (a benchmark, not a test).
    #[command(hide = true)]
    BenchUsage {
        /// The size of the generated transcript, in MiB.
        #[arg(long, default_value_t = 50)]
        mb: u64,
        /// The most a pass reads, in MiB.
        #[arg(long, default_value_t = 8)]
        pass_mib: u64,
    },
    /// Measure heartbeat cost over a generated backlog (a benchmark, not a test).
    #[command(hide = true)]
    BenchHeartbeat {
        /// How many task files to generate.
        #[arg(long, default_value_t = 10_000)]
        tasks: usize,
        /// Warm passes to time after the cold one.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Generate into this folder (default: a fresh temporary folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// `warden budget`'s actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub(crate) enum BudgetAction {
    /// Start the repository's rolling hour and day afresh from now.
    Reset,
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
