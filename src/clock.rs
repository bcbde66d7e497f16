//! The wall clock, read in one place. `WARDEN_FAKE_NOW` (an RFC 3339 time) pins it for
//! tests and reproducible examples; it is a testing hook, not a user setting.

use chrono::{DateTime, Utc};

pub(crate) const FAKE_NOW_ENV: &str = "WARDEN_FAKE_NOW";

/// Now, or the pinned time when `WARDEN_FAKE_NOW` holds a valid RFC 3339 time.
pub(crate) fn now() -> DateTime<Utc> {
    let Ok(raw) = std::env::var(FAKE_NOW_ENV) else {
        return Utc::now();
    };
    match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(t) => {
            // Loud on purpose (once per process): a stray value would otherwise freeze every
            // heartbeat without a word.
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                tracing::warn!("the clock is pinned to {raw} by {FAKE_NOW_ENV} (a testing hook)");
            });
            t.with_timezone(&Utc)
        }
        Err(_) => {
            tracing::warn!("ignoring {FAKE_NOW_ENV}={raw:?}: not an RFC 3339 time");
            Utc::now()
        }
    }
}

/// The fixed now unit tests run at: 2026-06-01 12:00 UTC, the integration tests' `NOW`.
#[cfg(test)]
pub(crate) fn test_now() -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .expect("a valid time")
}
