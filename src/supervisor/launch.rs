//! Carrying out a launch: the register entries are on disk already (a job is started only
//! after its record is), so this makes each job's worktree and log header, then its pane
//! running `warden run-worker -- <dispatch argv>`, tagged and piped to its log in the same
//! tmux call. Windows go in batches; a batch tmux refuses is retried job by job so only the
//! job tmux really refuses fails. The wrapper waits for its go file, which the supervisor
//! makes once the pane is known (`Action::Release`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::action::LaunchOutcome;
use super::dispatch::{placeholders, resolve_program};
use super::paths::RuntimePaths;
use super::prompt_file::{PromptJob, previous_of, read_template};
use crate::agent::{AgentKind, HookTarget, claude_settings, settings_path};
use crate::config::{Config, PROMPT_ARG_MAX};
use crate::dispatch::{PROMPT, safe_name, worker_window};
use crate::escape::terminal_safe;
use crate::layout::{Layout, WorkerPlacement};
use crate::register::JobRecord;
use crate::state::{
    FolderMode, Open, PathError, check_no_links, ensure_folder, open_private, write_replace,
};
use crate::task::{IdProblem, Task, check_id};
use crate::tmux::{NewPane, Spawn, TmuxError, TmuxPort, WindowSpec, append_to};
use crate::worker::{WorkspacePlan, WrapperArgs, plan_path, record_path};

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
    /// The parser refuses such ids; this keeps one that got past it from reaching tmux.
    #[error("failed to launch task {task}: its id {problem}")]
    Id { task: String, problem: IdProblem },
    /// A link where the worktree, the log or the go file's folder goes (or not a file).
    #[error(transparent)]
    Refused(#[from] PathError),
    /// A file the job needs before it starts (hook settings, workspace plan) could not be written.
    #[error("{0}")]
    Prepare(String),
    /// The prompt could not be rendered or written, or is too long for `{prompt}`.
    #[error("{0}")]
    Prompt(String),
}

/// A job whose worktree and log exist, with its pane's command worked out.
struct Ready {
    argv: Vec<String>,
    cwd: PathBuf,
    env: Vec<(String, String)>,
    pipe: String,
    name: String,
}

/// What launching needs, borrowed from the supervisor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Launcher<'a> {
    pub(crate) paths: &'a RuntimePaths,
    pub(crate) config: &'a Config,
    pub(crate) port: &'a dyn TmuxPort,
    pub(crate) layout: &'a Layout,
    /// The `warden` binary the panes run as their wrapper.
    pub(crate) exe: &'a Path,
    /// The register's jobs: a retry's prompt tells how the previous attempt ended.
    pub(crate) jobs: &'a [JobRecord],
}

fn outcome_of(e: &TmuxError) -> LaunchOutcome {
    if e.is_unanswered() {
        LaunchOutcome::Unknown(e.to_string())
    } else {
        LaunchOutcome::Failed(e.to_string())
    }
}

