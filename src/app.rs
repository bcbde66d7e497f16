//! From parsed flags to a finished command: logging, config, dispatch to the subcommand.

use std::path::PathBuf;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::commands::tier2::AlertVerb;
use crate::config::{LoadedConfig, load};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;
use crate::paint::{ColorEnv, Paint, resolve};
use crate::supervisor::Request;

/// Logging on stderr, coloured when `ansi` (the `--color` choice for stderr).
fn init_logging(verbose: u8, ansi: bool) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARDEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .without_time()
        // A log line that cannot be written (the supervisor's terminal died with its tmux
        // server) is dropped; reporting it would write to the same dead stderr and panic.
        .log_internal_errors(false)
        .try_init();
}

/// Loads the config with the flag overrides. Unknown keys are logged unless the command
/// reports them itself (`check`).
fn load_config(cli: &Cli, log_unknown: bool) -> Result<LoadedConfig, Error> {
    let start = cli.directory.clone().unwrap_or_else(|| PathBuf::from("."));
    let loaded = load(&start, cli.config.as_deref(), &cli.overrides.to_overrides())?;
    if log_unknown && let Some(file) = &loaded.file {
        for key in &loaded.unknown_keys {
            tracing::warn!("unknown key `{key}` in {} (ignored)", file.display());
        }
    }
    Ok(loaded)
}

fn alert(
    cli: &Cli,
    key: &str,
    verb: AlertVerb,
    duration: Option<crate::config::HumanDuration>,
) -> Result<ExitCode, Error> {
    let loaded = load_config(cli, true)?;
    let op = commands::tier2::alert_op_for(&loaded, verb, duration);
    commands::tier2::alert_op(&loaded, key, op)
}

