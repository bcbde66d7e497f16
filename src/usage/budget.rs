//! Which `[budget]` limits are crossed, from the jobs' usage: the repository's rolling hour
//! and day (USD), and each task's attempts since its last `warden retry` (tokens, USD).
//! Crossing one stops dispatch (of the task, or of everything), never a running agent.
//! Pure: the records, the register's retry marks and `now` in.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::record::JobUsage;
use super::record::MINUTES_KEPT;
use super::totals::Totals;
use super::window::window;
use crate::config::Budget;
use crate::register::Register;

/// Which limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Limit {
    UsdPerHour,
    UsdPerDay,
    TokensPerTask,
    UsdPerTask,
}

impl Limit {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::UsdPerHour => "max_usd_per_hour",
            Self::UsdPerDay => "max_usd_per_day",
            Self::TokensPerTask => "max_tokens_per_task",
            Self::UsdPerTask => "max_usd_per_task",
        }
    }
}

/// One limit crossed: for the whole repository (`task: None`) or one task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Breach {
    pub(crate) limit: Limit,
    pub(crate) task: Option<String>,
    pub(crate) spent: f64,
    pub(crate) max: f64,
}

impl Breach {
    /// Past 150% of its limit.
    pub(crate) fn far(&self) -> bool {
        self.spent >= self.max * 1.5
    }

    /// `$4.20 in the last hour, over max_usd_per_hour = 4`.
    pub(crate) fn describe(&self) -> String {
        let (what, unit) = match self.limit {
            Limit::UsdPerHour => ("in the last hour", "$"),
            Limit::UsdPerDay => ("in the last day", "$"),
            Limit::TokensPerTask => ("tokens since its last retry", ""),
            Limit::UsdPerTask => ("since its last retry", "$"),
        };
        let spent = if unit == "$" {
            format!("${:.2}", self.spent)
        } else {
            format!("{:.0}", self.spent)
        };
        format!("{spent} {what}, over {} = {}", self.limit.key(), self.max)
    }
}

/// What each task spent in the attempts that count for its budget (after its last
/// `warden retry`).
pub(crate) fn task_spend<'a>(
    usage: impl IntoIterator<Item = &'a JobUsage>,
    register: &Register,
) -> BTreeMap<String, Totals> {
    let attempts: BTreeMap<&str, u32> = register
        .jobs
        .iter()
        .map(|j| (j.job.as_str(), j.attempt))
        .collect();
    let mut out: BTreeMap<String, Totals> = BTreeMap::new();
    for u in usage {
        let after = register.retries.get(&u.task).copied().unwrap_or(0);
        if attempts.get(u.job.as_str()).is_some_and(|&a| a > after) {
            out.entry(u.task.clone()).or_default().merge(&u.totals);
        }
    }
    out
}

