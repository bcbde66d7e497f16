//! `warden init [--force]`: what a repository needs to use warden, written once. An existing
//! file is never overwritten without `--force`; `.gitignore` and `justfile` are only
//! appended to, and only with what they lack. Nothing is written through a link.

use std::path::Path;

use super::output::print;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::state::{FileMode, write_atomic_as};

/// A commented `warden.toml` with every key at its default (a test keeps it true).
pub(crate) const WARDEN_TOML: &str = include_str!("../../templates/warden.toml");
const DISPATCH: &str = include_str!("../../templates/dispatch");
const DISPATCH_CLAUDE: &str = include_str!("../../templates/dispatch-claude");
const DISPATCH_CODEX: &str = include_str!("../../templates/dispatch-codex");

/// The agent `warden init --agent` wires: the dispatch script, `dispatch.agent`, and the
/// managers' commands, each with its hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum InitAgent {
    /// Claude Code (`claude`), its hooks wired through `--settings`.
    Claude,
    /// Codex (`codex`), its `notify` and hooks wired.
    Codex,
    /// Any command; no hooks wired (the script lists the choices).
    #[default]
    Generic,
}

const MANAGER_PROMPT: &str = "You are the manager agent warden brought in for this repository. Read the context pack {prompt_file} and act on it.";

/// The config and the dispatch script for `agent`.
fn files(agent: InitAgent) -> (String, &'static str) {
    let config = |kind: &str, manager: &str, oneshot: &str| {
        WARDEN_TOML
            .replace("agent = \"none\"", &format!("agent = \"{kind}\""))
            .replace(
                &format!("manager_command = [\"claude\", \"{MANAGER_PROMPT}\"]"),
                &format!("manager_command = [{manager}, \"{MANAGER_PROMPT}\"]"),
            )
            .replace(
                &format!("oneshot_command = [\"claude\", \"-p\", \"{MANAGER_PROMPT}\"]"),
                &format!("oneshot_command = [{oneshot}, \"{MANAGER_PROMPT}\"]"),
            )
    };
    match agent {
        InitAgent::Generic => (WARDEN_TOML.to_owned(), DISPATCH),
        InitAgent::Claude => (
            config(
                "claude",
                "\"claude\", \"--settings\", \"{agent_settings}\"",
                "\"claude\", \"-p\", \"--settings\", \"{agent_settings}\"",
            ),
            DISPATCH_CLAUDE,
        ),
        InitAgent::Codex => (
            config(
                "codex",
                "\"codex\", \"-c\", \"notify={codex_notify}\"",
                "\"codex\", \"exec\", \"-c\", \"notify={codex_notify}\"",
            ),
            DISPATCH_CODEX,
        ),
    }
}
const JUST_RECIPE: &str = "\n# Supervise the task backlog with warden (replaces the old manage recipe).\nmanage:\n    warden up --attach\n";

/// Writes `text` to `path` unless it exists (or `force`). Says what happened.
fn create(
    root: &Path,
    rel: &str,
    text: &str,
    force: bool,
    executable: bool,
) -> Result<String, Error> {
    let path = root.join(rel);
    if path.exists() && !force {
        return Ok(format!("kept     {rel} (exists; --force to replace it)"));
    }
    let existed = path.exists();
    let mode = if executable {
        FileMode::Executable
    } else {
        FileMode::Shared
    };
    write_atomic_as(&path, text.as_bytes(), mode)?;
    Ok(format!(
        "{} {rel}",
        if existed { "replaced" } else { "wrote   " }
    ))
}

/// Appends `addition` to `path` unless `present(existing)` says it is there already.
fn append(
    root: &Path,
    rel: &str,
    addition: &str,
    present: impl Fn(&str) -> bool,
    what: &str,
) -> Result<String, Error> {
    let path = root.join(rel);
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    if present(&existing) {
        return Ok(format!("kept     {rel} (already has {what})"));
    }
    let mut text = existing.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(addition);
    write_atomic_as(&path, text.as_bytes(), FileMode::Existing)?;
    Ok(format!(
        "{} {rel} ({what})",
        if existing.is_empty() {
            "wrote   "
        } else {
            "added to"
        }
    ))
}

