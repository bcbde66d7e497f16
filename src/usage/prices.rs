//! The price table, `[budget.prices]` in `warden.toml`: USD per million tokens, per model.
//! warden ships no prices of its own (they change, and a stale built-in figure would be
//! a wrong number shown with confidence): without a table, usage is counted in tokens only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::tokens::Tokens;

/// One model's prices in USD per million tokens. A cache price left out means "unknown":
/// tokens of that kind then make the cost unknown rather than free.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelPrice {
    pub(crate) input: f64,
    pub(crate) output: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cache_read: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cache_creation: Option<f64>,
}

/// Model name (or name prefix) to prices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Prices(pub(crate) BTreeMap<String, ModelPrice>);

/// Which price of a model is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PriceField {
    Input,
    Output,
    CacheRead,
    CacheCreation,
}

impl PriceField {
    fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Output => "output",
            Self::CacheRead => "cache_read",
            Self::CacheCreation => "cache_creation",
        }
    }
}

impl std::fmt::Display for PriceField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PriceError {
    #[error(
        "invalid price in [budget.prices] for model {model:?}: {field} must be a finite number of USD per million tokens, at least 0"
    )]
    Invalid { model: String, field: PriceField },
    #[error("invalid [budget.prices]: an empty model name")]
    EmptyModel,
}

impl Prices {
    /// Every price finite and not negative, every name non-empty: for the config loader.
    pub(crate) fn validate(&self) -> Result<(), PriceError> {
        for (model, price) in &self.0 {
            if model.is_empty() {
                return Err(PriceError::EmptyModel);
            }
            let fields = [
                (PriceField::Input, Some(price.input)),
                (PriceField::Output, Some(price.output)),
                (PriceField::CacheRead, price.cache_read),
                (PriceField::CacheCreation, price.cache_creation),
            ];
            for (field, value) in fields {
                if value.is_some_and(|v| !v.is_finite() || v < 0.0) {
                    return Err(PriceError::Invalid {
                        model: model.clone(),
                        field,
                    });
                }
            }
        }
        Ok(())
    }

    /// The prices of `model`: its exact name first, then the longest configured prefix,
    /// so `claude-opus-4` covers `claude-opus-4-8-20260101` and a dated entry still wins.
    pub(crate) fn lookup(&self, model: &str) -> Option<&ModelPrice> {
        self.0.get(model).or_else(|| {
            self.0
                .iter()
                .filter(|(name, _)| !name.is_empty() && model.starts_with(name.as_str()))
                .max_by_key(|(name, _)| name.len())
                .map(|(_, price)| price)
        })
    }
}

/// What `tokens` of `model` cost by the table; `None` when the model is unknown (or has no
/// name) or some tokens are of a kind without a price.
pub(crate) fn cost(tokens: &Tokens, model: Option<&str>, prices: &Prices) -> Option<f64> {
    let price = prices.lookup(model?)?;
    let part = |count: u64, per_million: Option<f64>| -> Option<f64> {
        if count == 0 {
            return Some(0.0);
        }
        // Counts far beyond f64's exact integers only lose digits no price shows.
        per_million.map(|p| count as f64 * p / 1_000_000.0)
    };
    Some(
        part(tokens.input, Some(price.input))?
            + part(tokens.output, Some(price.output))?
            + part(tokens.cache_read, price.cache_read)?
            + part(tokens.cache_creation, price.cache_creation)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Prices {
        toml::from_str(
            r#"
            "claude-opus-4" = { input = 15.0, output = 75.0, cache_read = 1.5, cache_creation = 18.75 }
            "claude-opus-4-8" = { input = 5.0, output = 25.0, cache_read = 0.5, cache_creation = 6.25 }
            "claude-opus-4-8-20260101" = { input = 1.0, output = 2.0 }
            "gpt-5" = { input = 1.25, output = 10.0, cache_read = 0.125 }
            "#,
        )
        .expect("table")
    }

    fn tokens(input: u64, output: u64, cache_read: u64, cache_creation: u64) -> Tokens {
        Tokens {
            input,
            output,
            cache_read,
            cache_creation,
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn exact_name_then_longest_prefix() {
        let p = table();
        let one_m = tokens(1_000_000, 0, 0, 0);
        assert!(close(
            cost(&one_m, Some("claude-opus-4-8-20260101"), &p),
            1.0
        ));
        assert!(close(
            cost(&one_m, Some("claude-opus-4-8-20260301"), &p),
            5.0
        ));
        assert!(close(
            cost(&one_m, Some("claude-opus-4-1-20250805"), &p),
            15.0
        ));
        assert!(close(cost(&one_m, Some("gpt-5-codex"), &p), 1.25));
        assert_eq!(cost(&one_m, Some("claude-sonnet-4"), &p), None);
        assert_eq!(cost(&one_m, None, &p), None);
        assert_eq!(
            cost(&one_m, Some("claude-opus-4"), &Prices::default()),
            None
        );
    }

    #[test]
    fn every_kind_is_priced_and_a_missing_cache_price_is_unknown() {
        let p = table();
        let t = tokens(2_000_000, 1_000_000, 10_000_000, 400_000);
        // 2×15 + 1×75 + 10×1.5 + 0.4×18.75
        assert!(close(cost(&t, Some("claude-opus-4-1"), &p), 127.5));
        // The dated entry has no cache prices: cache tokens make the cost unknown…
        assert_eq!(cost(&t, Some("claude-opus-4-8-20260101"), &p), None);
        // …but none of them, and it is known.
        let plain = tokens(1_000_000, 1_000_000, 0, 0);
        assert!(close(
            cost(&plain, Some("claude-opus-4-8-20260101"), &p),
            3.0
        ));
        assert!(close(cost(&Tokens::default(), Some("gpt-5"), &p), 0.0));
    }

    #[test]
    fn validation_refuses_negative_and_unknown_fields() {
        assert_eq!(table().validate(), Ok(()));
        let negative: Prices =
            toml::from_str(r#"m = { input = 1.0, output = -2.0 }"#).expect("parse");
        assert_eq!(
            negative.validate(),
            Err(PriceError::Invalid {
                model: "m".into(),
                field: PriceField::Output
            })
        );
        let err = negative.validate().map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("invalid price in [budget.prices] for model \"m\": output must be a finite number of USD per million tokens, at least 0".into())
        );
        let mut nan = Prices::default();
        nan.0.insert(
            "m".into(),
            ModelPrice {
                input: f64::NAN,
                output: 0.0,
                cache_read: None,
                cache_creation: None,
            },
        );
        assert!(matches!(
            nan.validate(),
            Err(PriceError::Invalid {
                field: PriceField::Input,
                ..
            })
        ));
        let empty: Prices = toml::from_str(r#""" = { input = 1.0, output = 2.0 }"#).expect("parse");
        assert_eq!(empty.validate(), Err(PriceError::EmptyModel));
        assert!(
            toml::from_str::<Prices>(r#"m = { input = 1.0, output = 2.0, cached = 1.0 }"#).is_err()
        );
        assert!(toml::from_str::<Prices>(r#"m = { input = 1.0 }"#).is_err());
    }
}
