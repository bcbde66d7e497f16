//! Which tasks to launch now, and whether anything may be launched at all. Pure: the state,
//! the pass and `now` in; new register entries (in memory) and the save that must succeed
//! before any pane is made out.

use std::fmt;

use crate::agent::{
    AGENT_SETTINGS, AgentKind, CODEX_NOTIFY, HookTarget, codex_notify, expected_agent,
    settings_path,
};
use chrono::{DateTime, Utc};

use super::action::{Action, AfterSave, PassMode};
use super::event::Now;
use super::jobs::next_job_id;
use super::paths::RuntimePaths;
use super::protocol::Refusal;
use super::state::State;
use crate::config::{Config, WorktreeMode};
use crate::dispatch::{PROMPT_FILE, Placeholders, next_attempt, prompt_path};
use crate::heartbeat::Pass;
use crate::register::JobRecord;
use crate::task::Task;

/// Why nothing is launched now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Closed {
    RegisterUnreadable,
    /// tmux does not answer: a launch could not be known to have happened.
    TmuxUnanswered,
    TmuxGone,
    /// The register cannot be saved: a job is started only after its entry is on disk.
    StateUnwritable {
        path: String,
    },
    Stopping,
    /// A launch failed before its agent started a moment ago.
    LaunchHold {
        failures: u32,
        error: String,
    },
    /// The agent the jobs run hit its usage limit (until then, or until it resumes).
    UsageLimit {
        kind: AgentKind,
        until: Option<DateTime<Utc>>,
    },
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RegisterUnreadable => f.write_str("the register cannot be read"),
            Self::TmuxUnanswered => f.write_str("tmux does not answer"),
            Self::TmuxGone => f.write_str("the tmux server is gone"),
            Self::StateUnwritable { path } => write!(f, "{path} cannot be saved"),
            Self::Stopping => f.write_str("the supervisor is stopping"),
            Self::UsageLimit { kind, until } => match until {
                Some(u) => write!(
                    f,
                    "{kind} hit its usage limit; it resets at {}",
                    u.format("%Y-%m-%d %H:%M:%S UTC")
                ),
                None => write!(f, "{kind} hit its usage limit; waiting for it to resume"),
            },
            Self::LaunchHold { failures, error } => write!(
                f,
                "{failures} launch{} failed before the agent started ({error}); backing off",
                if *failures == 1 { "" } else { "es" }
            ),
        }
    }
}

/// Whether jobs may be launched now; `explicit` (`warden dispatch`) ignores the launch hold.
pub(crate) fn gate(state: &State, explicit: bool, now: Now) -> Result<(), Closed> {
    if state.jobs.register.is_err() {
        return Err(Closed::RegisterUnreadable);
    }
    if state.stop.stopping.is_some() {
        return Err(Closed::Stopping);
    }
    if state.health.tmux_gone.is_some() {
        return Err(Closed::TmuxGone);
    }
    if state.health.tmux_failing.is_some() {
        return Err(Closed::TmuxUnanswered);
    }
    if let Some(u) = &state.health.unwritable {
        return Err(Closed::StateUnwritable {
            path: u.path.display().to_string(),
        });
    }
    // A usage limit holds new jobs of that agent; `warden dispatch` is a person's choice.
    if !explicit
        && let Some(kind) =
            expected_agent(state.config.dispatch.agent, &state.config.dispatch.command)
        && let Some(until) = state.agents.limits.holds(kind, now.wall)
    {
        return Err(Closed::UsageLimit { kind, until });
    }
    if let Some(hold) = &state.jobs.launch_hold
        && !explicit
        && now.mono < hold.until
    {
        return Err(Closed::LaunchHold {
            failures: hold.failures,
            error: hold.error.clone(),
        });
    }
    Ok(())
}

/// The register entry for a new job. Touches nothing.
pub(crate) fn job_record(
    paths: &RuntimePaths,
    config: &Config,
    exe: &std::path::Path,
    task: &Task,
    job: &str,
    attempt: u32,
    now: DateTime<Utc>,
) -> JobRecord {
    let worktree = match config.dispatch.worktree {
        WorktreeMode::Git => Some(paths.worktree_for(task.id())),
        WorktreeMode::None => None,
    };
    let cwd = worktree.clone().unwrap_or_else(|| paths.root.clone());
    let agent = expected_agent(config.dispatch.agent, &config.dispatch.command);
    // `{prompt}` stays as written here: its text is rendered at launch, and the register
    // keeps the argv without it.
    let values = placeholders(paths, exe, task, job, attempt, &cwd, agent);
    let mut argv = values.expand_argv(&config.dispatch.command);
    resolve_program(&paths.root, &mut argv);
    JobRecord {
        job: job.to_owned(),
        task: task.id().to_owned(),
        attempt,
        argv,
        worktree: worktree.map(|w| paths.relative(&w)),
        pane: None,
        pid: None,
        started_at: now,
        ended_at: None,
        end: None,
        last_output_at: None,
        log_path: paths.relative(&paths.log_for(task.id())),
        killed: false,
        stopped: false,
        agent,
    }
}

