//! Whether a task may be dispatched again: backoff after failures, giving up after
//! `max_attempts`, no automatic rerun after a success or an operator's kill. Pure: the
//! register, the tasks' file times, the policy and `now` in; holds out.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Dispatch, HumanDuration};
use crate::register::{JobRecord, Register};

/// Why a task that is otherwise dispatchable is not dispatched now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Hold {
    /// Failed `failures` times in a row; waits until `until`.
    Backoff { until: DateTime<Utc>, failures: u32 },
    /// Failed `attempts` times; left alone until `warden retry`.
    GaveUp { attempts: u32 },
    /// The last attempt exited 0 but the task file has not changed since (an agent working
    /// in a worktree marks the task done on its branch); no rerun until it changes.
    Succeeded {
        job: String,
        ended_at: DateTime<Utc>,
    },
    /// Stopped with `warden kill`; left alone until `warden retry` or `warden dispatch`.
    Killed { job: String },
    /// Its last `failures` launches failed before the agent started (not attempts); waits
    /// until `until` before the next try.
    LaunchBackoff { until: DateTime<Utc>, failures: u32 },
}

impl fmt::Display for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Backoff { until, failures } => write!(
                f,
                "backing off after {failures} failure{} until {}",
                if *failures == 1 { "" } else { "s" },
                until.format("%H:%M:%S UTC")
            ),
            Self::GaveUp { attempts } => write!(
                f,
                "gave up after {attempts} failed attempts; `warden retry` to try again"
            ),
            Self::Succeeded { job, .. } => {
                write!(f, "{job} exited 0; waiting for the task file to change")
            }
            Self::Killed { job } => write!(
                f,
                "{job} was killed by the operator; `warden retry` to run it again"
            ),
            Self::LaunchBackoff { until, failures } => write!(
                f,
                "{failures} launch{} failed before the agent started; trying again at {}",
                if *failures == 1 { "" } else { "es" },
                until.format("%H:%M:%S UTC")
            ),
        }
    }
}

/// The retry policy, from `[dispatch]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) max_attempts: u32,
    pub(crate) backoff_initial: HumanDuration,
    pub(crate) backoff_max: HumanDuration,
}

impl Policy {
    pub(crate) fn from_config(d: &Dispatch) -> Self {
        Self {
            max_attempts: d.max_attempts.max(1),
            backoff_initial: d.backoff_initial,
            backoff_max: d.backoff_max,
        }
    }

    /// The wait after the n-th consecutive failure: initial × 2^(n-1), capped.
    pub(crate) fn backoff(&self, failures: u32) -> HumanDuration {
        doubling(self.backoff_initial.as_secs(), failures, self.backoff_max)
    }

    /// The wait after the n-th consecutive launch that failed before its agent started:
    /// `LAUNCH_BACKOFF_INITIAL` × 2^(n-1), capped at `backoff_max`. Shorter than a failure's
    /// backoff: the cause is the machine (a full disk, tmux), and nothing ran.
    pub(crate) fn launch_backoff(&self, failures: u32) -> HumanDuration {
        doubling(LAUNCH_BACKOFF_INITIAL, failures, self.backoff_max)
    }
}

/// The first wait after a launch failed before its agent started, in seconds.
pub(crate) const LAUNCH_BACKOFF_INITIAL: u64 = 5;

fn doubling(initial_secs: u64, n: u32, max: HumanDuration) -> HumanDuration {
    let shift = n.saturating_sub(1).min(30);
    let secs = initial_secs.saturating_mul(1u64 << shift);
    HumanDuration::from_secs(secs.min(max.as_secs()))
}

/// The attempts of one task that count: those after its last `warden retry`, by attempt.
/// A launch that never started its agent is not an attempt.
fn counted<'a>(register: &'a Register, task: &str) -> Vec<&'a JobRecord> {
    let base = register.retries.get(task).copied().unwrap_or(0);
    let mut jobs: Vec<&JobRecord> = register
        .jobs
        .iter()
        .filter(|j| j.task == task && j.attempt > base && j.is_attempt())
        .collect();
    jobs.sort_by_key(|j| (j.attempt, j.started_at));
    jobs
}

