//! `warden clean [--force]`: removes the worktrees of completed and cancelled tasks, after
//! `[workspace] before_remove`, with `git worktree remove`. A worktree with uncommitted
//! changes is kept unless `--force`; one whose task has a live job is never touched.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::output::print;
use crate::dispatch::safe_name;
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;
use crate::task::Status;
use crate::worker::{HookEnd, HookEnv, run_hook};

/// What happened to one worktree.
enum Outcome {
    Removed,
    Kept(String),
    Failed(String),
}

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("failed to run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; "))
    }
}

fn clean_one(
    root: &Path,
    worktree: &Path,
    before_remove: &[String],
    timeout: Duration,
    force: bool,
) -> Outcome {
    match git(worktree, &["status", "--porcelain"]) {
        Ok(changes) if !changes.trim().is_empty() && !force => {
            return Outcome::Kept("uncommitted changes (--force removes it anyway)".to_owned());
        }
        Err(e) if !force => return Outcome::Kept(format!("git cannot read it ({e})")),
        _ => {}
    }
    // The hook runs in the worktree it is about to lose.
    let env = HookEnv {
        cwd: Some(worktree),
        vars: &[],
    };
    if let HookEnd::Failed { why, .. } = run_hook("before_remove", before_remove, timeout, env) {
        return Outcome::Failed(why);
    }
    let path = worktree.to_string_lossy();
    let mut args = vec!["worktree", "remove"];
    if force {
        args.push("--force");
    }
    args.push(&path);
    match git(root, &args) {
        Ok(_) => Outcome::Removed,
        Err(e) => Outcome::Failed(format!("git worktree remove: {e}")),
    }
}

pub(crate) fn run(mut tier1: Tier1, force: bool) -> Result<ExitCode, Error> {
    let pass = tier1.pass(crate::clock::now());
    let loaded = tier1.loaded();
    let root = loaded.root.clone();
    let config = &loaded.config;
    let worktrees = loaded.resolve(&config.paths.worktrees);
    let state = loaded.resolve(&config.paths.state);
    let mut out = String::new();
    let mut failed = 0;
    let mut touched = 0;
    for task in &pass.snapshot.tasks {
        if !matches!(task.status, Status::Completed | Status::Cancelled) {
            continue;
        }
        let name = safe_name(&task.id);
        let worktree = worktrees.join(&name);
        // Only a real folder of ours: never through a link.
        if !std::fs::symlink_metadata(&worktree).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        touched += 1;
        let shown = terminal_safe(
            &worktree
                .strip_prefix(&root)
                .unwrap_or(&worktree)
                .to_string_lossy(),
        )
        .into_owned();
        if task.worker.is_some() {
            out.push_str(&format!("kept     {shown} (a job still runs for it)\n"));
            continue;
        }
        match clean_one(
            &root,
            &worktree,
            &config.workspace.before_remove,
            config.workspace.hook_timeout.to_std(),
            force,
        ) {
            Outcome::Removed => {
                let _ =
                    std::fs::remove_file(state.join("workspaces").join(format!("{name}.created")));
                out.push_str(&format!("removed  {shown} ({})\n", task.status));
            }
            Outcome::Kept(why) => {
                out.push_str(&format!("kept     {shown}: {}\n", terminal_safe(&why)))
            }
            Outcome::Failed(why) => {
                failed += 1;
                out.push_str(&format!("FAILED   {shown}: {}\n", terminal_safe(&why)));
            }
        }
    }
    if touched == 0 {
        out.push_str("no worktrees of completed or cancelled tasks\n");
    }
    print(&out)?;
    if failed > 0 {
        return Err(Error::Failed(format!(
            "failed to remove {failed} worktree{}",
            if failed == 1 { "" } else { "s" }
        )));
    }
    Ok(ExitCode::Ok)
}