/// The dispatch argv's values for one job, all but `{prompt}`.
pub(crate) fn placeholders(
    paths: &RuntimePaths,
    exe: &std::path::Path,
    task: &Task,
    job: &str,
    attempt: u32,
    cwd: &std::path::Path,
    agent: Option<AgentKind>,
) -> Placeholders {
    let hooks = HookTarget {
        exe,
        kind: agent.unwrap_or(AgentKind::Unknown),
        job,
        state: &paths.state,
        socket: &paths.reports,
    };
    Placeholders::new(
        task.id(),
        &paths.root.join(&task.path).to_string_lossy(),
        &cwd.to_string_lossy(),
        job,
        attempt,
    )
    .with(
        AGENT_SETTINGS,
        settings_path(&paths.jobs, job)
            .to_string_lossy()
            .into_owned(),
    )
    .with(CODEX_NOTIFY, codex_notify(&hooks))
    .with(
        PROMPT_FILE,
        prompt_path(&paths.jobs, job).to_string_lossy().into_owned(),
    )
}

/// Resolves a relative program path (`scripts/dispatch`) against the repository root, so it
/// is the same program whichever folder (a worktree) the job runs in. Bare names go to PATH.
pub(crate) fn resolve_program(root: &std::path::Path, argv: &mut [String]) {
    if let Some(first) = argv.first_mut()
        && first.contains('/')
        && std::path::Path::new(first.as_str()).is_relative()
    {
        *first = root.join(first.as_str()).to_string_lossy().into_owned();
    }
}

/// Adds an entry per task and asks for the save that must succeed before any pane is made.
fn enter(state: &mut State, tasks: &[&Task], mode: PassMode, now: Now) -> Vec<Action> {
    let State {
        jobs,
        paths,
        config,
        exe,
        ..
    } = state;
    let Ok(register) = &mut jobs.register else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    for task in tasks {
        let id = next_job_id(register);
        let attempt = next_attempt(register, task.id());
        let record = job_record(paths, config, exe, task, &id, attempt, now.wall);
        register.jobs.push(record);
        ids.push(id);
    }
    vec![Action::Save {
        then: AfterSave::Launch { jobs: ids, mode },
        durable: true,
    }]
}

/// The heartbeat's dispatch: queued tasks in order while worker slots are free. Empty when
/// there is nothing to launch or the gate is closed (detection says why).
pub(crate) fn dispatch_queue(
    state: &mut State,
    pass: &Pass,
    mode: PassMode,
    now: Now,
) -> Vec<Action> {
    if gate(state, false, now).is_err() {
        return Vec::new();
    }
    let max = usize::try_from(state.config.dispatch.max_workers).unwrap_or(usize::MAX);
    let free = max.saturating_sub(state.jobs.live().len());
    // A repository-wide budget spent stops the queue; a task over its own waits for
    // `warden retry`. `warden dispatch` is a person's choice and is not held.
    if pass.breaches.iter().any(|b| b.task.is_none()) {
        return Vec::new();
    }
    let over: std::collections::BTreeSet<&str> = pass
        .breaches
        .iter()
        .filter_map(|b| b.task.as_deref())
        .collect();
    let tasks: Vec<&Task> = pass
        .plan
        .queue
        .iter()
        .filter(|id| state.jobs.live_of(id).is_none() && !over.contains(id.as_str()))
        .filter_map(|id| pass.task(id))
        .take(free)
        .collect();
    if tasks.is_empty() {
        return Vec::new();
    }
    enter(state, &tasks, mode, now)
}

/// `warden dispatch TASK`: now, whatever the queue and the retry policy say.
pub(crate) fn dispatch_task(
    state: &mut State,
    pass: &Pass,
    task: &str,
    mode: PassMode,
    now: Now,
) -> Result<Vec<Action>, Refusal> {
    let Some(found) = pass.task(task) else {
        return Err(Refusal::UnknownTask {
            task: task.to_owned(),
            close: crate::task::close_ids(task, pass.plan.index.keys().map(String::as_str)),
        });
    };
    if state.jobs.register.is_err() {
        return Err(Refusal::RegisterUnreadable);
    }
    if state.jobs.live_of(task).is_some() {
        return Err(Refusal::AlreadyRunning {
            task: task.to_owned(),
        });
    }
    gate(state, true, now).map_err(|why| Refusal::DispatchClosed {
        why: why.to_string(),
    })?;
    Ok(enter(state, &[found], mode, now))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn relative_programs_resolve_against_the_root() {
        let mut argv = vec!["scripts/dispatch".to_owned(), "x".to_owned()];
        resolve_program(Path::new("/repo"), &mut argv);
        assert_eq!(argv[0], "/repo/scripts/dispatch");
        let mut argv = vec!["claude".to_owned()];
        resolve_program(Path::new("/repo"), &mut argv);
        assert_eq!(argv[0], "claude");
    }
}
