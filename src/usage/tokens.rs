//! Token counts and one spend: what an agent used in one API response (or one run), as the
//! sources report it, before any price is applied.

use std::ops::{Add, AddAssign};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Tokens by kind. The kinds are priced differently, so they are never folded together.
/// Sums saturate: the numbers come from agents' files, and a hostile one must not panic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tokens {
    /// Input tokens that were neither read from nor written to the prompt cache.
    #[serde(default)]
    pub(crate) input: u64,
    #[serde(default)]
    pub(crate) output: u64,
    #[serde(default)]
    pub(crate) cache_read: u64,
    #[serde(default)]
    pub(crate) cache_creation: u64,
}

impl Tokens {
    /// All kinds together: what a budget in tokens counts.
    pub(crate) fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_creation)
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.total() == 0
    }
}

impl Add for Tokens {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            input: self.input.saturating_add(other.input),
            output: self.output.saturating_add(other.output),
            cache_read: self.cache_read.saturating_add(other.cache_read),
            cache_creation: self.cache_creation.saturating_add(other.cache_creation),
        }
    }
}

impl AddAssign for Tokens {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

/// One spend: the usage of one API response (a transcript line) or of a whole run (a
/// result object), with what the source knew about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Spend {
    /// When it happened, if the source says; the reader of the spend decides otherwise.
    pub(crate) at: Option<DateTime<Utc>>,
    pub(crate) model: Option<String>,
    pub(crate) tokens: Tokens,
    /// USD as the agent itself reported it (never computed from prices here).
    pub(crate) usd: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: u64, output: u64, cache_read: u64, cache_creation: u64) -> Tokens {
        Tokens {
            input,
            output,
            cache_read,
            cache_creation,
        }
    }

    #[test]
    fn adds_by_kind_and_saturates() {
        let mut a = t(1, 2, 3, 4);
        a += t(10, 20, 30, 40);
        assert_eq!(a, t(11, 22, 33, 44));
        assert_eq!(a.total(), 110);
        assert_eq!((t(u64::MAX, 0, 0, 0) + t(1, 0, 0, 0)).input, u64::MAX);
        assert_eq!(t(u64::MAX, 1, 0, 0).total(), u64::MAX);
        assert!(Tokens::default().is_zero());
        assert!(!a.is_zero());
    }

    #[test]
    fn serde_round_trip_and_missing_kinds_are_zero() {
        let spend = Spend {
            at: Some(DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()),
            model: Some("claude-opus-4".into()),
            tokens: t(1, 2, 3, 4),
            usd: Some(0.5),
        };
        let json = serde_json::to_string(&spend).expect("serialize");
        assert_eq!(
            serde_json::from_str::<Spend>(&json).expect("deserialize"),
            spend
        );
        let partial: Tokens = serde_json::from_str(r#"{"output":7}"#).expect("partial");
        assert_eq!(partial, t(0, 7, 0, 0));
    }
}
