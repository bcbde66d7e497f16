//! A job's usage record, `.warden/jobs/<job>.usage.json`: what the job spent so far, by
//! model and by minute for the last 24 hours, with where its transcript was read up to,
//! so a restarted supervisor counts nothing twice and forgets nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cursor::Cursor;
use super::prices::{Prices, cost};
use super::tokens::Spend;
use super::totals::Totals;
use crate::state::{WriteError, write_replace};

/// Bumped on any incompatible change to the record's shape; a newer one is ignored.
pub(crate) const JOB_USAGE_FORMAT_VERSION: u32 = 1;

/// The most a record may hold: 1,440 minutes, `MAX_MODELS` models, 1,024 keys.
pub(crate) const USAGE_RECORD_MAX: u64 = 1024 * 1024;

/// Minute buckets kept: 24 hours, the longest window.
pub(crate) const MINUTES_KEPT: i64 = 24 * 60;

/// Models counted apart; the rest are counted under `OTHER_MODELS`. The names come from
/// the agent's files, and the record must stay small.
pub(crate) const MAX_MODELS: usize = 32;
pub(crate) const OTHER_MODELS: &str = "other";

/// The longest model name kept, in bytes.
const MAX_MODEL_NAME: usize = 128;

/// Where the USD of a job came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UsdSource {
    /// The agent reported it (`total_cost_usd`, `costUSD`).
    Agent,
    /// The price table turned tokens into USD.
    Prices,
    /// Some of each.
    Mixed,
    /// No USD is known: tokens only.
    Unknown,
}

impl UsdSource {
    fn with(self, other: Self) -> Self {
        match (self, other) {
            (Self::Unknown, x) | (x, Self::Unknown) => x,
            (a, b) if a == b => a,
            _ => Self::Mixed,
        }
    }
}

/// A transcript and where it was read up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TranscriptCursor {
    pub(crate) path: PathBuf,
    pub(crate) cursor: Cursor,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobUsage {
    pub(crate) format_version: u32,
    pub(crate) job: String,
    pub(crate) task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) transcript: Option<TranscriptCursor>,
    pub(crate) totals: Totals,
    pub(crate) usd_source: UsdSource,
    /// Spends whose model is unknown are in `totals` only.
    #[serde(default)]
    pub(crate) by_model: BTreeMap<String, Totals>,
    /// Unix minute (seconds / 60) to what was spent in it, for the last `MINUTES_KEPT`.
    #[serde(default)]
    pub(crate) minutes: BTreeMap<i64, Totals>,
}

/// The Unix minute of `at`.
pub(crate) fn minute_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

/// A model name as kept: at most `MAX_MODEL_NAME` bytes, cut at a character boundary.
fn model_name(model: &str) -> &str {
    let mut end = model.len().min(MAX_MODEL_NAME);
    while !model.is_char_boundary(end) {
        end -= 1;
    }
    &model[..end]
}

impl JobUsage {
    pub(crate) fn new(job: &str, task: &str) -> Self {
        Self {
            format_version: JOB_USAGE_FORMAT_VERSION,
            job: job.to_owned(),
            task: task.to_owned(),
            transcript: None,
            totals: Totals::default(),
            usd_source: UsdSource::Unknown,
            by_model: BTreeMap::new(),
            minutes: BTreeMap::new(),
        }
    }

