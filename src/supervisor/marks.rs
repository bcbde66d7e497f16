//! What tmux shows of the jobs, decided: each worker's state mark (a window user option in
//! the windows layout, a pane title in the compact one) as it launches, as its agent changes
//! state and as it ends, and the counts in `status-right`, set again only when they change.
//! Pure: the executor carries the actions out.

use std::borrow::Cow;

use super::action::Action;
use super::state::State;
use crate::agent::AgentState;
use crate::register::JobEnd;

/// A worker's state, as its window or pane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mark {
    Running,
    /// Its agent waits for a person.
    Waiting,
    /// Its agent finished a turn and waits at its prompt.
    Idle,
    /// Its agent hit a usage or rate limit.
    Limited,
    /// Its agent's turn failed.
    Error,
    /// The job exited 0.
    Succeeded,
    /// The job ended otherwise: its exit code, its signal's name, or `lost`.
    Failed(String),
}

impl Mark {
    /// The mark for an agent's state; `None` for a session that ended (the job's end, a
    /// moment later, marks it).
    pub(crate) fn of_agent(state: AgentState) -> Option<Self> {
        match state {
            AgentState::Starting | AgentState::Working => Some(Self::Running),
            AgentState::WaitingInput => Some(Self::Waiting),
            AgentState::Idle => Some(Self::Idle),
            AgentState::RateLimited => Some(Self::Limited),
            AgentState::Error => Some(Self::Error),
            AgentState::Ended => None,
        }
    }

    /// The mark for a job's end; `None` when it never started (it has no pane).
    pub(crate) fn of_end(end: &JobEnd) -> Option<Self> {
        match end {
            JobEnd::Exited { code: 0 } => Some(Self::Succeeded),
            JobEnd::Exited { code } => Some(Self::Failed(code.to_string())),
            JobEnd::Signaled { signal } => Some(Self::Failed(signal.clone())),
            JobEnd::Lost { .. } => Some(Self::Failed("lost".to_owned())),
            JobEnd::NotStarted { .. } => None,
        }
    }

    /// The text tmux shows: short, as it sits next to a window's name.
    pub(crate) fn text(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Running => "run",
            Self::Waiting => crate::tmux::WAITING,
            Self::Idle => "idle",
            Self::Limited => "limit",
            Self::Error => "error",
            Self::Succeeded => "✓",
            Self::Failed(why) => return Cow::Owned(format!("✗ {why}")),
        })
    }
}

/// One job's new mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobMark {
    pub(crate) job: String,
    /// For a compact pane's title.
    pub(crate) task: String,
    pub(crate) mark: Mark,
}

/// One action for the marks, none for no marks (each action is a tmux client call).
pub(crate) fn mark_action(marks: Vec<JobMark>) -> Option<Action> {
    (!marks.is_empty()).then_some(Action::Mark { marks })
}

/// What the counts come to in `status-right`: `3/4 running · 1 waiting · 2 queued · ⚠ 1`,
/// the parts after the first only when not zero. Numbers only: no task text reaches it, so
/// nothing in it can be read as a format.
pub(crate) fn status_text(
    running: usize,
    max: u32,
    waiting: usize,
    queued: usize,
    alerts: usize,
) -> String {
    let mut text = format!("{running}/{max} running");
    for (n, what) in [(waiting, " waiting"), (queued, " queued")] {
        if n > 0 {
            text.push_str(&format!(" · {n}{what}"));
        }
    }
    if alerts > 0 {
        text.push_str(&format!(" · ⚠ {alerts}"));
    }
    text
}

/// The counts of the pass in progress for `status-right`, when they differ from what was
/// last set (and tmux answers: a set that cannot arrive is tried again once it does).
#[must_use]
pub(crate) fn status_right(state: &mut State) -> Option<Action> {
    let snapshot = &state.passes.current.as_ref()?.snapshot;
    if !state.health.tmux_ok() {
        return None;
    }
    let waiting = snapshot
        .workers
        .iter()
        .filter(|w| {
            w.agent
                .as_ref()
                .is_some_and(|a| a.state == AgentState::WaitingInput)
        })
        .count();
    let text = status_text(
        snapshot.counts.workers_live,
        state.config.dispatch.max_workers,
        waiting,
        snapshot.counts.queue,
        snapshot.counts.escalation_signals,
    );
    if state.passes.status_right.as_deref() == Some(text.as_str()) {
        return None;
    }
    state.passes.status_right = Some(text.clone());
    Some(Action::SetStatusRight { text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_and_end_has_its_mark() {
        let marks: Vec<_> = [
            AgentState::Starting,
            AgentState::Working,
            AgentState::WaitingInput,
            AgentState::Idle,
            AgentState::RateLimited,
            AgentState::Error,
            AgentState::Ended,
        ]
        .into_iter()
        .map(|s| Mark::of_agent(s).map(|m| m.text().into_owned()))
        .collect();
        let want = ["run", "run", "wait", "idle", "limit", "error"];
        assert_eq!(marks[..6], want.map(|w| Some(w.to_owned())));
        assert_eq!(marks[6], None);
        let end = |e: JobEnd| Mark::of_end(&e).map(|m| m.text().into_owned());
        assert_eq!(end(JobEnd::Exited { code: 0 }).as_deref(), Some("✓"));
        assert_eq!(end(JobEnd::Exited { code: 3 }).as_deref(), Some("✗ 3"));
        let signal = "SIGKILL".to_owned();
        assert_eq!(
            end(JobEnd::Signaled { signal }).as_deref(),
            Some("✗ SIGKILL")
        );
        let reason = "gone".to_owned();
        assert_eq!(end(JobEnd::Lost { reason }).as_deref(), Some("✗ lost"));
        let reason = "no worktree".to_owned();
        assert_eq!(end(JobEnd::NotStarted { reason }), None);
    }

    #[test]
    fn the_counts_show_what_is_not_zero() {
        assert_eq!(status_text(0, 4, 0, 0, 0), "0/4 running");
        assert_eq!(
            status_text(3, 4, 1, 2, 1),
            "3/4 running · 1 waiting · 2 queued · ⚠ 1"
        );
        assert_eq!(status_text(2, 2, 0, 5, 0), "2/2 running · 5 queued");
    }

    #[test]
    fn no_marks_no_call() {
        assert_eq!(mark_action(Vec::new()), None);
        let mark = JobMark {
            job: "j1".into(),
            task: "t".into(),
            mark: Mark::Running,
        };
        assert!(matches!(
            mark_action(vec![mark]),
            Some(Action::Mark { marks }) if marks.len() == 1
        ));
    }
}
