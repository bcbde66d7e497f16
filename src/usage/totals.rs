//! An amount spent: tokens and the USD known for them, and whether every token had a USD
//! figure. Used for a job's totals, its minute buckets, a task and a window alike.

use serde::{Deserialize, Serialize};

use super::tokens::Tokens;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Totals {
    pub(crate) tokens: Tokens,
    /// The sum of the USD known; `None` when no spend had a USD figure at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) usd: Option<f64>,
    /// False when some tokens had no USD figure (no price, no agent report): `usd` is then
    /// a lower bound, and must be shown as one.
    #[serde(default = "complete")]
    pub(crate) usd_complete: bool,
}

fn complete() -> bool {
    true
}

impl Default for Totals {
    fn default() -> Self {
        Self {
            tokens: Tokens::default(),
            usd: None,
            usd_complete: true,
        }
    }
}

impl Totals {
    /// Counts one spend: its tokens and, when known, its USD.
    pub(crate) fn add(&mut self, tokens: Tokens, usd: Option<f64>) {
        self.tokens += tokens;
        match usd {
            Some(usd) => self.usd = Some(self.usd.unwrap_or(0.0) + usd),
            // Zero tokens cost nothing, priced or not.
            None if !tokens.is_zero() => self.usd_complete = false,
            None => {}
        }
    }

    /// Counts another amount into this one.
    pub(crate) fn merge(&mut self, other: &Totals) {
        self.add(other.tokens, other.usd);
        self.usd_complete &= other.usd_complete;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(n: u64) -> Tokens {
        Tokens {
            input: n,
            ..Tokens::default()
        }
    }

    #[test]
    fn usd_is_complete_only_when_every_token_had_one() {
        let mut t = Totals::default();
        assert!(t.usd_complete);
        t.add(tokens(10), Some(0.25));
        t.add(Tokens::default(), None);
        assert_eq!((t.usd, t.usd_complete), (Some(0.25), true));
        t.add(tokens(5), None);
        assert_eq!(
            (t.tokens.input, t.usd, t.usd_complete),
            (15, Some(0.25), false)
        );
    }

    #[test]
    fn merging_keeps_incompleteness_and_a_missing_usd() {
        let mut a = Totals::default();
        a.add(tokens(1), None);
        let mut b = Totals::default();
        b.merge(&a);
        assert_eq!((b.usd, b.usd_complete, b.tokens.input), (None, false, 1));
        let mut c = Totals::default();
        c.add(tokens(2), Some(1.0));
        c.merge(&Totals::default());
        assert_eq!((c.usd, c.usd_complete), (Some(1.0), true));
        let json = serde_json::to_string(&c).expect("serialize");
        assert_eq!(serde_json::from_str::<Totals>(&json).expect("back"), c);
        let old: Totals = serde_json::from_str(r#"{"tokens":{}}"#).expect("defaults");
        assert_eq!(old, Totals::default());
    }
}
