//! warden: a tmux-native supervisor for AI coding agents working through a backlog of
//! markdown task files. See `ARCHITECTURE.md` for the map of modules.

mod agent;
mod app;
mod cli;
mod cli_env;
mod clock;
mod commands;
mod config;
mod dashboard;
mod detect;
mod dispatch;
mod error;
mod escalate;
mod escape;
mod exit_code;
mod heartbeat;
mod layout;
mod log_end;
mod logs;
mod paint;
mod register;
mod render;
mod snapshot;
mod state;
mod supervisor;
mod task;
mod tmux;
// wired into the supervisor next
#[cfg_attr(not(test), allow(dead_code))]
mod usage;
mod worker;
mod worktree;

/// Parses the command line, runs the command, prints any error once, and returns the
/// process exit code (documented in `exit_code.rs`).
pub fn main_entry() -> i32 {
    // `warden hook` is on every agent event's path: no clap (whose errors exit non-zero,
    // and which an agent would take as a failed hook), no logging, no config.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "hook") {
        return agent::hook_main(args.get(2..).unwrap_or_default());
    }
    // The matches as well as the parsed flags: `warden config` asks them where each
    // override's value came from.
    let (cli, matches) = match cli::parse_matches(args.iter()) {
        Ok(parsed) => parsed,
        Err(e) => {
            if let Some(message) = cli_env::env_value_error(&e, &args) {
                eprintln!("error: {message}");
                return exit_code::ExitCode::Usage.code();
            }
            let _ = e.print();
            return if e.use_stderr() {
                exit_code::ExitCode::Usage.code()
            } else {
                0
            };
        }
    };
    match app::run(&cli, &matches) {
        Ok(code) => code.code(),
        Err(e) => {
            // An error can quote a task id, a path or a config line.
            eprintln!(
                "error: {}{}",
                escape::terminal_safe_lines(&e.to_string()),
                cli_env::config_file_note(&e, &matches).unwrap_or_default()
            );
            e.exit_code().code()
        }
    }
}
