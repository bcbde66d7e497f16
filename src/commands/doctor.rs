//! `warden doctor`: is this machine and repository ready for warden? Each finding says
//! what is wrong and how to fix it; any failure makes the exit code non-zero.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::doctor_hooks::check_hooks;
pub(super) use super::finding::{Finding, Level, bad, is_executable, ok};
use super::output::{print, print_exact};
use crate::config::{LoadedConfig, WorktreeMode};
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::supervisor::{RuntimePaths, SupervisorLock};
use crate::tmux::{Spawn, Tmux, TmuxPort};

/// The version of `warden doctor --json`'s shape (docs/json-outputs.md).
const DOCTOR_FORMAT_VERSION: u32 = 1;

/// `tmux 3.3a` → (3, 3).
fn tmux_version(text: &str) -> Option<(u32, u32)> {
    let v = text.split_whitespace().nth(1)?;
    let (major, rest) = v.split_once('.')?;
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn check_tmux(out: &mut Vec<Finding>) {
    let bin = std::env::var_os("WARDEN_TMUX_BIN").unwrap_or_else(|| "tmux".into());
    match Command::new(&bin).arg("-V").output() {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout).trim().to_owned();
            match tmux_version(&text) {
                Some(v) if v >= (3, 2) => out.push(ok(format!("{text} found"))),
                _ => out.push(bad(
                    Level::Warn,
                    format!("{text} is older than warden is tested with (3.2 or newer)"),
                    "install a newer tmux",
                )),
            }
        }
        _ => {
            out.push(bad(
                Level::Fail,
                "tmux is not installed (or not on PATH)",
                "install it: apt-get install tmux (or your system's package manager)",
            ));
            return;
        }
    }
    let socket = format!("warden-doctor-{}", std::process::id());
    let tmux = Tmux::new(socket.clone());
    let argv = vec!["sleep".to_owned(), "30".to_owned()];
    let spawn = Spawn {
        argv: &argv,
        cwd: Path::new("/"),
        env: &[],
    };
    match tmux.start_session("doctor", "doctor", &spawn, (80, 24)) {
        Ok(_) => {
            let _ = tmux.kill_server();
            out.push(ok("a private tmux server starts"));
        }
        Err(e) => out.push(bad(
            Level::Fail,
            format!("a private tmux server does not start: {e}"),
            "run `tmux -L test new-session -d` to see why",
        )),
    }
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| is_executable(p))
    })
}

fn check_dispatch(loaded: &LoadedConfig, out: &mut Vec<Finding>) {
    let Some(program) = loaded.config.dispatch.command.first() else {
        out.push(bad(
            Level::Fail,
            "dispatch.command is empty",
            "set [dispatch] command in warden.toml, e.g. [\"scripts/dispatch\", \"{task}\"]",
        ));
        return;
    };
    if program.contains('/') {
        let path = if Path::new(program).is_absolute() {
            PathBuf::from(program)
        } else {
            loaded.root.join(program)
        };
        if !path.exists() {
            out.push(bad(
                Level::Fail,
                format!("the dispatch command {} does not exist", path.display()),
                "create it (`warden init` writes a template) or fix [dispatch] command",
            ));
        } else if !is_executable(&path) {
            out.push(bad(
                Level::Fail,
                format!("the dispatch command {} is not executable", path.display()),
                format!("chmod +x {}", path.display()),
            ));
        } else {
            out.push(ok(format!(
                "the dispatch command {} is executable",
                path.display()
            )));
        }
    } else {
        match on_path(program) {
            Some(p) => out.push(ok(format!(
                "the dispatch command {program} is {}",
                p.display()
            ))),
            None => out.push(bad(
                Level::Fail,
                format!("the dispatch command {program} is not on PATH"),
                "install it, or give its path in [dispatch] command",
            )),
        }
    }
}

/// The agent CLIs a dispatch script runs: `claude` or `codex` as the first word of a line
/// that is not a comment (after `exec`), as `warden init` writes them.
fn agents_in_script(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let first = match words.next() {
            Some("exec") => words.next(),
            other => other,
        };
        for agent in ["claude", "codex"] {
            if first == Some(agent) && !found.contains(&agent) {
                found.push(agent);
            }
        }
    }
    found
}