/// Runs the command line.
pub(crate) fn run(cli: &Cli, matches: &clap::ArgMatches) -> Result<ExitCode, Error> {
    // `--color`, NO_COLOR, TERM and whether each stream is a terminal, decided here once.
    let choice = cli.overrides.color.unwrap_or_default();
    let env = ColorEnv::from_process();
    let colour = |is_terminal: bool| resolve(choice, is_terminal, env);
    // The supervisor's dashboard sends the log to `.warden/supervisor.log`: no colour codes
    // in a file.
    let to_file = matches!(cli.command, Some(Command::Supervise { .. }))
        && crate::dashboard::enabled(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    init_logging(
        cli.verbose,
        !to_file && colour(std::io::IsTerminal::is_terminal(&std::io::stderr())),
    );
    let paint = Paint::new(colour(std::io::IsTerminal::is_terminal(&std::io::stdout())));
    let Some(command) = &cli.command else {
        return commands::print_bytes(crate::cli::overview(&crate::cli::command()).as_bytes());
    };
    match command {
        Command::Heartbeat {
            once,
            json,
            no_write,
            dispatch_ready,
        } => {
            let loaded = load_config(cli, true)?;
            if *dispatch_ready {
                commands::session::dispatch_once(loaded, *json, &cli.overrides, paint)
            } else {
                let tier1 = if *once {
                    Tier1::new(loaded)
                } else {
                    Tier1::new(loaded).watching()
                };
                commands::heartbeat::run(tier1, *once, *json, *no_write, paint)
            }
        }
        Command::Completions { shell } => {
            let mut cmd = crate::cli::command();
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "warden", &mut out);
            commands::print_bytes(&out)
        }
        Command::Man => {
            let out = crate::cli::render_man(crate::cli::command()).map_err(Error::Stdout)?;
            commands::print_bytes(&out)
        }
        Command::Config { json } => commands::config::run(&load_config(cli, true)?, matches, *json),
        Command::Doctor { json } => commands::doctor::run(&load_config(cli, false)?, *json),
        Command::Init {
            force,
            agent,
            justfile,
        } => {
            let start = cli.directory.clone().unwrap_or_else(|| PathBuf::from("."));
            let root = start.canonicalize().map_err(Error::io("open", &start))?;
            commands::init::run(&root, *force, *agent, *justfile)
        }
        Command::Demo {
            keep,
            live_escalation,
        } => commands::demo::run(*keep, *live_escalation),
        Command::Up {
            attach,
            layout,
            no_preflight,
        } => commands::session::up(
            load_config(cli, true)?,
            *attach,
            layout,
            &cli.overrides,
            !*no_preflight,
        ),
        Command::Down {
            kill_workers,
            timeout,
        } => commands::down::down(&load_config(cli, true)?, *kill_workers, *timeout),
        Command::Attach { target } => {
            commands::attach::attach(&load_config(cli, true)?, target.as_deref())
        }
        Command::Supervise { layout } => {
            commands::session::supervise(load_config(cli, true)?, layout, &cli.overrides, paint)
        }
        Command::Dispatch { task } => commands::control::send(
            &load_config(cli, true)?,
            &Request::Dispatch { task: task.clone() },
        ),
        Command::Retry { task } => commands::control::send(
            &load_config(cli, true)?,
            &Request::Retry { task: task.clone() },
        ),
        Command::Kill { task, timeout } => commands::control::send(
            &load_config(cli, true)?,
            &Request::Kill {
                task: task.clone(),
                timeout_secs: timeout.as_secs(),
            },
        ),
        Command::Logs { task, follow, raw } => {
            commands::logs::logs(&load_config(cli, true)?, task, *follow, *raw)
        }
        Command::Escalate { dry_run, json } => {
            commands::tier2::escalate(&load_config(cli, true)?, *dry_run, *json)
        }
        Command::Ack { key, duration } => alert(cli, key, AlertVerb::Ack, *duration),
        Command::Silence { key, duration } => alert(cli, key, AlertVerb::Silence, Some(*duration)),
        Command::Resolve { key } => alert(cli, key, AlertVerb::Resolve, None),
        Command::Escalations { json } => {
            commands::tier2::escalations(&load_config(cli, true)?, *json, paint)
        }
        Command::Pack => commands::tier2::pack(&load_config(cli, true)?),
        Command::Layouts { json } => commands::logs::layouts(&load_config(cli, true)?, *json),
        Command::Top { once } => commands::top::top(&load_config(cli, true)?, *once, paint),
        Command::Status { json } => {
            commands::status::run(&Tier1::new(load_config(cli, true)?), *json, paint)
        }
        Command::Tasks { queue, json } => {
            commands::tasks::run(Tier1::new(load_config(cli, true)?), *queue, *json, paint)
        }
        Command::Reload => commands::reload::reload(&load_config(cli, true)?),
        Command::Budget { action } => {
            let reset = *action == Some(crate::cli::BudgetAction::Reset);
            commands::budget::run(Tier1::new(load_config(cli, true)?), reset)
        }
        Command::Jobs { task, json } => {
            let tier1 = Tier1::new(load_config(cli, true)?);
            commands::jobs::run(&tier1, task.as_deref(), *json, paint)
        }
        Command::Clean { force } => {
            commands::clean::run(Tier1::new(load_config(cli, true)?), *force)
        }
        Command::Check { json } => {
            commands::check::run(Tier1::new(load_config(cli, false)?), *json)
        }
        Command::RunWorker {
            job,
            record,
            report,
            go,
            env,
            workspace,
            argv,
        } => Ok(ExitCode::Raw(crate::worker::run_worker(
            &crate::worker::WrapperArgs {
                job: job.clone(),
                record: record.clone(),
                report: report.clone(),
                go: go.clone(),
                env: env
                    .iter()
                    .map(|kv| match kv.split_once('=') {
                        Some((k, v)) => (k.to_owned(), v.to_owned()),
                        None => (kv.clone(), String::new()),
                    })
                    .collect(),
                workspace: workspace.clone(),
                argv: argv.clone(),
            },
        ))),
        Command::BenchExits { count, concurrency } => {
            commands::bench_exits::run(*count, *concurrency)
        }
        Command::BenchHook { calls } => commands::bench_hook::run(*calls),
        Command::BenchUsage { mb, pass_mib } => commands::bench_usage::run(*mb, *pass_mib),
        Command::BenchHeartbeat { tasks, rounds, dir } => {
            commands::bench::run(*tasks, *rounds, dir.as_deref())
        }
    }
}
