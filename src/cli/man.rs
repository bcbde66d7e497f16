//! `warden man`: one man page, generated from the command line. clap_mangen writes the
//! title, NAME, SYNOPSIS, DESCRIPTION and the global OPTIONS; the commands (in their groups,
//! each with its own flags, as there are no per-command pages), EXIT STATUS (from
//! `ExitCode`), ENVIRONMENT, FILES and EXAMPLES are written here.

use roff::{Roff, bold, italic, roman};

use super::{examples, groups};
use crate::exit_code::ExitCode;

/// Variables warden reads that back no flag.
const READ: &[(&str, &str)] = &[
    (
        "WARDEN_LOG",
        "What to log on stderr, as a tracing filter (warn, info, debug, trace, or per module); overrides -v.",
    ),
    (
        "NO_COLOR",
        "Set to anything but empty: no colour unless --color always (https://no-color.org).",
    ),
    ("TERM", "dumb: no colour unless --color always."),
    (
        "WARDEN_TMUX_BIN",
        "The tmux program to run, instead of tmux from PATH.",
    ),
    (
        "WARDEN_SOCKET_DIR",
        "Where sockets go when the state folder's path is too long for one (default /tmp/warden-UID).",
    ),
];

/// Variables warden sets for the commands it starts.
const SET: &[(&str, &str)] = &[
    (
        "WARDEN_TASK, WARDEN_TASK_FILE, WARDEN_WORKTREE, WARDEN_JOB, WARDEN_ATTEMPT",
        "A worker's task id, task file, worktree, job id and attempt number.",
    ),
    (
        "WARDEN_ROOT, WARDEN_LOG_FILE, WARDEN_PROMPT_FILE",
        "The repository root, the task's dispatch log and the job's prompt file, absolute.",
    ),
    (
        "WARDEN_AGENT, WARDEN_STATE_DIR, WARDEN_REPORT_SOCKET",
        "For a job expected to report through its agent's hooks: the agent, the state folder and the supervisor's report socket.",
    ),
    (
        "WARDEN_ESCALATION, WARDEN_PACK_DIR, WARDEN_BIN",
        "A Tier 2 manager's action id, its context pack folder and the warden binary.",
    ),
];

/// The files, with the default `[paths]`.
const FILES: &[(&str, &str)] = &[
    (
        "warden.toml",
        "The config, found in the folder or the nearest one above it (see --config and docs/configuration.md).",
    ),
    (
        "tasks/**/*.md",
        "The task files: YAML front matter and a markdown body (docs/task-files.md).",
    ),
    (
        "scripts/dispatch",
        "The dispatch command warden init writes: how a task becomes an agent's run.",
    ),
    (
        ".warden/register.json",
        "Every job ever dispatched (and register.json.bak, its last good copy).",
    ),
    (
        ".warden/jobs/",
        "Each job's record (JOB.json), usage, agent state and prompt.",
    ),
    (
        ".warden/ledger.json",
        "Tier 2's alerts, budget, managers and decisions (ledger.dry-run.json in dry-run).",
    ),
    (
        ".warden/layouts/NAME.toml",
        "Your window layouts (see warden layouts).",
    ),
    (
        ".warden/supervisor.lock, .warden/warden.sock, .warden/reports.sock",
        "The supervisor's lock, control socket and report socket.",
    ),
    (
        "tasks/logs/task_manager/latest.snapshot.json",
        "The latest snapshot (docs/snapshot-schema.md); older ones beside it, and Tier 2's context packs in escalations/.",
    ),
    (
        "tasks/logs/dispatch-TASK.log",
        "A task's dispatch log, every attempt (see warden logs).",
    ),
];

/// `.TP`: `tag` in bold, `text` indented under it.
fn tagged(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []).text([bold(tag)]).text([roman(text)]);
}

/// An argument's value name: `TASK`, `DURATION`.
fn value_name(arg: &clap::Arg) -> String {
    arg.get_value_names()
        .and_then(|v| v.first())
        .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string)
}