impl Launcher<'_> {
    /// Launches every job; one outcome per job, in order.
    pub(crate) fn launch(&self, jobs: &[(&JobRecord, &Task)]) -> Vec<LaunchOutcome> {
        let readied: Vec<Result<Ready, LaunchError>> =
            jobs.iter().map(|(r, t)| self.ready(r, t)).collect();
        let mut out: Vec<Option<LaunchOutcome>> = readied
            .iter()
            .map(|r| {
                r.as_ref()
                    .err()
                    .map(|e| LaunchOutcome::Failed(e.to_string()))
            })
            .collect();
        let ready: Vec<(usize, &Ready)> = readied
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().ok().map(|r| (i, r)))
            .collect();
        match self.layout.workers {
            WorkerPlacement::Windows => {
                let specs: Vec<WindowSpec<'_>> = ready
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
                let index: Vec<usize> = ready.iter().map(|(i, _)| *i).collect();
                for (k, outcome) in self.windows(&specs).into_iter().enumerate() {
                    out[index[k]] = Some(outcome);
                }
            }
            WorkerPlacement::Tiled => {
                let mut unanswered = None;
                for (i, r) in &ready {
                    let outcome = match &unanswered {
                        // tmux stopped answering: asking again costs a timeout per job.
                        Some(e) => LaunchOutcome::Unknown(format!("not tried: {e}")),
                        None => match self.tile(r, &jobs[*i].0.job) {
                            Ok(pane) => LaunchOutcome::Made(pane),
                            Err(e) => {
                                if e.is_unanswered() {
                                    unanswered = Some(e.to_string());
                                }
                                outcome_of(&e)
                            }
                        },
                    };
                    out[*i] = Some(outcome);
                }
            }
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| LaunchOutcome::Failed("not placed".to_owned())))
            .collect()
    }

    /// Windows in as few tmux calls as it takes. tmux stops a batch at the first command it
    /// refuses; that job is tried alone to tell its own refusal from its batch's, then the
    /// rest goes on in batches. An unanswered call leaves the rest unknown.
    fn windows(&self, specs: &[WindowSpec<'_>]) -> Vec<LaunchOutcome> {
        let session = &self.paths.session;
        let mut out = Vec::with_capacity(specs.len());
        let mut rest = specs;
        while !rest.is_empty() {
            let batch = self.port.new_windows(session, rest);
            let made = batch.made.len().min(rest.len());
            out.extend(batch.made.into_iter().take(made).map(LaunchOutcome::Made));
            rest = &rest[made..];
            let Some(error) = batch.error else {
                // Every spec made (or tmux printed fewer panes than it made windows).
                out.extend(rest.iter().map(|_| {
                    LaunchOutcome::Failed("tmux made fewer windows than asked".to_owned())
                }));
                break;
            };
            let Some((first, after)) = rest.split_first() else {
                break;
            };
            if error.is_unanswered() {
                out.extend(rest.iter().map(|_| outcome_of(&error)));
                break;
            }
            let alone = if made == 0 && after.is_empty() {
                Err(error)
            } else {
                self.port.new_window(session, first)
            };
            match alone {
                Ok(pane) => out.push(LaunchOutcome::Made(pane)),
                Err(e) if e.is_unanswered() => {
                    out.extend(rest.iter().map(|_| outcome_of(&e)));
                    break;
                }
                Err(e) => out.push(LaunchOutcome::Failed(e.to_string())),
            }
            rest = after;
        }
        out
    }

    /// One pane in the newest worker window with room, else a new window (tiled layout).
    fn tile(&self, ready: &Ready, job: &str) -> Result<NewPane, TmuxError> {
        let session = &self.paths.session;
        let prefix = &self.layout.worker_window_prefix;
        let spawn = Spawn {
            argv: &ready.argv,
            cwd: &ready.cwd,
            env: &ready.env,
        };
        let panes = self.port.list_panes(session)?;
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
        if let Some((window, _)) = counts.iter().rev().find(|(_, n)| *n < limit) {
            return self
                .port
                .split_window(window, &spawn, Some(job), Some(&ready.pipe));
        }
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
        self.port.new_window(
            session,
            &WindowSpec {
                name: &name,
                spawn,
                job: Some(job),
                pipe: Some(&ready.pipe),
            },
        )
    }

    /// The workspace hooks' plan beside the job's record, when `[workspace]` has any for a
    /// run. `after_create` runs once per worktree: until its marker exists.
    fn workspace_plan(
        &self,
        record: &JobRecord,
        task: &Task,
    ) -> Result<Option<PathBuf>, LaunchError> {
        let w = &self.config.workspace;
        let created = match &record.worktree {
            Some(_) if !w.after_create.is_empty() => {
                let dir = self.paths.state.join("workspaces");
                ensure_folder(&dir, FolderMode::Private)?;
                Some(dir.join(format!("{}.created", safe_name(task.id()))))
            }
            _ => None,
        };
        let plan = WorkspacePlan {
            after_create: if created.is_some() {
                w.after_create.clone()
            } else {
                Vec::new()
            },
            created,
            before_run: w.before_run.clone(),
            after_run: w.after_run.clone(),
            timeout_secs: w.hook_timeout.as_secs(),
        };
        if plan.is_empty() {
            return Ok(None);
        }
        let path = plan_path(&self.paths.jobs, &record.job);
        let bytes =
            serde_json::to_vec_pretty(&plan).map_err(|e| LaunchError::Prepare(e.to_string()))?;
        write_replace(&path, &bytes).map_err(|e| LaunchError::Prepare(e.to_string()))?;
        Ok(Some(path))
    }

    /// Where the job's hooks report.
    fn hooks<'r>(&'r self, record: &'r JobRecord) -> HookTarget<'r> {
        HookTarget {
            exe: self.exe,
            kind: record.agent.unwrap_or(AgentKind::Unknown),
            job: &record.job,
            state: &self.paths.state,
            socket: &self.paths.reports,
        }
    }

    /// Makes the job's worktree and log header, and works out the pane's command.
    fn ready(&self, record: &JobRecord, task: &Task) -> Result<Ready, LaunchError> {
        check_id(task.id()).map_err(|problem| LaunchError::Id {
            task: format!("{:?}", task.id()),
            problem,
        })?;
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
        let _ = std::fs::remove_file(record_path(&self.paths.jobs, &record.job));
        // The wrapper's own folder for its go file: it watches that folder from its start.
        let go = self.paths.go_file(&record.job);
        if let Some(dir) = go.parent() {
            ensure_folder(dir, FolderMode::Private)?;
        }
        let hooks = self.hooks(record);
        let values = placeholders(
            self.paths,
            self.exe,
            task,
            &record.job,
            record.attempt,
            &cwd,
            record.agent,
        );
        let mut env = values.env();
        let prompt = self.prompt(record, task, &cwd)?;
        if let Some(kind) = record.agent {
            // The hooks' settings exist before the agent that reads them.
            write_replace(
                &settings_path(&self.paths.jobs, &record.job),
                claude_settings(&hooks).as_bytes(),
            )
            .map_err(|e| LaunchError::Prepare(e.to_string()))?;
            for (k, v) in [
                ("WARDEN_AGENT", kind.as_str().to_owned()),
                (
                    "WARDEN_STATE_DIR",
                    self.paths.state.to_string_lossy().into_owned(),
                ),
                (
                    "WARDEN_REPORT_SOCKET",
                    self.paths.reports.to_string_lossy().into_owned(),
                ),
            ] {
                env.push((k.to_owned(), v));
            }
        }
        let log = root.join(&record.log_path);
        self.log_header(&log, record)?;
        env.push((
            "WARDEN_LOG_FILE".to_owned(),
            log.to_string_lossy().into_owned(),
        ));
        env.push((
            "WARDEN_ROOT".to_owned(),
            root.to_string_lossy().into_owned(),
        ));
        let workspace = self.workspace_plan(record, task)?;
        let argv = WrapperArgs {
            job: record.job.clone(),
            record: record_path(&self.paths.jobs, &record.job),
            report: Some(self.paths.reports.clone()),
            go: Some(go),
            env: Vec::new(),
            workspace,
            argv: self.argv(record, values, prompt)?,
        }
        .to_argv(self.exe);
        Ok(Ready {
            argv,
            cwd,
            env,
            pipe: append_to(&log),
            name: worker_window(&self.layout.worker_window_prefix, task.id(), record.attempt),
        })
    }

    /// Renders the job's prompt into its file before the pane exists; its text.
    fn prompt(&self, record: &JobRecord, task: &Task, cwd: &Path) -> Result<String, LaunchError> {
        let template = read_template(&self.paths.root, self.config)
            .map_err(|e| LaunchError::Prompt(e.to_string()))?;
        PromptJob {
            root: &self.paths.root,
            jobs_dir: &self.paths.jobs,
            record,
            task,
            cwd,
            previous: previous_of(self.jobs, record),
        }
        .write(&template)
        .map_err(LaunchError::Prompt)
    }

    /// The register's argv, or with `{prompt}` the configured command expanded again with
    /// the text (one argument, no shell), refused when tmux or the kernel would refuse it.
    fn argv(
        &self,
        record: &JobRecord,
        values: crate::dispatch::Placeholders,
        prompt: String,
    ) -> Result<Vec<String>, LaunchError> {
        let command = &self.config.dispatch.command;
        if !command.iter().any(|a| a.contains("{prompt}")) {
            return Ok(record.argv.clone());
        }
        let size = prompt.len();
        if u64::try_from(size).map_or(true, |n| n > PROMPT_ARG_MAX) {
            return Err(LaunchError::Prompt(format!(
                "failed to launch task {:?}: its prompt is {size} bytes, more than the {PROMPT_ARG_MAX} that {{prompt}} can pass as one argument (tmux refuses a command over about 16 KiB); pass it by file with {{prompt_file}}",
                record.task
            )));
        }
        let mut argv = values.with(PROMPT, prompt).expand_argv(command);
        resolve_program(&self.paths.root, &mut argv);
        Ok(argv)
    }

    /// Appends the attempt's header. The log is opened without following a link, before
    /// the pane exists: tmux's `cat >> log` would follow one, so a linked log fails the
    /// launch here and the agent never starts.
    fn log_header(&self, log: &Path, record: &JobRecord) -> Result<(), LaunchError> {
        let mut file = open_private(log, Open::Append)?;
        writeln!(
            file,
            "=== warden: {} attempt {} of {} started {} ===",
            record.job,
            record.attempt,
            terminal_safe(&record.task),
            record.started_at.format("%Y-%m-%dT%H:%M:%SZ")
        )
        .map_err(|source| LaunchError::Log {
            path: log.to_path_buf(),
            source,
        })
    }

    /// `git worktree add` on a branch `<prefix><task>`; an existing worktree is reused (a
    /// retry continues where the last attempt left off).
    fn ensure_worktree(&self, path: &Path, task: &str) -> Result<(), LaunchError> {
        // A linked worktree (or worktrees folder) would have the agent work elsewhere.
        check_no_links(path)?;
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
