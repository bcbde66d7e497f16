//! Human durations in the config file and on the command line: `90s`, `15m`, `2h`, `1d`,
//! or a combination such as `1h30m`. A bare number is refused so `15` never silently means
//! seconds to one reader and minutes to another, and so is anything over `MAX_DURATION`,
//! so that no sum of a timestamp and a configured duration can overflow.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative span of time with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct HumanDuration {
    secs: u64,
}

/// The longest duration warden accepts: 36500 days, about 100 years. A timestamp (chrono
/// holds years ±262143) or a monotonic instant (seconds since boot in an `i64`) plus or
/// minus this never overflows, and "a century" is as good as "never" for every setting.
pub(crate) const MAX_DURATION: HumanDuration = HumanDuration::from_secs(36_500 * 86_400);

/// Why a duration string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DurationError {
    #[error("invalid duration {input:?}: expected a number with a unit, like 90s, 15m, 2h or 1d")]
    Malformed { input: String },
    #[error("invalid duration {input:?}: longer than the maximum, 36500d (about 100 years)")]
    TooLong { input: String },
}

impl HumanDuration {
    pub(crate) const fn from_secs(secs: u64) -> Self {
        Self { secs }
    }

    pub(crate) const fn from_mins(mins: u64) -> Self {
        Self { secs: mins * 60 }
    }

    pub(crate) const fn from_hours(hours: u64) -> Self {
        Self { secs: hours * 3600 }
    }

    pub(crate) const fn as_secs(self) -> u64 {
        self.secs
    }

    /// The same span as a chrono duration, for arithmetic on timestamps; saturates at
    /// chrono's largest (only `from_secs` can make a span that long).
    pub(crate) fn to_chrono(self) -> chrono::TimeDelta {
        i64::try_from(self.secs)
            .ok()
            .and_then(chrono::TimeDelta::try_seconds)
            .unwrap_or(chrono::TimeDelta::MAX)
    }

    pub(crate) fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.secs)
    }

    /// `t` plus this span, or chrono's last instant: a timestamp read from a file can be
    /// anything chrono parses, so even a span under the maximum may not fit after it.
    pub(crate) fn after(self, t: DateTime<Utc>) -> DateTime<Utc> {
        t.checked_add_signed(self.to_chrono())
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// `t` minus this span, or chrono's first instant.
    pub(crate) fn before(self, t: DateTime<Utc>) -> DateTime<Utc> {
        t.checked_sub_signed(self.to_chrono())
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// `t` plus this span on the monotonic clock. `Instant` has no last value, so a sum
    /// that does not fit (only a span made by `from_secs` can be that long) is cut to the
    /// maximum, which always fits.
    pub(crate) fn after_instant(self, t: Instant) -> Instant {
        t.checked_add(self.to_std())
            .or_else(|| t.checked_add(MAX_DURATION.to_std()))
            .unwrap_or(t)
    }
}

impl FromStr for HumanDuration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || DurationError::Malformed {
            input: input.to_owned(),
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err());
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if digits.is_empty() {
                return Err(err());
            }
            let mut unit = String::from(c);
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphabetic() {
                    unit.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            let scale = match unit.as_str() {
                "s" | "sec" | "secs" => 1,
                "m" | "min" | "mins" => 60,
                "h" | "hr" | "hrs" => 3600,
                "d" | "day" | "days" => 86_400,
                _ => return Err(err()),
            };
            // Too many digits for a u64 is as much "too long" as a sum over the maximum.
            let too_long = || DurationError::TooLong {
                input: input.to_owned(),
            };
            let n: u64 = digits.parse().map_err(|_| too_long())?;
            total = n
                .checked_mul(scale)
                .and_then(|v| total.checked_add(v))
                .filter(|&t| t <= MAX_DURATION.secs)
                .ok_or_else(too_long)?;
            digits.clear();
        }
        if !digits.is_empty() {
            // "0" alone is unambiguous; any other bare number is not.
            if digits.chars().all(|d| d == '0') && total == 0 {
                return Ok(Self { secs: 0 });
            }
            return Err(err());
        }
        Ok(Self { secs: total })
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.secs;
        if s == 0 {
            return f.write_str("0s");
        }
        let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
        for (n, unit) in [(d, "d"), (h, "h"), (m, "m"), (sec, "s")] {
            if n > 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        let cases = [
            ("90s", 90),
            ("15m", 900),
            ("2h", 7200),
            ("1d", 86_400),
            ("1h30m", 5400),
            ("0", 0),
        ];
        for (input, secs) in cases {
            assert_eq!(
                input.parse::<HumanDuration>().map(HumanDuration::as_secs),
                Ok(secs),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_ambiguous_or_malformed() {
        for input in ["", "15", "m", "15x", "1.5h", "-1m", "h2"] {
            assert!(
                input.parse::<HumanDuration>().is_err(),
                "{input} should be refused"
            );
        }
    }

    #[test]
    fn refuses_more_than_the_maximum() {
        assert_eq!(
            "36500d".parse::<HumanDuration>(),
            Ok(MAX_DURATION),
            "the maximum itself is allowed"
        );
        assert_eq!("36499d23h59m60s".parse::<HumanDuration>(), Ok(MAX_DURATION));
        for input in [
            "36500d1s",
            "36499d24h1s",
            "99999999999d",
            "9223372036854775s",
            "106751991167300d",
            "99999999999999999999999s",
        ] {
            assert_eq!(
                input.parse::<HumanDuration>(),
                Err(DurationError::TooLong {
                    input: input.to_owned()
                }),
                "{input}"
            );
        }
    }

    #[test]
    fn the_longest_span_converts_and_adds_without_panicking() {
        let huge = HumanDuration::from_secs(u64::MAX);
        assert_eq!(huge.to_chrono(), chrono::TimeDelta::MAX);
        assert_eq!(MAX_DURATION.to_chrono(), chrono::TimeDelta::days(36_500));
        let now = Utc::now();
        assert_eq!(huge.after(now), DateTime::<Utc>::MAX_UTC);
        assert_eq!(huge.before(now), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            HumanDuration::from_secs(1).after(DateTime::<Utc>::MAX_UTC),
            DateTime::<Utc>::MAX_UTC
        );
        assert!(MAX_DURATION.after(now) > now && MAX_DURATION.before(now) < now);
        let mono = Instant::now();
        assert!(huge.after_instant(mono) >= mono + MAX_DURATION.to_std());
    }

    #[test]
    fn displays_compactly_and_round_trips() {
        for secs in [0, 59, 60, 3600, 5400, 86_400 + 61] {
            let d = HumanDuration::from_secs(secs);
            assert_eq!(d.to_string().parse::<HumanDuration>(), Ok(d));
        }
        assert_eq!(HumanDuration::from_secs(5400).to_string(), "1h30m");
    }
}
