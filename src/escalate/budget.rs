//! The global spawn budget: at most N spawns in any rolling hour and a minimum spacing,
//! kept as a persisted log of spawn times. Pure. Spawn times in the future (the clock went
//! back) still count, so a clock jump can delay a spawn but never allow an extra one.

use chrono::{DateTime, TimeDelta, Utc};

use crate::config::HumanDuration;

/// Why the budget refuses a spawn now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `per_hour` spawns already in the last hour.
    Exhausted,
    /// The last spawn was less than `min_spacing` ago (or is in the future).
    TooSoon,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) per_hour: u32,
    pub(crate) min_spacing: HumanDuration,
}

impl Budget {
    /// Spawns that still count: within the last hour, or after now.
    pub(crate) fn in_window(log: &[DateTime<Utc>], now: DateTime<Utc>) -> usize {
        log.iter()
            .filter(|&&t| t > now - TimeDelta::hours(1))
            .count()
    }

    /// `log`: the spawns that count toward the hour; `failed`: spawns that failed before
    /// anything ran, which count only toward the spacing.
    pub(crate) fn check(
        &self,
        log: &[DateTime<Utc>],
        failed: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        if Self::in_window(log, now) >= usize::try_from(self.per_hour).unwrap_or(usize::MAX) {
            return Err(Refusal::Exhausted);
        }
        match log.iter().chain(failed).max() {
            Some(&last) if now < self.min_spacing.after(last) => Err(Refusal::TooSoon),
            _ => Ok(()),
        }
    }

    /// How many spawns are left in the window now.
    pub(crate) fn left(&self, log: &[DateTime<Utc>], now: DateTime<Utc>) -> u32 {
        let used = u32::try_from(Self::in_window(log, now)).unwrap_or(u32::MAX);
        self.per_hour.saturating_sub(used)
    }

    /// Drops entries that can no longer matter (older than an hour); future ones stay.
    pub(crate) fn prune(log: &mut Vec<DateTime<Utc>>, now: DateTime<Utc>) {
        log.retain(|&t| t > now - TimeDelta::hours(1));
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        crate::clock::test_now() + TimeDelta::minutes(min)
    }

    #[test]
    fn window_and_spacing() {
        let b = Budget {
            per_hour: 3,
            min_spacing: HumanDuration::from_mins(10),
        };
        assert_eq!(b.check(&[], &[], t(0)), Ok(()));
        assert_eq!(b.check(&[t(0)], &[], t(9)), Err(Refusal::TooSoon));
        assert_eq!(b.check(&[t(0)], &[], t(10)), Ok(()));
        assert_eq!(
            b.check(&[t(0), t(10), t(20)], &[], t(30)),
            Err(Refusal::Exhausted)
        );
        assert_eq!(
            b.check(&[t(0), t(10), t(20)], &[], t(60)),
            Ok(()),
            "the first fell out of the hour"
        );
        assert_eq!(b.left(&[t(0), t(10)], t(30)), 1);
        // A failed spawn costs no budget but keeps the spacing.
        assert_eq!(b.check(&[], &[t(0)], t(9)), Err(Refusal::TooSoon));
        assert_eq!(
            b.check(&[t(0), t(10)], &[t(20)], t(30)),
            Ok(()),
            "two of three spent"
        );
    }

    #[test]
    fn clock_jumps_never_allow_more() {
        let b = Budget {
            per_hour: 3,
            min_spacing: HumanDuration::from_mins(10),
        };
        let log = [t(0), t(10), t(20)];
        // The clock goes back an hour: all three are "in the future" and still count.
        assert_eq!(b.check(&log, &[], t(-40)), Err(Refusal::Exhausted));
        let mut kept = log.to_vec();
        Budget::prune(&mut kept, t(-40));
        assert_eq!(kept.len(), 3, "nothing is lost");
        // Forward an hour: time passed; one spawn is allowed again, not a burst of many.
        assert_eq!(b.check(&log, &[], t(80)), Ok(()));
        assert_eq!(
            b.check(&[t(0), t(10), t(20), t(80)], &[], t(81)),
            Err(Refusal::TooSoon)
        );
    }
}
