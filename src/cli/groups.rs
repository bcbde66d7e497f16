//! The commands in groups, everyday ones first: for `warden --help`, for the overview that
//! `warden` alone prints, and for the man page. clap lists subcommands in one flat list, so
//! the top-level help lists them from here instead. Each summary is the command's own `-h`
//! line; a name listed here that the command line does not have (yet) is left out.

use std::fmt::Write as _;

use clap::builder::StyledStr;

/// A command in a group: its name, and how the overview shows it (none: only `--help`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) name: &'static str,
    pub(crate) overview: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Group {
    pub(crate) heading: &'static str,
    pub(crate) entries: &'static [Entry],
}

const fn e(name: &'static str, overview: Option<&'static str>) -> Entry {
    Entry { name, overview }
}

pub(crate) const GROUPS: &[Group] = &[
    Group {
        heading: "Everyday",
        entries: &[
            e("up", Some("up --attach")),
            e("status", Some("status")),
            e("top", Some("top")),
            e("tasks", Some("tasks [--queue]")),
            e("jobs", Some("jobs [TASK]")),
            e("logs", Some("logs TASK")),
            e("attach", Some("attach [TASK]")),
            e("down", Some("down")),
        ],
    },
    Group {
        heading: "Tasks and workers",
        entries: &[
            e("dispatch", None),
            e("retry", None),
            e("kill", None),
            e("clean", None),
            e("budget", None),
        ],
    },
    Group {
        heading: "Tier 2 (escalation)",
        entries: &[
            e("escalations", None),
            e("escalate", None),
            e("ack", None),
            e("silence", None),
            e("resolve", None),
            e("pack", None),
        ],
    },
    Group {
        heading: "Setup",
        entries: &[
            e("demo", Some("demo")),
            e("init", Some("init --agent claude")),
            e("doctor", Some("doctor")),
            e("check", Some("check")),
            e("config", Some("config")),
            e("reload", None),
            e("layouts", None),
            e("completions", None),
        ],
    },
    Group {
        heading: "Plumbing",
        entries: &[e("heartbeat", None), e("supervise", None)],
    },
];

/// The commands of `group` that `cmd` has, with their summaries.
fn listed(cmd: &clap::Command, group: &'static Group) -> Vec<(&'static Entry, String)> {
    group
        .entries
        .iter()
        .filter_map(|entry| {
            let sub = cmd.find_subcommand(entry.name)?;
            let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
            Some((entry, about))
        })
        .collect()
}

/// The grouped command list of `warden --help`, styled as clap styles its own headings.
pub(crate) fn help_list(cmd: &clap::Command) -> StyledStr {
    let styles = cmd.get_styles();
    let (header, literal) = (styles.get_header(), styles.get_literal());
    let width = GROUPS
        .iter()
        .flat_map(|g| listed(cmd, g))
        .map(|(entry, _)| entry.name.len())
        .max()
        .unwrap_or(0);
    let mut out = StyledStr::new();
    for group in GROUPS {
        let rows = listed(cmd, group);
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{header}{}:{header:#}", group.heading);
        for (entry, about) in rows {
            let pad = width - entry.name.len();
            let _ = writeln!(
                out,
                "  {literal}{}{literal:#}{:pad$}  {about}",
                entry.name, ""
            );
        }
        let _ = writeln!(out);
    }
    out
}

/// What `warden` alone prints: the everyday and setup commands with a usage hint, the rest
/// by name.
pub(crate) fn overview(cmd: &clap::Command) -> String {
    let mut out = String::from(
        "warden: a tmux-native supervisor for AI coding agents and their task backlog\n",
    );
    let width = GROUPS
        .iter()
        .flat_map(|g| listed(cmd, g))
        .filter_map(|(entry, _)| entry.overview)
        .map(str::len)
        .max()
        .unwrap_or(0);
    let mut more = Vec::new();
    for group in GROUPS {
        let rows = listed(cmd, group);
        let (shown, rest): (Vec<_>, Vec<_>) =
            rows.into_iter().partition(|(e, _)| e.overview.is_some());
        if !shown.is_empty() {
            let _ = writeln!(out, "\n{}:", group.heading);
            for (entry, about) in shown {
                let hint = entry.overview.unwrap_or(entry.name);
                let _ = writeln!(out, "  warden {hint:<width$}  {about}");
            }
        }
        if !rest.is_empty() {
            let names: Vec<&str> = rest.iter().map(|(e, _)| e.name).collect();
            more.push(format!("  {}: {}", group.heading, names.join(", ")));
        }
    }
    if !more.is_empty() {
        let _ = writeln!(out, "\nMore:\n{}", more.join("\n"));
    }
    out.push_str(
        "\nwarden --help: every command; warden COMMAND --help: its flags and examples.\n\
         man warden (docs/warden.1), README.md and docs/ for the rest.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commands announced here before they are merged in.
    const COMING: &[&str] = &[];

    #[test]
    fn every_visible_command_is_in_a_group() {
        let cmd = super::super::command();
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = sub.get_name();
            assert!(
                name == "help"
                    || GROUPS
                        .iter()
                        .flat_map(|g| g.entries)
                        .any(|e| e.name == name),
                "`warden {name}` is in no group of src/cli/groups.rs"
            );
        }
    }

    #[test]
    fn every_grouped_name_is_a_command_or_announced_once() {
        let cmd = super::super::command();
        let mut seen = Vec::new();
        for entry in GROUPS.iter().flat_map(|g| g.entries) {
            assert!(
                cmd.find_subcommand(entry.name)
                    .is_some_and(|s| !s.is_hide_set())
                    || COMING.contains(&entry.name),
                "{} is not a visible command",
                entry.name
            );
            assert!(!seen.contains(&entry.name), "{} twice", entry.name);
            seen.push(entry.name);
        }
    }

    #[test]
    fn the_help_lists_groups_in_order_with_summaries() {
        let cmd = super::super::command();
        let text = help_list(&cmd).to_string();
        let everyday = text.find("Everyday:").expect("everyday");
        let plumbing = text.find("Plumbing:").expect("plumbing");
        assert!(everyday < plumbing, "{text}");
        assert!(text.contains("  up "), "{text}");
        assert!(text.contains("Start the session, or join"), "{text}");
        assert!(!text.contains('\x1b'), "plain once displayed: {text:?}");
    }

    #[test]
    fn the_overview_is_short_and_everyday_first() {
        let text = overview(&super::super::command());
        assert!(text.lines().count() < 30, "{text}");
        assert!(text.contains("warden up --attach"), "{text}");
        let everyday = text.find("Everyday:").expect("everyday");
        let setup = text.find("Setup:").expect("setup");
        assert!(everyday < setup, "{text}");
        assert!(text.contains("dispatch, retry"), "the rest by name: {text}");
    }
}
