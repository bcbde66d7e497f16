//! The workspace hooks a wrapper runs around its agent (`[workspace]`): `after_create` once
//! per new worktree, `before_run` before the agent, `after_run` after it. The launcher writes
//! the plan beside the job's record (`<job>.workspace.json`); the wrapper reads it, so the
//! hooks run in the pane, their output in the log, and never block the supervisor. Each is
//! an argv (never a shell), in its own process group so a timeout kills all of it.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::escape::terminal_safe;

/// What the wrapper runs besides the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WorkspacePlan {
    /// Run when `created` does not exist yet; `created` is made once it succeeded.
    #[serde(default)]
    pub(crate) after_create: Vec<String>,
    #[serde(default)]
    pub(crate) created: Option<PathBuf>,
    #[serde(default)]
    pub(crate) before_run: Vec<String>,
    #[serde(default)]
    pub(crate) after_run: Vec<String>,
    pub(crate) timeout_secs: u64,
}

impl WorkspacePlan {
    pub(crate) fn is_empty(&self) -> bool {
        self.after_create.is_empty() && self.before_run.is_empty() && self.after_run.is_empty()
    }
}

/// `.warden/jobs/<job>.workspace.json`.
pub(crate) fn plan_path(jobs: &Path, job: &str) -> PathBuf {
    jobs.join(format!("{job}.workspace.json"))
}

/// The plan, or why it could not be read.
pub(crate) fn read_plan(path: &Path) -> Result<WorkspacePlan, String> {
    let text =
        std::fs::read(path).map_err(|e| format!("failed to read {}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("failed to read {}: {e}", path.display()))
}

/// How a hook went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HookEnd {
    Ok,
    /// Its exit code (124 for a timeout, 127/126 when it could not start), and why.
    Failed {
        code: i32,
        why: String,
    },
}

/// Where and with what a hook runs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HookEnv<'a> {
    /// Its folder (the wrapper's own when `None`).
    pub(crate) cwd: Option<&'a Path>,
    pub(crate) vars: &'a [(&'a str, String)],
}

/// Runs one hook to its end or its timeout, printing what runs (the pane is the log).
pub(crate) fn run_hook(
    name: &str,
    argv: &[String],
    timeout: Duration,
    env: HookEnv<'_>,
) -> HookEnd {
    let Some((program, rest)) = argv.split_first() else {
        return HookEnd::Ok;
    };
    eprintln!("[warden] {name}: {}", terminal_safe(&argv.join(" ")));
    let mut command = Command::new(program);
    command
        .args(rest)
        .envs(env.vars.iter().map(|(k, v)| (*k, v)))
        .process_group(0);
    if let Some(cwd) = env.cwd {
        command.current_dir(cwd);
    }
    let child = command.spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            return HookEnd::Failed {
                code,
                why: format!("{name} could not start {}: {e}", terminal_safe(program)),
            };
        }
    };
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return match (status.code(), status.signal()) {
                    (Some(0), _) => HookEnd::Ok,
                    (Some(code), _) => HookEnd::Failed {
                        code,
                        why: format!("{name} exited with code {code}"),
                    },
                    (None, sig) => HookEnd::Failed {
                        code: 128 + sig.unwrap_or(0),
                        why: format!("{name} was killed by signal {}", sig.unwrap_or(0)),
                    },
                };
            }
            Ok(None) if Instant::now() >= deadline => {
                // The hook leads its own group: all of it goes.
                if let Ok(pid) = i32::try_from(child.id()) {
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                let _ = child.wait();
                return HookEnd::Failed {
                    code: 124,
                    why: format!("{name} did not finish within {}s", timeout.as_secs()),
                };
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(e) => {
                return HookEnd::Failed {
                    code: 1,
                    why: format!("failed to wait for {name}: {e}"),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn a_hook_ends_ok_failed_missing_or_timed_out() {
        let t = Duration::from_secs(5);
        assert_eq!(
            run_hook("before_run", &argv(&["true"]), t, HookEnv::default()),
            HookEnd::Ok
        );
        assert_eq!(
            run_hook("before_run", &[], t, HookEnv::default()),
            HookEnd::Ok
        );
        assert!(matches!(
            run_hook(
                "before_run",
                &argv(&["sh", "-c", "exit 3"]),
                t,
                HookEnv::default()
            ),
            HookEnd::Failed { code: 3, .. }
        ));
        assert!(matches!(
            run_hook(
                "after_create",
                &argv(&["/no/such/hook"]),
                t,
                HookEnv::default()
            ),
            HookEnd::Failed { code: 127, .. }
        ));
        let start = Instant::now();
        // A child of the hook is killed with it: the whole group goes.
        let slow = argv(&["sh", "-c", "sleep 30 & sleep 30"]);
        assert!(matches!(
            run_hook(
                "before_run",
                &slow,
                Duration::from_millis(300),
                HookEnv::default()
            ),
            HookEnd::Failed { code: 124, .. }
        ));
        assert!(start.elapsed() < Duration::from_secs(5));
        let env = run_hook(
            "after_run",
            &argv(&["sh", "-c", "test \"$WARDEN_JOB_END\" = 'exit 3'"]),
            t,
            HookEnv {
                cwd: None,
                vars: &[("WARDEN_JOB_END", "exit 3".to_owned())],
            },
        );
        assert_eq!(env, HookEnd::Ok);
    }

    #[test]
    fn the_plan_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = WorkspacePlan {
            after_create: argv(&["make", "deps"]),
            created: Some(dir.path().join("t.created")),
            before_run: Vec::new(),
            after_run: argv(&["true"]),
            timeout_secs: 60,
        };
        let path = plan_path(dir.path(), "j1");
        std::fs::write(&path, serde_json::to_vec(&plan).expect("json")).expect("write");
        assert_eq!(read_plan(&path), Ok(plan));
        assert!(read_plan(&dir.path().join("none.json")).is_err());
    }
}