/// An argument as typed: `--layout NAME`, `--json`, `TASK`.
fn typed(arg: &clap::Arg, with_short: bool) -> String {
    let value = if arg.get_action().takes_values() {
        format!(" {}", value_name(arg))
    } else {
        String::new()
    };
    match (arg.get_long(), arg.get_short()) {
        (Some(long), Some(short)) if with_short => format!("-{short}, --{long}{value}"),
        (Some(long), _) => format!("--{long}{value}"),
        (None, Some(short)) => format!("-{short}{value}"),
        (None, None) => value_name(arg),
    }
}

/// A command's synopsis: `warden up [--attach] [--layout NAME]`.
fn synopsis(name: &str, sub: &clap::Command) -> String {
    let mut out = format!("warden {name}");
    for arg in own_args(sub) {
        let shown = typed(arg, false);
        if arg.is_required_set() {
            out.push_str(&format!(" {shown}"));
        } else {
            out.push_str(&format!(" [{shown}]"));
        }
    }
    for nested in sub.get_subcommands().filter(|s| s.get_name() != "help") {
        out.push_str(&format!(" [{}]", nested.get_name()));
    }
    out
}

/// A command's own visible flags and arguments (the global ones are under OPTIONS).
fn own_args(sub: &clap::Command) -> impl Iterator<Item = &clap::Arg> {
    sub.get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set())
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
}

fn text_of(s: Option<&clap::builder::StyledStr>) -> String {
    s.map(ToString::to_string).unwrap_or_default()
}

fn command_entry(roff: &mut Roff, name: &str, sub: &clap::Command) {
    roff.control("TP", []).text([bold(synopsis(name, sub))]);
    let about = text_of(sub.get_long_about().or_else(|| sub.get_about()));
    for (i, para) in about.split("\n\n").enumerate() {
        if i > 0 {
            roff.control("sp", []);
        }
        roff.text([roman(para)]);
    }
    let args: Vec<&clap::Arg> = own_args(sub).collect();
    let nested: Vec<&clap::Command> = sub
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .collect();
    if args.is_empty() && nested.is_empty() {
        return;
    }
    roff.control("RS", []);
    for arg in args {
        let tag = typed(arg, true);
        let mut help = text_of(arg.get_long_help().or_else(|| arg.get_help()));
        if let Some(default) = arg
            .get_default_values()
            .first()
            .filter(|_| arg.get_action().takes_values())
        {
            help.push_str(&format!(" [default: {}]", default.to_string_lossy()));
        }
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_owned())
            .collect();
        if !values.is_empty() && arg.get_id() != "shell" {
            help.push_str(&format!(" [possible values: {}]", values.join(", ")));
        }
        tagged(roff, &tag, &help);
    }
    for n in nested {
        tagged(roff, n.get_name(), &text_of(n.get_about()));
    }
    roff.control("RE", []);
}

fn commands(roff: &mut Roff, cmd: &clap::Command) {
    roff.control("SH", ["COMMANDS"]);
    for group in groups::GROUPS {
        let present: Vec<_> = group
            .entries
            .iter()
            .filter_map(|e| cmd.find_subcommand(e.name).map(|s| (e.name, s)))
            .collect();
        if present.is_empty() {
            continue;
        }
        roff.control("SS", [group.heading]);
        for (name, sub) in present {
            command_entry(roff, name, sub);
        }
    }
}

fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman(
        "Every error is printed once on stderr as error: MESSAGE. docs/exit-codes.md says which \
         command gives which code when.",
    )]);
    for code in ExitCode::LISTED {
        tagged(roff, &code.code().to_string(), code.meaning());
    }
}

fn environment(roff: &mut Roff, cmd: &clap::Command) {
    roff.control("SH", ["ENVIRONMENT"]);
    roff.text([roman(
        "A flag wins over its variable. An invalid value in one of these is a usage error \
         (exit 2) for every command: every command reads them.",
    )]);
    for arg in cmd.get_arguments() {
        if let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) {
            let help = text_of(arg.get_help());
            tagged(
                roff,
                &env.to_string_lossy(),
                &format!("{help} (as --{long})."),
            );
        }
    }
    roff.control("PP", []).text([roman("Also read:")]);
    for (name, text) in READ {
        tagged(roff, name, text);
    }
    roff.control("PP", []).text([roman(
        "warden sets these for the commands it starts (see docs/configuration.md):",
    )]);
    for (name, text) in SET {
        tagged(roff, name, text);
    }
}

