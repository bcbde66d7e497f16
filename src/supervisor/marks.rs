//! What tmux shows of the jobs, decided: each worker's state mark (a window user option in
//! the windows layout, a pane title in the compact one) as it launches, as its agent changes
//! state and as it ends, and the counts in `status-right`, set again only when they change.
//! Pure: the executor carries the actions out.

use super::action::Action;
use super::state::State;
use crate::agent::AgentState;

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
    use crate::register::JobEnd;
    use crate::supervisor::mark::{JobMark, Mark};

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
        assert_eq!(Action::mark(Vec::new()), None);
        let mark = JobMark {
            job: "j1".into(),
            task: "t".into(),
            mark: Mark::Running,
        };
        assert!(matches!(
            Action::mark(vec![mark]),
            Some(Action::Mark { marks }) if marks.len() == 1
        ));
    }
}
