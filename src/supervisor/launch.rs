//! Starting one job: the register entry is made first (intent), then the worktree, the
//! pane running `warden run-worker -- <dispatch argv>`, the log attached with `pipe-pane`,
//! and last the "go" file that lets the wrapper start the agent, so no early output is lost.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};

use super::paths::RuntimePaths;
use crate::config::{Config, WorktreeMode};
use crate::dispatch::{Placeholders, safe_name};
use crate::layout::{Layout, WorkerPlacement};
use crate::register::JobRecord;
use crate::task::Task;
use crate::tmux::{Batch, NewPane, Spawn, Tmux, TmuxError, TmuxPort, WindowSpec};

#[derive(Debug, thiserror::Error)]
pub(crate) enum LaunchError {
    #[error("failed to make worktree {path}: {message}")]
    Worktree { path: PathBuf, message: String },
    #[error("failed to open log {path}: {source}")]
    Log {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tmux(#[from] TmuxError),
    #[error("failed to create {path}: {source}")]
    Go {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A job whose worktree and log exist, with its pane's command worked out.
struct Ready {
    argv: Vec<String>,
    cwd: PathBuf,
    env: Vec<(String, String)>,
    pipe: String,
    name: String,
    go: PathBuf,
}

/// What launching needs from the supervisor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Launcher<'a> {
    pub(crate) paths: &'a RuntimePaths,
    pub(crate) config: &'a Config,
    pub(crate) tmux: &'a Tmux,
    pub(crate) layout: &'a Layout,
    /// The `warden` binary the panes run as their wrapper.
    pub(crate) exe: &'a Path,
}

/// Resolves a relative program path (`scripts/dispatch`) against the repository root, so it
/// is the same program whichever folder (a worktree) the job runs in. Bare names go to PATH.
fn resolve_program(root: &Path, argv: &mut [String]) {
    if let Some(first) = argv.first_mut()
        && first.contains('/')
        && Path::new(first.as_str()).is_relative()
    {
        *first = root.join(first.as_str()).to_string_lossy().into_owned();
    }
}

/// Shell-quotes one word for `pipe-pane`, the only place warden hands tmux a shell string.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Launcher<'_> {
    /// The register entry for a new job. Touches nothing.
    pub(crate) fn prepare(
        &self,
        task: &Task,
        job: &str,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> JobRecord {
        let worktree = match self.config.dispatch.worktree {
            WorktreeMode::Git => Some(self.paths.worktree_for(task.id())),
            WorktreeMode::None => None,
        };
        let task_file = self.paths.root.join(&task.path);
        let cwd = worktree.clone().unwrap_or_else(|| self.paths.root.clone());
        let values = Placeholders::new(
            task.id(),
            &task_file.to_string_lossy(),
            &cwd.to_string_lossy(),
            job,
            attempt,
        );
        let mut argv = values.expand_argv(&self.config.dispatch.command);
        resolve_program(&self.paths.root, &mut argv);
        JobRecord {
            job: job.to_owned(),
            task: task.id().to_owned(),
            attempt,
            argv,
            worktree: worktree.map(|w| self.paths.relative(&w)),
            pane: None,
            pid: None,
            started_at: now,
            ended_at: None,
            end: None,
            last_output_at: None,
            log_path: self.paths.relative(&self.paths.log_for(task.id())),
            killed: false,
            stopped: false,
        }
    }

    /// Makes the job's worktree and log header, and works out the pane's command.
    fn ready(&self, record: &JobRecord, task: &Task) -> Result<Ready, LaunchError> {
        let root = &self.paths.root;
        let cwd = match &record.worktree {
            Some(rel) => {
                let path = root.join(rel);
                self.ensure_worktree(&path, task.id())?;
                path
            }
            None => root.clone(),
        };
        // A register reset (deleted by hand) restarts job ids: a stale record of an old job
        // with the same id must not be read as this one's.
        let _ = std::fs::remove_file(crate::worker::record_path(&self.paths.jobs, &record.job));
        let log = root.join(&record.log_path);
        self.log_header(&log, record)?;
        let task_file = root.join(&task.path);
        let mut env = Placeholders::new(
            task.id(),
            &task_file.to_string_lossy(),
            &cwd.to_string_lossy(),
            &record.job,
            record.attempt,
        )
        .env();
        env.push((
            "WARDEN_LOG_FILE".to_owned(),
            log.to_string_lossy().into_owned(),
        ));
        env.push((
            "WARDEN_ROOT".to_owned(),
            root.to_string_lossy().into_owned(),
        ));
        let go = self.paths.go_file(&record.job);
        let mut argv = vec![
            self.exe.to_string_lossy().into_owned(),
            "run-worker".to_owned(),
            "--job".to_owned(),
            record.job.clone(),
            "--record".to_owned(),
            crate::worker::record_path(&self.paths.jobs, &record.job)
                .to_string_lossy()
                .into_owned(),
            "--report".to_owned(),
            self.paths.reports.to_string_lossy().into_owned(),
            "--go".to_owned(),
            go.to_string_lossy().into_owned(),
            "--".to_owned(),
        ];
        argv.extend(record.argv.iter().cloned());
        Ok(Ready {
            argv,
            cwd,
            env,
            pipe: format!("exec cat >> {}", sh_quote(&log.to_string_lossy())),
            name: format!(
                "{}-{}",
                self.layout.worker_window_prefix,
                safe_name(task.id())
            ),
            go,
        })
    }

    fn release(go: &Path, jobs: &Path) -> Result<(), LaunchError> {
        std::fs::create_dir_all(jobs)
            .and_then(|()| std::fs::write(go, b""))
            .map_err(|source| LaunchError::Go {
                path: go.to_path_buf(),
                source,
            })
    }

    /// Starts every job: worktrees and logs first, then the panes (for one window per worker,
    /// all in a single tmux call), then the "go" files. One result per job, in order.
    pub(crate) fn start_all(
        &self,
        jobs: &[(JobRecord, Task)],
    ) -> Vec<Result<NewPane, LaunchError>> {
        let readied: Vec<Result<Ready, LaunchError>> =
            jobs.iter().map(|(r, t)| self.ready(r, t)).collect();
        let mut placed: Vec<Option<Result<NewPane, LaunchError>>> =
            (0..jobs.len()).map(|_| None).collect();
        if self.layout.workers == WorkerPlacement::Windows {
            let batch: Vec<(usize, &Ready)> = readied
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.as_ref().ok().map(|r| (i, r)))
                .collect();
            let specs: Vec<WindowSpec<'_>> = batch
                .iter()
                .map(|(i, r)| WindowSpec {
                    name: &r.name,
                    spawn: Spawn {
                        argv: &r.argv,
                        cwd: &r.cwd,
                        env: &r.env,
                    },
                    job: Some(&jobs[*i].0.job),
                    pipe: Some(&r.pipe),
                })
                .collect();
            let Batch { made, mut error } = self.tmux.new_windows(&self.paths.session, &specs);
            let why = error.as_ref().map_or_else(
                || "tmux made fewer windows than asked".to_owned(),
                ToString::to_string,
            );
            let mut panes = made.into_iter();
            for (i, _) in &batch {
                // The first job left out gets the typed error; the rest get its text.
                placed[*i] = Some(panes.next().ok_or_else(|| {
                    LaunchError::Tmux(error.take().unwrap_or_else(|| TmuxError::Refused {
                        command: "new-window".to_owned(),
                        stderr: why.clone(),
                    }))
                }));
            }
        }
        readied
            .into_iter()
            .zip(placed)
            .zip(jobs)
            .map(|((ready, placed), (record, _))| {
                let ready = ready?;
                let pane = match placed {
                    Some(result) => result?,
                    None => self.place(&ready, &record.job)?,
                };
                Self::release(&ready.go, &self.paths.jobs)?;
                Ok(pane)
            })
            .collect()
    }

    /// One pane for one job, per the layout (the tiled layout; windows go in batches).
    fn place(&self, ready: &Ready, job: &str) -> Result<NewPane, LaunchError> {
        let session = &self.paths.session;
        let prefix = &self.layout.worker_window_prefix;
        let spawn = Spawn {
            argv: &ready.argv,
            cwd: &ready.cwd,
            env: &ready.env,
        };
        if self.layout.workers == WorkerPlacement::Windows {
            let spec = WindowSpec {
                name: &ready.name,
                spawn,
                job: Some(job),
                pipe: Some(&ready.pipe),
            };
            return Ok(self.tmux.new_window(session, &spec)?);
        }
        // The newest worker window with room, else a new one.
        let panes = self.tmux.list_panes(session)?;
        let mut counts: Vec<(String, usize)> = Vec::new();
        for p in panes
            .iter()
            .filter(|p| p.window_name.starts_with(prefix.as_str()) && p.job.is_some())
        {
            match counts.iter_mut().find(|(w, _)| *w == p.window_id) {
                Some(entry) => entry.1 += 1,
                None => counts.push((p.window_id.clone(), 1)),
            }
        }
        let limit = usize::from(self.layout.panes_per_window.max(1));
        match counts.iter().rev().find(|(_, n)| *n < limit) {
            Some((window, _)) => {
                Ok(self
                    .tmux
                    .split_window(window, &spawn, Some(job), Some(&ready.pipe))?)
            }
            None => {
                // Numbered after the highest existing one, so a closed window's name is never reused.
                let next = panes
                    .iter()
                    .filter_map(|p| {
                        p.window_name
                            .strip_prefix(prefix.as_str())?
                            .parse::<u32>()
                            .ok()
                    })
                    .max()
                    .unwrap_or(0)
                    + 1;
                let name = format!("{prefix}{next}");
                let spec = WindowSpec {
                    name: &name,
                    spawn,
                    job: Some(job),
                    pipe: Some(&ready.pipe),
                };
                Ok(self.tmux.new_window(session, &spec)?)
            }
        }
    }

    fn log_header(&self, log: &Path, record: &JobRecord) -> Result<(), LaunchError> {
        let err = |source| LaunchError::Log {
            path: log.to_path_buf(),
            source,
        };
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(err)?;
        writeln!(
            file,
            "=== warden: {} attempt {} of {} started {} ===",
            record.job,
            record.attempt,
            record.task,
            record.started_at.format("%Y-%m-%dT%H:%M:%SZ")
        )
        .map_err(err)
    }

    /// `git worktree add` on a branch `<prefix><task>`; an existing worktree is reused (a
    /// retry continues where the last attempt left off).
    fn ensure_worktree(&self, path: &Path, task: &str) -> Result<(), LaunchError> {
        if path.join(".git").exists() {
            return Ok(());
        }
        let branch = format!("{}{}", self.config.dispatch.branch_prefix, safe_name(task));
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(&self.paths.root)
                .args(args)
                .output()
        };
        let path_s = path.to_string_lossy();
        let branch_exists = git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ])
        .is_ok_and(|o| o.status.success());
        let out = if branch_exists {
            git(&["worktree", "add", &path_s, &branch])
        } else {
            git(&["worktree", "add", "-b", &branch, &path_s, "HEAD"])
        };
        match out {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(LaunchError::Worktree {
                path: path.to_path_buf(),
                // One line: it ends up in a signal's message.
                message: String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
            Err(e) => Err(LaunchError::Worktree {
                path: path.to_path_buf(),
                message: format!("failed to run git: {e}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_program_resolution() {
        assert_eq!(sh_quote("/a b/it's.log"), r"'/a b/it'\''s.log'");
        let mut argv = vec!["scripts/dispatch".to_owned(), "x".to_owned()];
        resolve_program(Path::new("/repo"), &mut argv);
        assert_eq!(argv[0], "/repo/scripts/dispatch");
        let mut argv = vec!["claude".to_owned()];
        resolve_program(Path::new("/repo"), &mut argv);
        assert_eq!(argv[0], "claude");
    }
}