    /// Counts `spends`. A spend's USD is the agent's when it gave one, else the price
    /// table's; a spend without a time (or dated in the future, a skewed clock) counts at
    /// `now`. Minute buckets older than 24 hours before `now` are dropped.
    pub(crate) fn absorb(&mut self, spends: &[Spend], prices: &Prices, now: DateTime<Utc>) {
        let now_minute = minute_of(now);
        let first_kept = now_minute - (MINUTES_KEPT - 1);
        for spend in spends {
            let agent = spend.usd.filter(|u| u.is_finite() && *u >= 0.0);
            let priced = match agent {
                Some(_) => None,
                None => cost(&spend.tokens, spend.model.as_deref(), prices),
            };
            let usd = agent.or(priced);
            if agent.is_some() {
                self.usd_source = self.usd_source.with(UsdSource::Agent);
            } else if priced.is_some() {
                self.usd_source = self.usd_source.with(UsdSource::Prices);
            }
            self.totals.add(spend.tokens, usd);
            if let Some(model) = spend.model.as_deref().map(model_name) {
                let key = if self.by_model.contains_key(model) || self.by_model.len() < MAX_MODELS {
                    model
                } else {
                    OTHER_MODELS
                };
                self.by_model
                    .entry(key.to_owned())
                    .or_default()
                    .add(spend.tokens, usd);
            }
            let minute = spend.at.map_or(now_minute, |at| minute_of(at.min(now)));
            if minute >= first_kept {
                self.minutes
                    .entry(minute)
                    .or_default()
                    .add(spend.tokens, usd);
            }
        }
        self.minutes.retain(|&minute, _| minute >= first_kept);
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum UsageError {
    #[error("failed to encode usage record {path}: {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("failed to write usage record {path}: {reason}", reason = .source.reason())]
    Write {
        path: PathBuf,
        #[source]
        source: WriteError,
    },
}

/// `.warden/jobs/<job>.usage.json`.
pub(crate) fn usage_path(jobs: &Path, job: &str) -> PathBuf {
    jobs.join(format!("{job}.usage.json"))
}

/// Saves the record (temp file and rename, no fsync: it is written every pass that finds
/// usage, and a power cut costs at most the last pass's count).
pub(crate) fn write_job_usage(jobs: &Path, usage: &JobUsage) -> Result<(), UsageError> {
    let path = usage_path(jobs, &usage.job);
    let bytes = serde_json::to_vec(usage).map_err(|source| UsageError::Encode {
        path: path.clone(),
        source,
    })?;
    write_replace(&path, &bytes).map_err(|source| UsageError::Write { path, source })
}

/// The job's record, if there is a readable one of this format (and of this job). Never
/// through a link, never a FIFO (it would block), never more than `USAGE_RECORD_MAX`.
pub(crate) fn read_job_usage(jobs: &Path, job: &str) -> Option<JobUsage> {
    let bytes = crate::state::read_bounded(&usage_path(jobs, job), USAGE_RECORD_MAX)?;
    let usage: JobUsage = serde_json::from_slice(&bytes).ok()?;
    (usage.format_version == JOB_USAGE_FORMAT_VERSION && usage.job == job).then_some(usage)
}

/// Every register job's saved record, by job id.
pub(crate) fn read_all_usage(
    jobs: &Path,
    register: &crate::register::Register,
) -> BTreeMap<String, JobUsage> {
    register
        .jobs
        .iter()
        .filter_map(|j| read_job_usage(jobs, &j.job).map(|u| (j.job.clone(), u)))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::usage::cursor::FileId;
    use crate::usage::prices::ModelPrice;
    use crate::usage::tokens::Tokens;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(minute * 60 + 30, 0).unwrap_or_default()
    }

    fn spend(model: Option<&str>, input: u64, usd: Option<f64>, when: Option<i64>) -> Spend {
        Spend {
            at: when.map(at),
            model: model.map(str::to_owned),
            tokens: Tokens {
                input,
                ..Tokens::default()
            },
            usd,
        }
    }

    fn prices() -> Prices {
        let mut p = Prices::default();
        p.0.insert(
            "claude-opus-4".into(),
            ModelPrice {
                input: 10.0,
                output: 50.0,
                cache_read: None,
                cache_creation: None,
            },
        );
        p
    }

    const NOW: i64 = 29_000_000;

    #[test]
    fn agent_usd_wins_and_the_source_says_where_usd_came_from() {
        let mut u = JobUsage::new("t-1", "t");
        u.absorb(
            &[spend(Some("gpt-5"), 100, None, Some(NOW))],
            &prices(),
            at(NOW),
        );
        assert_eq!(
            (u.usd_source, u.totals.usd, u.totals.usd_complete),
            (UsdSource::Unknown, None, false)
        );
        u.absorb(
            &[spend(
                Some("claude-opus-4-1"),
                1_000_000,
                Some(2.0),
                Some(NOW),
            )],
            &prices(),
            at(NOW),
        );
        assert_eq!((u.usd_source, u.totals.usd), (UsdSource::Agent, Some(2.0)));
        u.absorb(
            &[spend(Some("claude-opus-4-1"), 100_000, None, Some(NOW))],
            &prices(),
            at(NOW),
        );
        assert_eq!(u.usd_source, UsdSource::Mixed);
        assert_eq!(u.totals.usd, Some(3.0));
        assert_eq!(u.totals.tokens.input, 1_100_100);
        assert!(!u.totals.usd_complete, "the gpt-5 tokens had no price");
        assert_eq!(u.by_model["claude-opus-4-1"].usd, Some(3.0));
        assert!(u.by_model["claude-opus-4-1"].usd_complete);
        assert_eq!(u.by_model["gpt-5"].usd, None);
    }

    #[test]
    fn minute_buckets_count_undated_spends_now_and_keep_24_hours() {
        let mut u = JobUsage::new("t-1", "t");
        let p = Prices::default();
        u.absorb(
            &[
                spend(None, 1, None, Some(NOW - 2)),
                spend(None, 2, None, None),
                spend(None, 4, None, Some(NOW + 500)),
                spend(None, 8, None, Some(NOW - MINUTES_KEPT)),
                spend(None, 16, None, Some(NOW - MINUTES_KEPT + 1)),
            ],
            &p,
            at(NOW),
        );
        let got: Vec<(i64, u64)> = u
            .minutes
            .iter()
            .map(|(m, t)| (*m, t.tokens.input))
            .collect();
        assert_eq!(got, [(NOW - MINUTES_KEPT + 1, 16), (NOW - 2, 1), (NOW, 6)]);
        // The totals keep what the buckets no longer hold; no model, no by_model.
        assert_eq!(u.totals.tokens.input, 31);
        assert!(u.by_model.is_empty());
        // An hour later, the oldest bucket is gone even with nothing new.
        u.absorb(&[], &p, at(NOW) + Duration::minutes(60));
        assert_eq!(
            u.minutes.keys().copied().collect::<Vec<_>>(),
            [NOW - 2, NOW]
        );
    }

    #[test]
    fn model_names_are_cut_and_bounded() {
        let mut u = JobUsage::new("t-1", "t");
        let spends: Vec<Spend> = (0..40)
            .map(|i| spend(Some(&format!("m{i:02}{}", "é".repeat(100))), 1, None, None))
            .collect();
        u.absorb(&spends, &Prices::default(), at(NOW));
        assert_eq!(u.by_model.len(), MAX_MODELS + 1);
        assert_eq!(u.by_model[OTHER_MODELS].tokens.input, 8);
        assert!(u.by_model.keys().all(|k| k.len() <= MAX_MODEL_NAME));
    }

    #[test]
    fn round_trips_through_its_file_and_refuses_links_and_strangers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let jobs = dir.path().join(".warden/jobs");
        let mut u = JobUsage::new("t-1", "t");
        let mut cursor = Cursor {
            offset: 10,
            file: Some(FileId { dev: 1, ino: 2 }),
            ..Cursor::default()
        };
        cursor.recent.insert(99);
        u.transcript = Some(TranscriptCursor {
            path: "/home/dev/.claude/projects/x/s.jsonl".into(),
            cursor,
        });
        u.absorb(
            &[spend(Some("claude-opus-4-1"), 5, None, Some(NOW))],
            &prices(),
            at(NOW),
        );
        write_job_usage(&jobs, &u).expect("write");
        assert_eq!(read_job_usage(&jobs, "t-1"), Some(u.clone()));
        assert_eq!(read_job_usage(&jobs, "t-2"), None);
        // Another job's record under this name, a newer format, a link: nothing.
        std::fs::copy(usage_path(&jobs, "t-1"), usage_path(&jobs, "t-3")).expect("copy");
        assert_eq!(read_job_usage(&jobs, "t-3"), None);
        let mut newer = u.clone();
        newer.format_version = JOB_USAGE_FORMAT_VERSION + 1;
        write_job_usage(&jobs, &newer).expect("write");
        assert_eq!(read_job_usage(&jobs, "t-1"), None);
        std::os::unix::fs::symlink(usage_path(&jobs, "t-1"), usage_path(&jobs, "t-4"))
            .expect("link");
        assert_eq!(read_job_usage(&jobs, "t-4"), None);
        let blocked = JobUsage::new("t-4", "t");
        let err = write_job_usage(&jobs, &blocked).expect_err("a link");
        assert!(
            err.to_string().starts_with("failed to write usage record "),
            "{err}"
        );
    }
}