fn files(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    roff.text([roman(
        "Paths are relative to the repository root, with the default [paths] of warden.toml.",
    )]);
    for (name, text) in FILES {
        tagged(roff, name, text);
    }
}

fn examples(roff: &mut Roff) {
    roff.control("SH", ["EXAMPLES"]);
    for line in examples::SESSION.lines().skip(1) {
        let line = line.trim_start();
        let (command, what) = line.split_once("  ").unwrap_or((line, ""));
        tagged(roff, command, what.trim());
    }
}

fn see_also(roff: &mut Roff) {
    roff.control("SH", ["SEE ALSO"]);
    roff.text([
        italic("tmux"),
        roman("(1), "),
        italic("git"),
        roman(
            "(1). The guides in the docs/ folder of warden's source: operator-guide.md, \
             configuration.md, task-files.md, agents.md, escalation.md, snapshot-schema.md, \
             exit-codes.md.",
        ),
    ]);
}

/// The man page, roff source.
pub(crate) fn render(cmd: clap::Command) -> Result<Vec<u8>, std::io::Error> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::new();
    commands(&mut roff, &cmd);
    exit_status(&mut roff);
    environment(&mut roff, &cmd);
    files(&mut roff);
    examples(&mut roff);
    see_also(&mut roff);
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(dedup_preamble(&out))
}

/// Each renderer starts with roff's apostrophe preamble; once is enough.
fn dedup_preamble(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let mut seen = Vec::new();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if preamble && seen.contains(&line) {
            continue;
        }
        if preamble {
            seen.push(line);
        }
        out.push_str(line);
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> String {
        String::from_utf8(render(super::super::command()).expect("renders")).expect("utf-8")
    }

    /// Text as roff shows it: dashes and apostrophes escaped.
    fn roffed(text: &str) -> String {
        text.replace('-', "\\-").replace('\'', "\\*(Aq")
    }

    #[test]
    fn the_page_has_the_sections_and_names_only_pages_that_exist() {
        let page = page();
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH \"GLOBAL OPTIONS\"",
            ".SH COMMANDS",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH EXAMPLES",
        ] {
            assert!(page.contains(section), "{section}");
        }
        // Every `name(N)` reference is to a page that exists: no `warden-up(1)`.
        for (at, _) in page.match_indices("(1)") {
            let before = &page[..at];
            assert!(
                before.ends_with("\\fItmux\\fR") || before.ends_with("\\fIgit\\fR"),
                "a reference to a page that does not exist: {}",
                &before[before.len().saturating_sub(30)..]
            );
        }
        assert_eq!(page.matches(".el .ds Aq").count(), 1, "one preamble");
    }

    #[test]
    fn each_command_with_its_flags_code_and_variable_is_there() {
        let page = page();
        for text in [
            "warden up [\\-\\-attach] [\\-\\-layout NAME]",
            "warden logs TASK [\\-\\-follow] [\\-\\-raw]",
            "\\-f, \\-\\-follow",
            "\\-\\-layout NAME\\fR\n",
            "warden down [\\-\\-kill\\-workers] [\\-\\-timeout DURATION]",
            "warden budget [reset]",
        ] {
            assert!(page.contains(text), "{text}");
        }
        assert!(
            !page.contains("[default: false]"),
            "no default for a switch"
        );
        assert!(
            !page.contains("run\\-worker"),
            "hidden commands stay hidden"
        );
        for code in ExitCode::LISTED {
            let row = format!(".TP\n\\fB{}\\fR\n{}", code.code(), roffed(code.meaning()));
            assert!(page.contains(&row), "{row}");
        }
        for var in [
            "WARDEN_CONFIG",
            "WARDEN_MAX_WORKERS",
            "WARDEN_LOG",
            "NO_COLOR",
            "TASK_MANAGER_ESCALATION",
            "WARDEN_TASK",
        ] {
            assert!(page.contains(&format!("\\fB{var}")), "{var}");
        }
    }
}
