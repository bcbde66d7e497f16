//! What an operator does to an alert (`warden ack`, `silence`, `resolve`): one pure function
//! serves the running supervisor and the offline path (the ledger edited under the lock).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alert::AlertState;
use super::engine::EngineState;

/// An operation on one alert, with its end time where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum AlertOp {
    /// Firing → acknowledged until then: no escalation, back to firing after.
    Ack { until: DateTime<Utc> },
    /// No escalation for the key until then (the alert need not exist yet).
    Silence { until: DateTime<Utc> },
    /// The operator says it is fixed; a condition that persists comes back as a new episode.
    Resolve,
}

impl fmt::Display for AlertOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Ack { .. } => "acknowledge",
            Self::Silence { .. } => "silence",
            Self::Resolve => "resolve",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AlertOpError {
    #[error("failed to {op} {key}: there is no such alert (see `warden escalations`)")]
    NoAlert { op: String, key: String },
    #[error("failed to acknowledge {key}: it is {state}, not firing")]
    NotFiring { key: String, state: AlertState },
}

/// Applies `op` to the alert `key`; returns what a person is told.
pub(crate) fn apply_alert_op(
    state: &mut EngineState,
    key: &str,
    op: AlertOp,
    now: DateTime<Utc>,
) -> Result<String, AlertOpError> {
    let missing = || AlertOpError::NoAlert {
        op: op.to_string(),
        key: key.to_owned(),
    };
    match op {
        AlertOp::Ack { until } => {
            let a = state.alerts.get_mut(key).ok_or_else(missing)?;
            if !a.is_active() {
                return Err(AlertOpError::NotFiring {
                    key: key.to_owned(),
                    state: a.state,
                });
            }
            a.state = AlertState::Acknowledged;
            a.ack_until = Some(until);
            Ok(format!(
                "acknowledged {key} until {}",
                until.format("%Y-%m-%d %H:%M:%S UTC")
            ))
        }
        AlertOp::Silence { until } => {
            state.silences.insert(key.to_owned(), until);
            Ok(format!(
                "silenced {key} until {}",
                until.format("%Y-%m-%d %H:%M:%S UTC")
            ))
        }
        AlertOp::Resolve => {
            let a = state.alerts.get_mut(key).ok_or_else(missing)?;
            a.state = AlertState::Resolved;
            a.resolved_at = Some(now);
            Ok(format!("resolved {key}"))
        }
    }
}