/// Every limit crossed now. The repository's windows count from `reset` (`warden budget
/// reset`) when it is later than their start.
pub(crate) fn breaches(
    usage: &BTreeMap<String, JobUsage>,
    register: &Register,
    budget: &Budget,
    reset: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<Breach> {
    let mut out = Vec::new();
    let mut repo = |limit, max: Option<f64>, spent: Totals| {
        if let (Some(max), Some(usd)) = (max, spent.usd)
            && usd >= max
        {
            out.push(Breach {
                limit,
                task: None,
                spent: usd,
                max,
            });
        }
    };
    let since = |from: DateTime<Utc>| reset.map_or(from, |r| r.max(from));
    let hour = window(usage.values(), since(now - TimeDelta::minutes(59)), now);
    let day = window(
        usage.values(),
        since(now - TimeDelta::minutes(MINUTES_KEPT - 1)),
        now,
    );
    repo(Limit::UsdPerHour, budget.max_usd_per_hour, hour);
    repo(Limit::UsdPerDay, budget.max_usd_per_day, day);
    if budget.max_tokens_per_task.is_none() && budget.max_usd_per_task.is_none() {
        return out;
    }
    for (task, spent) in task_spend(usage.values(), register) {
        #[allow(clippy::cast_precision_loss)]
        let tokens = spent.tokens.total() as f64;
        #[allow(clippy::cast_precision_loss)]
        if let Some(max) = budget.max_tokens_per_task.map(|m| m as f64)
            && tokens >= max
        {
            out.push(Breach {
                limit: Limit::TokensPerTask,
                task: Some(task.clone()),
                spent: tokens,
                max,
            });
        }
        if let (Some(max), Some(usd)) = (budget.max_usd_per_task, spent.usd)
            && usd >= max
        {
            out.push(Breach {
                limit: Limit::UsdPerTask,
                task: Some(task.clone()),
                spent: usd,
                max,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::{JobRecord, Register};
    use crate::usage::Prices;
    use crate::usage::tokens::{Spend, Tokens};

    fn now() -> DateTime<Utc> {
        crate::clock::test_now()
    }

    fn job(id: &str, task: &str, attempt: u32) -> JobRecord {
        crate::register::testing::job(id, task, attempt, now())
    }

    /// A record of `tokens` input tokens at `usd`, spent `mins_ago` minutes ago.
    fn spent(id: &str, task: &str, tokens: u64, usd: f64, mins_ago: i64) -> JobUsage {
        let mut u = JobUsage::new(id, task);
        let spend = Spend {
            at: Some(now() - chrono::TimeDelta::minutes(mins_ago)),
            model: None,
            tokens: Tokens {
                input: tokens,
                ..Tokens::default()
            },
            usd: Some(usd),
        };
        u.absorb(&[spend], &Prices::default(), now());
        u
    }

    #[test]
    fn each_limit_is_crossed_at_its_value() {
        let register = Register {
            jobs: vec![job("j1", "a", 1), job("j2", "b", 1)],
            ..Register::default()
        };
        let usage: BTreeMap<String, JobUsage> = [
            ("j1".to_owned(), spent("j1", "a", 600, 1.0, 5)),
            ("j2".to_owned(), spent("j2", "b", 400, 2.0, 120)),
        ]
        .into();
        let budget = |hour, day, tokens| Budget {
            max_usd_per_hour: hour,
            max_usd_per_day: day,
            max_tokens_per_task: tokens,
            ..Budget::default()
        };
        let limits = |b: &Budget| -> Vec<(Limit, Option<String>)> {
            breaches(&usage, &register, b, None, now())
                .into_iter()
                .map(|b| (b.limit, b.task))
                .collect()
        };
        // Only the last hour's $1 counts for the hour; the day has $3.
        assert_eq!(
            limits(&budget(Some(1.0), None, None)),
            [(Limit::UsdPerHour, None)]
        );
        assert!(limits(&budget(Some(1.01), Some(3.01), None)).is_empty());
        assert_eq!(
            limits(&budget(None, Some(3.0), None)),
            [(Limit::UsdPerDay, None)]
        );
        assert_eq!(
            limits(&budget(None, None, Some(500))),
            [(Limit::TokensPerTask, Some("a".to_owned()))]
        );
        let per_task_usd = Budget {
            max_usd_per_task: Some(2.0),
            ..Budget::default()
        };
        assert_eq!(
            limits(&per_task_usd),
            [(Limit::UsdPerTask, Some("b".to_owned()))]
        );
    }

    #[test]
    fn warden_retry_starts_a_tasks_budget_afresh() {
        let mut register = Register {
            jobs: vec![job("j1", "a", 1), job("j2", "a", 2)],
            ..Register::default()
        };
        let usage: BTreeMap<String, JobUsage> = [
            ("j1".to_owned(), spent("j1", "a", 900, 0.0, 1)),
            ("j2".to_owned(), spent("j2", "a", 300, 0.0, 1)),
        ]
        .into();
        assert_eq!(
            task_spend(usage.values(), &register)["a"].tokens.input,
            1200
        );
        register.retries.insert("a".to_owned(), 1);
        assert_eq!(task_spend(usage.values(), &register)["a"].tokens.input, 300);
    }
}