/// What warden makes that git should not track: its state, the dispatch logs and
/// snapshots, the worktrees. Each line is added unless `.gitignore` has it already.
fn ignore_lines(root: &Path) -> Result<String, Error> {
    const LINES: [&str; 3] = [".warden/", "tasks/logs/", ".worktrees/"];
    let existing = std::fs::read_to_string(root.join(".gitignore")).unwrap_or_default();
    let has = |line: &str| {
        let bare = line.trim_end_matches('/');
        existing.lines().any(|l| {
            let l = l.trim().trim_start_matches('/').trim_end_matches('/');
            l == bare
        })
    };
    let missing: Vec<&str> = LINES.into_iter().filter(|l| !has(l)).collect();
    if missing.is_empty() {
        return Ok(
            "kept     .gitignore (already ignores .warden/, tasks/logs/, .worktrees/)".to_owned(),
        );
    }
    let addition: String = missing.iter().map(|l| format!("{l}\n")).collect();
    append(
        root,
        ".gitignore",
        &addition,
        |_| false,
        &missing.join(", "),
    )
}

pub(crate) fn run(
    root: &Path,
    force: bool,
    agent: InitAgent,
    justfile: bool,
) -> Result<ExitCode, Error> {
    let (config, dispatch) = files(agent);
    let lines = [
        create(root, "warden.toml", &config, force, false)?,
        create(root, "scripts/dispatch", dispatch, force, true)?,
        // The repository's own copy of the built-in prompt, to edit and then name in
        // `dispatch.prompt_template`.
        create(
            root,
            "templates/prompt.md",
            crate::dispatch::DEFAULT_TEMPLATE,
            force,
            false,
        )?,
        ignore_lines(root)?,
        if justfile || root.join("justfile").exists() {
            append(
                root,
                "justfile",
                JUST_RECIPE,
                |t| {
                    t.lines()
                        .any(|l| l.starts_with("manage:") || l.starts_with("manage "))
                },
                "a manage recipe",
            )?
        } else {
            "skipped  justfile (none here; --justfile makes one with a manage recipe)".to_owned()
        },
    ];
    let mut out = format!("warden init in {}\n", root.display());
    for l in lines {
        out.push_str("  ");
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(match agent {
        InitAgent::Generic => "\nNext: edit scripts/dispatch to pick your agent, then `warden check`, `warden doctor`, and `warden up --attach` (or `just manage`).\n",
        InitAgent::Claude | InitAgent::Codex => "\nscripts/dispatch runs the agent with warden's hooks (see docs/agents.md); adjust its prompt, then `warden check`, `warden doctor`, and `warden up --attach` (or `just manage`).\n",
    });
    // The one setting that makes warden worth keeping open: being told when an agent needs
    // you, even with no terminal attached.
    out.push_str("Tip: set [escalation] notify_command = [\"notify-send\", \"warden\"] (or any program: the message is its last argument) to hear when an agent waits for you, fails or hits its limit.\n");
    print(&out)?;
    Ok(ExitCode::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_every_default() {
        let (config, unknown) =
            crate::config::parse_config(WARDEN_TOML, Path::new("templates/warden.toml"))
                .expect("the template parses");
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(config, crate::config::Config::default());
    }

    #[test]
    fn each_agent_gets_its_hooks_wired() {
        use crate::config::AgentSetting;
        for (agent, setting, word) in [
            (InitAgent::Claude, AgentSetting::Claude, "{agent_settings}"),
            (InitAgent::Codex, AgentSetting::Codex, "{codex_notify}"),
        ] {
            let (text, dispatch) = files(agent);
            let (config, unknown) =
                crate::config::parse_config(&text, Path::new("warden.toml")).expect("parses");
            assert!(unknown.is_empty(), "{unknown:?}");
            assert_eq!(config.dispatch.agent, setting);
            for argv in [
                &config.escalation.manager_command,
                &config.escalation.oneshot_command,
            ] {
                assert!(argv.iter().any(|a| a.contains(word)), "{agent:?}: {argv:?}");
                assert!(argv.iter().any(|a| a.contains("{prompt_file}")), "{argv:?}");
            }
            let variable = if agent == InitAgent::Claude {
                "$WARDEN_AGENT_SETTINGS"
            } else {
                "$WARDEN_CODEX_NOTIFY"
            };
            assert!(dispatch.contains(variable), "{agent:?}");
        }
    }
}
