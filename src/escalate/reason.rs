//! Why Tier 2 did or did not bring in a manager, as enums: the serde names are the ledger's
//! format, `Display` is what a person reads.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a due escalation was not carried out. The serde names are the ledger's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SuppressReason {
    /// The same alert key brought in a manager less than `cooldown` ago.
    Cooldown,
    /// `max_live_managers` manager windows are running.
    MaxLiveManagers,
    /// `budget_per_hour` spawns in the last hour: a person must look.
    BudgetExhausted,
    /// The last spawn was less than `min_spacing` ago.
    MinSpacing,
    /// `[budget] max_usd_per_hour` is spent: a manager is a job that spends too.
    SpendBudget,
}

impl fmt::Display for SuppressReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Cooldown => "cooling down after its last manager",
            Self::MaxLiveManagers => "the manager windows allowed are all running",
            Self::BudgetExhausted => "the hourly budget of managers is spent",
            Self::MinSpacing => "too soon after the last manager",
            Self::SpendBudget => "the hour's spending budget ([budget] max_usd_per_hour) is spent",
        })
    }
}

/// Why a manager is brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SpawnReason {
    /// Trouble started firing.
    Firing,
    /// A one-shot did not settle it within `step_up_after`: a manager window now.
    StepUp,
}

impl fmt::Display for SpawnReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Firing => "new trouble",
            Self::StepUp => "a one-shot did not settle it",
        })
    }
}
