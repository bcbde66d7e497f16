//! The command line as clap sees it: the derived definition, with the commands listed in
//! groups in `warden --help`, and each global flag hidden from the help of the commands
//! that do not read it. A hidden flag still parses, so a script that passes
//! `--max-workers` to every command keeps working.

use clap::{CommandFactory as _, FromArgMatches as _};

use super::{Cli, groups};

/// Whether `command`'s help shows the global flag `id` (clap's id: the field's name).
fn shows(command: &str, id: &str) -> bool {
    const SUPERVISING: &[&str] = &["up", "supervise", "heartbeat"];
    let any = |names: &[&str]| names.contains(&command);
    match id {
        "max_workers" | "interval" | "mark_started_on_dispatch" => any(SUPERVISING),
        "escalation" => any(SUPERVISING) || command == "escalate",
        // `escalate` has a --dry-run of its own; these pick the dry-run ledger with it.
        "dry_run" => any(SUPERVISING) || any(&["escalations", "ack", "silence", "resolve"]),
        "config" => !any(&["init", "demo", "completions", "man"]),
        "directory" => !any(&["demo", "completions", "man"]),
        "color" => !any(&["completions", "man"]),
        _ => true,
    }
}

/// Hides, in `sub` and its own subcommands, the global flags `top` (the command's name
/// under `warden`) does not read.
fn hide_unread(sub: clap::Command, top: &str) -> clap::Command {
    sub.mut_args(|arg| {
        if arg.is_global_set() && !shows(top, arg.get_id().as_str()) {
            arg.hide(true)
        } else {
            arg
        }
    })
    .mut_subcommands(|nested| hide_unread(nested, top))
}

/// The top-level help: the usual one, with the grouped list in place of clap's flat one.
fn top_template(cmd: &clap::Command) -> String {
    let header = cmd.get_styles().get_header();
    format!(
        "{{before-help}}{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{}\
         {header}Options:{header:#}\n{{options}}{{after-help}}",
        groups::help_list(cmd).ansi()
    )
}

/// The full command line. Built: global flags are copied into the subcommands at build
/// time, and only then can they be hidden there.
pub(crate) fn command() -> clap::Command {
    command_coloured(clap::ColorChoice::Auto)
}

/// `--color` as given in `args`, for clap's own help and errors, which are printed before
/// the flags are parsed. `auto` leaves clap to look at the terminal, NO_COLOR and TERM.
fn colour_asked(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut value = None;
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if word == "--color" {
            value = words.next().map(std::borrow::Cow::into_owned);
        } else if let Some(v) = word.strip_prefix("--color=") {
            value = Some(v.to_owned());
        }
    }
    match value.as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

fn command_coloured(colour: clap::ColorChoice) -> clap::Command {
    let cmd = Cli::command().color(colour);
    let template = top_template(&cmd);
    let mut cmd = cmd.help_template(template).after_help(
        "`warden` alone prints a short overview; `warden COMMAND --help` shows a command's \
         flags and examples.",
    );
    cmd.build();
    cmd.mut_subcommands(|sub| {
        let name = sub.get_name().to_owned();
        hide_unread(sub, &name)
    })
}

/// Parses `args` (the program's name first).
#[cfg(test)]
pub(crate) fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    parse_matches(args).map(|(cli, _)| cli)
}

/// `parse`, with clap's matches too (where each value came from: `warden config`).
pub(crate) fn parse_matches<I, T>(args: I) -> Result<(Cli, clap::ArgMatches), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let mut cmd = command_coloured(colour_asked(&args));
    let matches = cmd.try_get_matches_from_mut(args)?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))?;
    Ok((cli, matches))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(args: &[&str]) -> String {
        let mut all = vec!["warden"];
        all.extend(args);
        match parse(all) {
            Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => e.to_string(),
            other => panic!("no help: {other:?}"),
        }
    }

    #[test]
    fn flags_a_command_does_not_read_are_hidden_from_its_help() {
        let status = help(&["status", "--help"]);
        assert!(!status.contains("--max-workers"), "{status}");
        assert!(!status.contains("--mark-started"), "{status}");
        assert!(status.contains("--json"), "{status}");
        assert!(status.contains("--color"), "{status}");
        assert!(status.contains("--directory"), "{status}");
        let up = help(&["up", "--help"]);
        for flag in ["--max-workers", "--interval", "--escalation", "--dry-run"] {
            assert!(up.contains(flag), "{flag}: {up}");
        }
        let escalate = help(&["escalate", "-h"]);
        assert!(escalate.contains("--dry-run"), "its own: {escalate}");
        assert!(!help(&["budget", "reset", "-h"]).contains("--interval"));
    }

    #[test]
    fn the_colour_asked_for_reaches_clap_too() {
        let asked = |args: &[&str]| {
            let all: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
            colour_asked(&all)
        };
        assert_eq!(
            asked(&["warden", "--color", "never", "-h"]),
            clap::ColorChoice::Never
        );
        assert_eq!(
            asked(&["warden", "up", "--color=always"]),
            clap::ColorChoice::Always
        );
        assert_eq!(asked(&["warden", "tasks"]), clap::ColorChoice::Auto);
        assert_eq!(
            asked(&["warden", "run-worker", "--", "x", "--color=never"]),
            clap::ColorChoice::Auto,
            "after -- it belongs to another program"
        );
        let cmd = command_coloured(clap::ColorChoice::Never);
        assert_eq!(cmd.get_color(), clap::ColorChoice::Never);
        let sub = cmd.find_subcommand("status").expect("status");
        assert_eq!(
            sub.get_color(),
            clap::ColorChoice::Never,
            "for every command"
        );
    }

    #[test]
    fn a_hidden_flag_still_parses() {
        let cli = parse(["warden", "status", "--max-workers", "3"]).expect("parses");
        assert_eq!(cli.overrides.max_workers, Some(3));
        let cli = parse(["warden", "--max-workers", "2", "up"]).expect("parses");
        assert_eq!(cli.overrides.max_workers, Some(2));
    }

    #[test]
    fn short_help_is_short_and_long_help_has_examples() {
        let short = help(&["up", "-h"]);
        let long = help(&["up", "--help"]);
        assert!(!short.contains("Examples:"), "{short}");
        assert!(long.contains("Examples:"), "{long}");
        assert!(long.contains("warden up --attach"), "{long}");
        assert!(long.len() > short.len());
    }

    #[test]
    fn every_argument_has_a_help_text() {
        let cmd = command();
        let mut missing = Vec::new();
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let nested: Vec<&clap::Command> = std::iter::once(sub)
                .chain(sub.get_subcommands().filter(|s| s.get_name() != "help"))
                .collect();
            for c in nested {
                for arg in c.get_arguments() {
                    if arg.get_help().is_none() && arg.get_long_help().is_none() {
                        missing.push(format!("{} {}", c.get_name(), arg.get_id()));
                    }
                }
                if c.get_about().is_none() {
                    missing.push(format!("{} (about)", c.get_name()));
                }
            }
        }
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    #[test]
    fn the_top_level_help_lists_commands_in_groups() {
        let text = help(&["--help"]);
        let everyday = text.find("Everyday:").expect("groups");
        let options = text.find("Options:").expect("options");
        assert!(everyday < options, "{text}");
        assert!(!text.contains("Commands:"), "no flat list as well: {text}");
        assert!(text.contains("--color <WHEN>"), "{text}");
    }
}
