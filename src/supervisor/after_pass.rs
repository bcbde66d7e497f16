//! What a heartbeat does besides dispatch and Tier 2, once its pass is known: tell a person
//! of tasks that start awaiting review, stop the jobs `on_ineligible`/`on_overtime` say to
//! stop, type `continue` into agents whose usage limit reset, and show the counts in the
//! status line. Pure.

use super::action::Action;
use super::event::Now;
use super::limits::Resume;
use super::state::State;

#[must_use]
pub(crate) fn heartbeat_extras(state: &mut State, now: Now) -> Vec<Action> {
    let Some(pass) = &state.passes.current else {
        return Vec::new();
    };
    let mut actions = state.agents.reviews(pass.signals());
    actions.extend(state.stop.breaches(
        &mut state.jobs,
        pass.signals(),
        &state.config.dispatch,
        now,
    ));
    let opts = Resume {
        enabled: state.config.dispatch.resume_after_limit,
        dry_run: state.config.escalation.dry_run,
        confirm_within: state.config.thresholds.confirm_within,
    };
    let agents = &mut state.agents;
    actions.extend(agents.limits.resume(
        &agents.records,
        state.jobs.register.as_ref().ok(),
        opts,
        now.wall,
    ));
    actions.extend(super::marks::status_right(state));
    actions
}

/// Whether `[budget] max_usd_per_hour` is spent: Tier 2 brings in no manager then.
pub(crate) fn hour_spent(state: &State) -> bool {
    state.passes.current.as_ref().is_some_and(|p| {
        p.breaches
            .iter()
            .any(|b| b.limit == crate::usage::Limit::UsdPerHour)
    })
}