/// `<agent> --version`, waited for at most 5 s (a CLI that hangs must not hang doctor).
fn version_of(program: &Path) -> Option<String> {
    let mut child = Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while child.try_wait().ok()?.is_none() {
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut text).ok()?;
    text.lines()
        .next()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
}

/// What the dispatch script will run: the agent CLIs it calls must be installed, or every
/// task fails with 127 a second after `warden up`.
fn check_agents(loaded: &LoadedConfig, versions: bool, out: &mut Vec<Finding>) {
    // A bare program is `check_dispatch`'s: it is the agent.
    let Some(program) = loaded
        .config
        .dispatch
        .command
        .first()
        .filter(|p| p.contains('/'))
    else {
        return;
    };
    let path = if Path::new(program).is_absolute() {
        PathBuf::from(program)
    } else {
        loaded.root.join(program)
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    for agent in agents_in_script(&text) {
        match on_path(agent) {
            Some(found) => out.push(ok(format!(
                "{} runs {agent}: {}{}",
                program,
                found.display(),
                versions
                    .then(|| version_of(&found))
                    .flatten()
                    .map_or_else(String::new, |v| format!(" ({v})"))
            ))),
            None => out.push(bad(
                Level::Fail,
                format!("{program} runs {agent}, which is not on PATH"),
                match agent {
                    "claude" => "install Claude Code (npm install -g @anthropic-ai/claude-code), or edit the script",
                    _ => "install the Codex CLI (npm install -g @openai/codex), or edit the script",
                },
            )),
        }
    }
}

fn check_git(loaded: &LoadedConfig, out: &mut Vec<Finding>) {
    let git = Command::new("git").arg("--version").output();
    if !git.is_ok_and(|o| o.status.success()) {
        let level = if loaded.config.dispatch.worktree == WorktreeMode::Git {
            Level::Fail
        } else {
            Level::Warn
        };
        out.push(bad(
            level,
            "git is not installed",
            "install git (worktrees and worktree checks need it)",
        ));
        return;
    }
    let inside = Command::new("git")
        .arg("-C")
        .arg(&loaded.root)
        .args(["rev-parse", "--git-dir"])
        .output()
        .is_ok_and(|o| o.status.success());
    let head = Command::new("git")
        .arg("-C")
        .arg(&loaded.root)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .output()
        .is_ok_and(|o| o.status.success());
    if inside && !head && loaded.config.dispatch.worktree == WorktreeMode::Git {
        out.push(bad(
            Level::Fail,
            "the repository has no commit yet, and worktree = \"git\" needs one",
            "commit once (git commit --allow-empty -m init)",
        ));
    } else if inside {
        out.push(ok("git works in this repository"));
    } else if loaded.config.dispatch.worktree == WorktreeMode::Git {
        out.push(bad(
            Level::Fail,
            format!(
                "{} is not a git repository but worktree = \"git\"",
                loaded.root.display()
            ),
            "git init, or set worktree = \"none\"",
        ));
    } else {
        out.push(bad(
            Level::Warn,
            format!("{} is not a git repository", loaded.root.display()),
            "git init (warden works without, but agents usually want git)",
        ));
    }
}

fn check_state(loaded: &LoadedConfig, paths: &RuntimePaths, out: &mut Vec<Finding>) {
    let probe = paths.state.join(format!(".doctor-{}", std::process::id()));
    let writable = crate::state::write_atomic(&probe, b"ok");
    let _ = std::fs::remove_file(&probe);
    match writable {
        Ok(()) => out.push(ok(format!(
            "the state folder {} is writable",
            paths.state.display()
        ))),
        Err(e) => out.push(bad(
            Level::Fail,
            format!(
                "the state folder {} is not writable: {e}",
                paths.state.display()
            ),
            "fix its permissions, or set [paths] state",
        )),
    }
    let running = SupervisorLock::probe(&paths.lock);
    if paths.control.exists() && running.is_none() {
        out.push(bad(
            Level::Warn,
            format!(
                "a stale control socket {} (no supervisor holds the lock)",
                paths.control.display()
            ),
            "harmless: the next `warden up` replaces it; or remove it",
        ));
    }
    let register = crate::register::load_register(&paths.register);
    match (&register, running) {
        (Err(e), _) => out.push(bad(
            Level::Fail,
            e.to_string(),
            format!(
                "fix the file, or restore {}",
                crate::register::backup_path(&paths.register).display()
            ),
        )),
        (Ok(r), None) if r.live_jobs().count() > 0 => out.push(bad(
            Level::Warn,
            format!(
                "{} job(s) are recorded as running but no supervisor is (it died or was stopped)",
                r.live_jobs().count()
            ),
            "`warden up` re-adopts them and records whatever ended meanwhile",
        )),
        (Ok(_), Some(pid)) => out.push(ok(format!("a supervisor is running (pid {pid})"))),
        (Ok(_), None) => out.push(ok("no supervisor is running")),
    }
    if !loaded.unknown_keys.is_empty() {
        out.push(bad(
            Level::Warn,
            format!(
                "unknown keys in warden.toml: {}",
                loaded.unknown_keys.join(", ")
            ),
            "remove or correct them (see docs/configuration.md)",
        ));
    }
}

/// Every check, in the order they are shown. `versions`: also ask each agent CLI its
/// version (up to 5 s each; `warden up`'s preflight does without).
pub(super) fn findings(loaded: &LoadedConfig, versions: bool) -> Vec<Finding> {
    let paths = RuntimePaths::new(loaded);
    let mut findings = vec![ok(match &loaded.file {
        Some(f) => format!("config {} is valid", f.display()),
        None => "no warden.toml: every default applies (`warden init` writes one)".to_owned(),
    })];
    check_tmux(&mut findings);
    check_git(loaded, &mut findings);
    check_dispatch(loaded, &mut findings);
    check_agents(loaded, versions, &mut findings);
    check_hooks(
        &paths,
        std::env::current_exe()
            .as_deref()
            .map_err(ToString::to_string),
        &mut findings,
    );
    check_state(loaded, &paths, &mut findings);
    findings
}

/// One finding as doctor prints it (and `warden up` refuses with).
pub(super) fn render(f: &Finding, out: &mut String) {
    let mark = match f.level {
        Level::Ok => "ok  ",
        Level::Warn => "warn",
        Level::Fail => "FAIL",
    };
    // Findings quote paths and the errors of other programs.
    let _ = writeln!(out, "{mark}  {}", terminal_safe(&f.what));
    if let Some(fix) = &f.fix {
        let _ = writeln!(out, "      fix: {}", terminal_safe(fix));
    }
}

pub(crate) fn run(loaded: &LoadedConfig, json: bool) -> Result<ExitCode, Error> {
    let findings = findings(loaded, true);
    let worst = findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok);
    let code = if worst == Level::Fail {
        ExitCode::CheckFailed
    } else {
        ExitCode::Ok
    };
    if json {
        let report = serde_json::json!({
            "format_version": DOCTOR_FORMAT_VERSION,
            "ok": worst != Level::Fail,
            "findings": findings,
        });
        print_exact(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ))?;
        return Ok(code);
    }
    let mut out = String::new();
    for f in &findings {
        render(f, &mut out);
    }
    let _ = writeln!(
        out,
        "\n{}",
        match worst {
            Level::Ok => "warden is ready here",
            Level::Warn => "warden can run here; see the warnings",
            Level::Fail => "warden cannot run here yet; fix the failures above",
        }
    );
    print(&out)?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agents_a_script_runs_are_found_outside_comments() {
        let generic = include_str!("../../templates/dispatch");
        assert_eq!(agents_in_script(generic), ["claude"]);
        assert_eq!(
            agents_in_script(include_str!("../../templates/dispatch-codex")),
            ["codex"]
        );
        assert!(agents_in_script("# exec claude\necho claude\n").is_empty());
    }

    #[test]
    fn versions() {
        assert_eq!(tmux_version("tmux 3.3a"), Some((3, 3)));
        assert_eq!(tmux_version("tmux 3.10"), Some((3, 10)));
        assert_eq!(tmux_version("tmux next-3.6"), None);
    }
}
