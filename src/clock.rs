//! The wall clock, read in one place. `WARDEN_FAKE_NOW` (an RFC 3339 time) pins it for
//! tests and reproducible examples; it is a testing hook, not a user setting.

use chrono::{DateTime, Utc};

pub(crate) const FAKE_NOW_ENV: &str = "WARDEN_FAKE_NOW";

/// Now, or the pinned time when `WARDEN_FAKE_NOW` holds a valid RFC 3339 time.
pub(crate) fn now() -> DateTime<Utc> {
    std::env::var(FAKE_NOW_ENV)
        .ok()
        .and_then(|raw| DateTime::parse_from_rfc3339(raw.trim()).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}