/// The hold on every task that has one. `task_mtime` tells when a task file last changed.
pub(crate) fn holds(
    register: &Register,
    task_mtime: impl Fn(&str) -> Option<DateTime<Utc>>,
    policy: &Policy,
    now: DateTime<Utc>,
) -> BTreeMap<String, Hold> {
    let mut tasks: Vec<&str> = register.jobs.iter().map(|j| j.task.as_str()).collect();
    tasks.sort_unstable();
    tasks.dedup();
    let mut out = BTreeMap::new();
    for task in tasks {
        if let Some(hold) = launch_hold(register, task, policy, now) {
            out.insert(task.to_owned(), hold);
            continue;
        }
        let jobs = counted(register, task);
        let Some(last) = jobs.last() else { continue };
        let (Some(end), Some(ended_at)) = (&last.end, last.ended_at) else {
            continue; // live: the queue already leaves running tasks out
        };
        let hold = if last.stopped {
            None // stopped with the whole session: pick it up again as usual
        } else if last.killed {
            Some(Hold::Killed {
                job: last.job.clone(),
            })
        } else if end.is_success() {
            let changed = task_mtime(task).is_some_and(|m| m > ended_at);
            (!changed).then(|| Hold::Succeeded {
                job: last.job.clone(),
                ended_at,
            })
        } else {
            let failures = u32::try_from(
                jobs.iter()
                    .rev()
                    .take_while(|j| j.is_failure() && !j.stopped)
                    .count(),
            )
            .unwrap_or(u32::MAX);
            if failures >= policy.max_attempts {
                Some(Hold::GaveUp { attempts: failures })
            } else {
                let until = policy.backoff(failures).after(ended_at);
                (now < until).then_some(Hold::Backoff { until, failures })
            }
        };
        if let Some(hold) = hold {
            out.insert(task.to_owned(), hold);
        }
    }
    out
}

