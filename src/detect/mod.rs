//! Detection: observations (tasks, register, worktrees, thresholds, now) in, signals out.
//! Everything here is pure; the heartbeat gathers the observations.

mod agents;
mod budget;
mod jobs;
mod mismatch;
mod observations;
mod run;
mod runs;
mod runtime;
mod signal;
mod tasks;

#[cfg(test)]
mod agent_tests;
#[cfg(test)]
mod repo_tests;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

pub(crate) use observations::{
    Observations, RegisterProblem, RuntimeHealth, Trouble, Unconfirmed, Unwritable, UsageLimit,
};
pub(crate) use run::detect;
#[cfg(test)]
pub(crate) use signal::Evidence;
pub(crate) use signal::{Severity, Signal, SignalCode, Subject};
