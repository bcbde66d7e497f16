//! The executor's part for agents: a person told when an agent needs them
//! (`notify_command` with the task, the state and the agent's message in its environment),
//! a line typed into an agent's prompt.

use super::action::Action;
use super::executor::Executor;
use super::notifier::run_notify_command;
use super::state::State;
use crate::escape::terminal_safe;

impl Executor {
    /// The live job's record, from the register.
    fn live_job<'s>(state: &'s State, job: &str) -> Option<&'s crate::register::JobRecord> {
        state
            .jobs
            .register
            .as_ref()
            .ok()
            .and_then(|r| r.jobs.iter().find(|j| j.job == job && j.is_live()))
    }

    /// The live job's pane.
    fn pane_of(state: &State, job: &str) -> Option<String> {
        Self::live_job(state, job).and_then(|j| j.pane.clone())
    }

    pub(super) fn agent_action(&self, action: Action, state: &State) {
        match action {
            Action::AgentNotice {
                job,
                task,
                notice,
                message,
            } => {
                // The agent's own words: escaped before a terminal or tmux sees them.
                let message = terminal_safe(&message).into_owned();
                tracing::warn!("{message}");
                self.notify(state, &message, true);
                let env = [
                    ("WARDEN_TASK", terminal_safe(&task).into_owned()),
                    ("WARDEN_JOB", job.unwrap_or_default()),
                    ("WARDEN_AGENT_STATE", notice.as_str().to_owned()),
                    ("WARDEN_AGENT_MESSAGE", message.clone()),
                ];
                run_notify_command(&state.config.escalation.notify_command, &message, &env);
            }
            Action::TypeLine { job, text } => {
                let Some(pane) = Self::pane_of(state, &job) else {
                    tracing::warn!("failed to type into {job}: it has no pane");
                    return;
                };
                match self.port.type_line(&pane, &text) {
                    Ok(()) => tracing::info!("typed {:?} into {job}", terminal_safe(&text)),
                    Err(e) => tracing::warn!("failed to type into {job}: {e}"),
                }
            }
            _ => {}
        }
    }
}