/// After launches that failed before their agent started (the newest jobs of the task), the
/// launch backoff; `None` when the newest job started, or the backoff has passed.
fn launch_hold(
    register: &Register,
    task: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Option<Hold> {
    let mut jobs: Vec<&JobRecord> = register.jobs.iter().filter(|j| j.task == task).collect();
    jobs.sort_by_key(|j| j.started_at);
    let failed: Vec<&JobRecord> = jobs
        .iter()
        .rev()
        .take_while(|j| !j.is_attempt())
        .copied()
        .collect();
    let last = failed.first()?.ended_at?;
    let failures = u32::try_from(failed.len()).unwrap_or(u32::MAX);
    let until = policy.launch_backoff(failures).after(last);
    (now < until).then_some(Hold::LaunchBackoff { until, failures })
}

/// The next attempt number of a task (attempts keep counting across retries; a launch that
/// never started its agent does not use one up).
pub(crate) fn next_attempt(register: &Register, task: &str) -> u32 {
    register
        .jobs
        .iter()
        .filter(|j| j.task == task && j.is_attempt())
        .map(|j| j.attempt)
        .max()
        .unwrap_or(0)
        + 1
}

#[cfg(test)]
mod tests {

    use chrono::TimeDelta;

    use super::*;
    use crate::register::JobEnd;

    fn now() -> DateTime<Utc> {
        crate::clock::test_now()
    }

    fn ago(secs: i64) -> DateTime<Utc> {
        now() - TimeDelta::seconds(secs)
    }

    fn job(attempt: u32, ended_ago: Option<i64>, code: Option<i32>) -> JobRecord {
        JobRecord {
            ended_at: ended_ago.map(ago),
            end: code.map(|code| JobEnd::Exited { code }),
            ..crate::register::testing::job(&format!("j{attempt}"), "t", attempt, ago(10_000))
        }
    }

    fn policy() -> Policy {
        Policy {
            max_attempts: 3,
            backoff_initial: HumanDuration::from_secs(60),
            backoff_max: HumanDuration::from_secs(300),
        }
    }

    fn hold_of(jobs: Vec<JobRecord>, mtime_ago: i64) -> Option<Hold> {
        let register = Register {
            jobs,
            ..Register::default()
        };
        holds(&register, |_| Some(ago(mtime_ago)), &policy(), now()).remove("t")
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = policy();
        let secs: Vec<u64> = (1..=5).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 300, 300]);
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, Vec<JobRecord>, Option<&str>)> = vec![
            ("never dispatched", vec![], None),
            ("running", vec![job(1, None, None)], None),
            (
                "failed 59 s ago: backoff 60 s",
                vec![job(1, Some(59), Some(1))],
                Some("backoff"),
            ),
            (
                "failed 60 s ago: free again",
                vec![job(1, Some(60), Some(1))],
                None,
            ),
            (
                "second failure 119 s ago: 120 s",
                vec![job(1, Some(500), Some(1)), job(2, Some(119), Some(1))],
                Some("backoff"),
            ),
            (
                "second failure 120 s ago",
                vec![job(1, Some(500), Some(1)), job(2, Some(120), Some(1))],
                None,
            ),
            (
                "third failure: gave up",
                vec![
                    job(1, Some(900), Some(1)),
                    job(2, Some(800), Some(2)),
                    job(3, Some(9000), Some(3)),
                ],
                Some("gave_up"),
            ),
            (
                "success then failure: one failure",
                vec![
                    job(1, Some(900), Some(1)),
                    job(2, Some(800), Some(0)),
                    job(3, Some(30), Some(1)),
                ],
                Some("backoff"),
            ),
            (
                "success, file untouched",
                vec![job(1, Some(100), Some(0))],
                Some("succeeded"),
            ),
        ];
        for (name, jobs, want) in cases {
            let got = hold_of(jobs, 10_000).map(|h| {
                serde_json::to_value(&h).expect("json")["kind"]
                    .as_str()
                    .expect("kind")
                    .to_owned()
            });
            assert_eq!(got.as_deref(), want, "{name}");
        }
        assert_eq!(
            hold_of(vec![job(1, Some(100), Some(0))], 50),
            None,
            "success, then the file changed"
        );
    }

    #[test]
    fn killed_and_retry_reset() {
        let mut killed = job(1, Some(5), None);
        killed.end = Some(JobEnd::Signaled {
            signal: "SIGTERM".into(),
        });
        killed.killed = true;
        assert!(matches!(
            hold_of(vec![killed], 10_000),
            Some(Hold::Killed { .. })
        ));

        let gave_up = vec![
            job(1, Some(900), Some(1)),
            job(2, Some(800), Some(1)),
            job(3, Some(700), Some(1)),
        ];
        let mut register = Register {
            jobs: gave_up,
            ..Register::default()
        };
        assert!(matches!(
            holds(&register, |_| None, &policy(), now()).get("t"),
            Some(Hold::GaveUp { attempts: 3 })
        ));
        register.retries.insert("t".into(), 3);
        assert!(
            holds(&register, |_| None, &policy(), now()).is_empty(),
            "retry clears the hold"
        );
        assert_eq!(next_attempt(&register, "t"), 4);
    }

    fn not_started(attempt: u32, ended_ago: i64) -> JobRecord {
        let mut j = job(attempt, Some(ended_ago), None);
        j.end = Some(JobEnd::NotStarted {
            reason: "failed to open log: No space left on device".into(),
        });
        j
    }

    #[test]
    fn launches_that_never_started_are_not_attempts() {
        // Ten launches failed before their agent started: no attempt burned, no give-up.
        let jobs: Vec<JobRecord> = (0..10).map(|i| not_started(1, 1000 + i)).collect();
        let register = Register {
            jobs: jobs.clone(),
            ..Register::default()
        };
        assert_eq!(
            next_attempt(&register, "t"),
            1,
            "attempt 1 is still to come"
        );
        assert_eq!(
            hold_of(jobs.clone(), 10_000),
            None,
            "the backoff has passed"
        );
        // Just after one: the launch backoff holds, doubling with each consecutive one.
        let p = policy();
        let secs: Vec<u64> = (1..=4).map(|n| p.launch_backoff(n).as_secs()).collect();
        assert_eq!(secs, [5, 10, 20, 40]);
        assert_eq!(
            hold_of(vec![not_started(1, 4)], 10_000),
            Some(Hold::LaunchBackoff {
                until: ago(4) + TimeDelta::seconds(5),
                failures: 1
            })
        );
        assert_eq!(hold_of(vec![not_started(1, 5)], 10_000), None);
        // Two real failures and a not-started launch: still two failures, backing off.
        let mixed = vec![
            job(1, Some(900), Some(1)),
            job(2, Some(100), Some(1)),
            not_started(3, 50),
        ];
        assert_eq!(
            hold_of(mixed.clone(), 10_000),
            Some(Hold::Backoff {
                until: ago(100) + TimeDelta::seconds(120),
                failures: 2
            })
        );
        let register = Register {
            jobs: mixed,
            ..Register::default()
        };
        assert_eq!(next_attempt(&register, "t"), 3);
    }
}
