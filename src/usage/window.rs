//! Adding jobs' usage up: per task (every attempt of it) and over a window of time for the
//! whole repository (the rolling hour and day the budgets need), from the records' minute
//! buckets. Pure: the records and `now` come in.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::record::{JobUsage, MINUTES_KEPT, minute_of};
use super::totals::Totals;

/// Each task's usage, all its jobs together.
pub(crate) fn per_task<'a>(
    records: impl IntoIterator<Item = &'a JobUsage>,
) -> BTreeMap<String, Totals> {
    let mut tasks: BTreeMap<String, Totals> = BTreeMap::new();
    for record in records {
        tasks
            .entry(record.task.clone())
            .or_default()
            .merge(&record.totals);
    }
    tasks
}

/// What was spent in every minute from the one holding `from` to the one holding `to`,
/// both included: minute resolution, as the records keep it. Nothing older than 24 hours
/// before a record's last update is still in it.
pub(crate) fn window<'a>(
    records: impl IntoIterator<Item = &'a JobUsage>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Totals {
    let (first, last) = (minute_of(from), minute_of(to));
    let mut totals = Totals::default();
    if first > last {
        return totals;
    }
    for record in records {
        for bucket in record.minutes.range(first..=last).map(|(_, t)| t) {
            totals.merge(bucket);
        }
    }
    totals
}

/// The rolling hour: the 60 minutes ending with `now`'s.
pub(crate) fn hour<'a>(
    records: impl IntoIterator<Item = &'a JobUsage>,
    now: DateTime<Utc>,
) -> Totals {
    window(records, now - Duration::minutes(59), now)
}

/// The rolling day: the 1,440 minutes ending with `now`'s, all a record keeps.
pub(crate) fn day<'a>(
    records: impl IntoIterator<Item = &'a JobUsage>,
    now: DateTime<Utc>,
) -> Totals {
    window(records, now - Duration::minutes(MINUTES_KEPT - 1), now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::prices::{ModelPrice, Prices};
    use crate::usage::tokens::{Spend, Tokens};

    const NOW: i64 = 29_000_000;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(minute * 60 + 30, 0).unwrap_or_default()
    }

    fn spend(model: &str, input: u64, minute: i64) -> Spend {
        Spend {
            at: Some(at(minute)),
            model: Some(model.into()),
            tokens: Tokens {
                input,
                ..Tokens::default()
            },
            usd: None,
        }
    }

    fn prices() -> Prices {
        let mut p = Prices::default();
        p.0.insert(
            "priced".into(),
            ModelPrice {
                input: 1_000_000.0,
                output: 0.0,
                cache_read: None,
                cache_creation: None,
            },
        );
        p
    }

    fn job(job: &str, task: &str, spends: &[Spend]) -> JobUsage {
        let mut u = JobUsage::new(job, task);
        u.absorb(spends, &prices(), at(NOW));
        u
    }

    fn records() -> Vec<JobUsage> {
        vec![
            job(
                "a-1",
                "a",
                &[spend("priced", 1, NOW), spend("priced", 2, NOW - 59)],
            ),
            job(
                "a-2",
                "a",
                &[spend("priced", 4, NOW - 60), spend("other", 8, NOW - 61)],
            ),
            job("b-1", "b", &[spend("priced", 16, NOW - MINUTES_KEPT + 1)]),
        ]
    }

    #[test]
    fn per_task_sums_every_attempt() {
        let tasks = per_task(&records());
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks["a"].tokens.input, 15);
        assert_eq!(tasks["a"].usd, Some(7.0));
        assert!(!tasks["a"].usd_complete, "8 tokens of an unpriced model");
        assert_eq!(
            (tasks["b"].usd, tasks["b"].usd_complete),
            (Some(16.0), true)
        );
        assert!(per_task(&[]).is_empty());
    }

    #[test]
    fn the_rolling_hour_and_day_come_from_the_minutes() {
        let r = records();
        let h = hour(&r, at(NOW));
        assert_eq!(
            (h.tokens.input, h.usd, h.usd_complete),
            (3, Some(3.0), true)
        );
        let d = day(&r, at(NOW));
        assert_eq!(
            (d.tokens.input, d.usd, d.usd_complete),
            (31, Some(23.0), false)
        );
        // A minute later, the hour has lost minute NOW-59.
        assert_eq!(hour(&r, at(NOW + 1)).tokens.input, 1);
        // A window of one minute, an empty one, and one turned around.
        assert_eq!(window(&r, at(NOW - 60), at(NOW - 60)).tokens.input, 4);
        assert_eq!(window(&r, at(NOW - 58), at(NOW - 1)), Totals::default());
        assert_eq!(window(&r, at(NOW), at(NOW - 10)), Totals::default());
        assert_eq!(hour(&[], at(NOW)), Totals::default());
    }
}
