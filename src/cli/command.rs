//! The subcommands and their own flags. A doc comment's first paragraph is the `-h` line;
//! the whole comment is the `--help` text, followed by the command's examples
//! (`examples.rs`). How they are grouped in the help is in `groups.rs`.

use std::path::PathBuf;

use clap::Subcommand;

use super::examples as ex;
use crate::config::HumanDuration;

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run Tier 1: read the tasks, detect signals, write the snapshot, print the heartbeat.
    ///
    /// Without --once it repeats every heartbeat interval (Ctrl-C to stop); the supervisor
    /// does the same on its own. The snapshot is `latest.snapshot.json` in the snapshot
    /// folder (see docs/snapshot-schema.md).
    #[command(after_long_help = ex::HEARTBEAT)]
    Heartbeat {
        /// One pass, then exit (for cron and scripts). Without it, repeat every interval.
        #[arg(long)]
        once: bool,
        /// Print the snapshot JSON instead of the text heartbeat.
        #[arg(long)]
        json: bool,
        /// Write no snapshot file; only print.
        #[arg(long)]
        no_write: bool,
        /// Also dispatch ready tasks into the tmux session (one supervised pass, for cron).
        #[arg(long, requires = "once")]
        dispatch_ready: bool,
    },
    /// Write warden.toml and scripts/dispatch for an agent.
    ///
    /// Also adds what warden writes to .gitignore, and a `manage` recipe to the justfile.
    /// An existing file is never overwritten without --force; .gitignore and justfile are
    /// only appended to, with what they lack.
    #[command(after_long_help = ex::INIT)]
    Init {
        /// Replace warden.toml and scripts/dispatch if they exist.
        #[arg(long)]
        force: bool,
        /// The agent to wire: its dispatch script, its hooks and the manager commands.
        #[arg(long, value_enum, default_value = "generic", value_name = "AGENT")]
        agent: crate::commands::init::InitAgent,
        /// Make a justfile with a `manage` recipe when there is none (an existing one gets
        /// the recipe anyway).
        #[arg(long)]
        justfile: bool,
    },
    /// Remove the worktrees of completed and cancelled tasks.
    ///
    /// Each runs `[workspace] before_remove` first. A worktree with uncommitted changes is
    /// kept unless --force; one whose task has a live job is never touched.
    Clean {
        /// Remove worktrees with uncommitted changes too.
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script.
    #[command(after_long_help = ex::COMPLETIONS)]
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command line.
    #[command(hide = true)]
    Man,
    /// Is everything in place? Each problem with its fix.
    ///
    /// It checks tmux, git, the config, the dispatch command, the agents' hooks and
    /// warden's state folder. Each finding says what is wrong and how to fix it; any failure makes the exit code 3.
    #[command(after_long_help = ex::DOCTOR)]
    Doctor {
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Watch warden work a throwaway repository.
    ///
    /// In about a minute: it makes a git repository with ten tasks and a fake agent, starts a private session
    /// with escalation in dry-run, prints what happens, then removes everything it made.
    Demo {
        /// Leave the demo's session running and say how to attach.
        #[arg(long)]
        keep: bool,
        /// Spawn the fake manager for real instead of in dry-run.
        #[arg(long)]
        live_escalation: bool,
    },
    /// Start the session, or join the running one.
    ///
    /// The supervisor runs in the session's first window and dispatches ready tasks, each
    /// into a pane of its own. A second `warden up` finds it running and says so.
    #[command(after_long_help = ex::UP)]
    Up {
        /// Attach this terminal to the session afterwards (C-b d detaches).
        #[arg(long)]
        attach: bool,
        /// The window layout (see `warden layouts`).
        #[arg(long, default_value = "default", value_name = "NAME")]
        layout: String,
        /// Start without running doctor's checks first (up refuses when one fails).
        #[arg(long)]
        no_preflight: bool,
    },
    /// Stop the supervisor, and the workers if asked.
    ///
    /// The workers keep running unless --kill-workers. A supervisor that does not answer is stopped by the pid in its lock: SIGTERM, then
    /// SIGKILL after the timeout.
    #[command(after_long_help = ex::DOWN)]
    Down {
        /// Also stop every worker (each its whole process tree) and end the session.
        #[arg(long)]
        kill_workers: bool,
        /// How long a process gets after SIGTERM before SIGKILL.
        #[arg(long, default_value = "10s", value_name = "DURATION")]
        timeout: HumanDuration,
    },
    /// Jump to a worker's pane (C-b d detaches).
    ///
    /// To a task's worker pane, to the manager window, or to the supervisor window.
    #[command(after_long_help = ex::ATTACH)]
    Attach {
        /// A task id, `manager`, or nothing for the supervisor window.
        #[arg(value_name = "TASK")]
        target: Option<String>,
    },
    /// Dispatch one task now, whatever the queue and the retry policy say.
    #[command(after_long_help = ex::DISPATCH)]
    Dispatch {
        /// The task's id (see `warden tasks`).
        task: String,
    },
    /// Clear the retry policy's hold on a task (after it gave up or was killed).
    ///
    /// The task's own budget starts afresh too.
    Retry {
        /// The task's id.
        task: String,
    },
    /// Stop a task's worker: SIGTERM to its process group, SIGKILL after the timeout.
    Kill {
        /// The task's id.
        task: String,
        /// How long the worker gets after SIGTERM before SIGKILL.
        #[arg(long, default_value = "10s", value_name = "DURATION")]
        timeout: HumanDuration,
    },
    /// A task's dispatch log, as its terminal showed it.
    ///
    /// Every attempt of the task is in one log, each starting with a header line.
    #[command(after_long_help = ex::LOGS)]
    Logs {
        /// The task's id.
        task: String,
        /// Keep printing as the log grows (Ctrl-C to stop).
        #[arg(short, long)]
        follow: bool,
        /// Print the bytes as written, terminal escapes and all.
        #[arg(long)]
        raw: bool,
    },
    /// Evaluate Tier 2 now and print its decisions (hold times skipped, guards kept).
    Escalate {
        /// Decide and build the pack, but spawn nothing (uses the dry-run ledger).
        #[arg(long)]
        dry_run: bool,
        /// Print the decisions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge a firing alert: no repeats or step-ups until the time is up.
    #[command(after_long_help = ex::ACK)]
    Ack {
        /// The alert's key (see `warden escalations`).
        key: String,
        /// How long the acknowledgement lasts (default: `escalation.ack_for`).
        #[arg(long = "for", value_name = "DURATION")]
        duration: Option<HumanDuration>,
    },
    /// Silence an alert key: no escalation for it until the time is up.
    Silence {
        /// The alert's key; it need not be firing yet.
        key: String,
        /// How long the silence lasts.
        #[arg(long = "for", value_name = "DURATION")]
        duration: HumanDuration,
    },
    /// Mark an alert resolved (it fires again as a new episode if its condition persists).
    Resolve {
        /// The alert's key.
        key: String,
    },
    /// Show Tier 2's ledger: alerts, managers, recent decisions.
    #[command(after_long_help = ex::ESCALATIONS)]
    Escalations {
        /// Print the ledgers as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build a context pack for the alerts firing now and print its prompt file.
    Pack,
    /// List the window layouts: the shipped ones and those in .warden/layouts/.
    Layouts {
        /// Print the layouts as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the supervisor loop in this terminal (what `warden up` runs in its window).
    Supervise {
        /// The window layout (see `warden layouts`).
        #[arg(long, default_value = "default", value_name = "NAME")]
        layout: String,
    },
    /// The live dashboard: workers, what needs you, the queue, Tier 2.
    ///
    /// Talks to the running supervisor over its control socket and redraws the moment it
    /// publishes; ages tick every second. Keys: ↑/↓ or j/k select (or click), Enter shows the
    /// worker's window, l its log in $PAGER, K kills it (asks first), r retry, d dispatch now,
    /// a ack, s silence for an hour, ? help, q quit. A pipe, TERM=dumb or NO_COLOR get the
    /// plain heartbeat instead, printed at each publish.
    Top {
        /// Print one frame as plain text and exit.
        #[arg(long)]
        once: bool,
    },
    /// What runs, what waits, what needs you.
    ///
    /// The latest snapshot as the text heartbeat. It asks the running supervisor for a fresh snapshot, else reads the latest one
    /// written, and says when that one is stale.
    #[command(after_long_help = ex::STATUS)]
    Status {
        /// Print the snapshot JSON instead of the text.
        #[arg(long)]
        json: bool,
    },
    /// Every task, or the dispatch queue in order.
    #[command(after_long_help = ex::TASKS)]
    Tasks {
        /// Only dispatchable tasks, in dispatch order.
        #[arg(long)]
        queue: bool,
        /// Print the tasks as JSON.
        #[arg(long)]
        json: bool,
    },
    /// What the agents spent against `[budget]`; `reset` starts the hour and day afresh.
    ///
    /// `reset` starts the repository's rolling hour and day afresh; `warden retry TASK`
    /// resets a task's own budget.
    #[command(disable_help_subcommand = true)]
    Budget {
        #[command(subcommand)]
        action: Option<BudgetAction>,
    },
    /// The effective configuration, and where each value came from.
    ///
    /// Each key with its value and its source: the default, warden.toml:LINE, an environment
    /// variable or a flag. Optional keys without a value are left out.
    Config {
        /// Print the values and their sources as JSON (format_version 1).
        #[arg(long)]
        json: bool,
    },
    /// Make the running supervisor read warden.toml again (an invalid file keeps the old).
    ///
    /// It sends SIGHUP to the repository's supervisor.
    Reload,
    /// Every attempt: how it ended, what it spent.
    ///
    /// Every dispatch attempt in the register, newest first, with its end and what it
    /// spent (from its agent's usage).
    #[command(after_long_help = ex::JOBS)]
    Jobs {
        /// Only this task's jobs.
        task: Option<String>,
        /// Print the jobs as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate the config and every task file.
    ///
    /// For CI and pre-commit hooks: exit 3 on problems (unknown config keys are only
    /// warnings).
    #[command(after_long_help = ex::CHECK)]
    Check {
        /// Print the problems as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The wrapper each worker pane runs (internal).
    #[command(hide = true)]
    RunWorker {
        /// The job's id.
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
        /// How many workers to time.
        #[arg(long, default_value_t = 200)]
        count: usize,
        /// How many run at once.
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
