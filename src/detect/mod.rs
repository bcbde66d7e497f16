//! Detection: observations (tasks, register, worktrees, thresholds, now) in, signals out.

mod signal;

pub(crate) use signal::{Evidence, Severity, Signal, SignalCode, Subject};
