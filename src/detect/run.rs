//! The detection entry point: all rules over one set of observations.

use super::agents::detect_agents;
use super::budget::detect_budget;
use super::jobs::detect_jobs;
use super::mismatch::detect_mismatch;
use super::observations::Observations;
use super::runs::detect_runs;
use super::runtime::detect_runtime;
use super::signal::Signal;
use super::tasks::detect_tasks;

/// Runs every rule. Pure: the same observations give the same signals, in a stable order
/// (most severe first, then by code, then by subject).
pub(crate) fn detect(obs: &Observations<'_>) -> Vec<Signal> {
    let mut out = Vec::new();
    detect_jobs(obs, &mut out);
    detect_agents(obs, &mut out);
    detect_runs(obs, &mut out);
    detect_budget(obs, &mut out);
    detect_tasks(obs, &mut out);
    detect_mismatch(obs, &mut out);
    detect_runtime(obs, &mut out);
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(&b.code))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    out
}
