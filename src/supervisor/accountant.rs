//! Counting what each job spends (issue 11), before each heartbeat: the new part of its
//! agent's transcript (`transcript_path` from its hooks, read from a remembered cursor, a
//! capped amount per pass), and, once the job ended with nothing counted, the result object
//! `claude -p --output-format json` or Codex's `turn.completed` events printed in its log.
//! Each job's record (`.warden/jobs/<job>.usage.json`) is written when it changed, so a
//! restart forgets nothing. The I/O half; the totals and windows are pure (`usage/`).

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};

use super::prompt_file::log_end;
use super::state::State;
use crate::agent::read_agent_record;
use crate::dispatch::attempt_output;
use crate::usage::{
    JobUsage, Prices, TranscriptCursor, claude_result, codex_usage, read_increment, write_job_usage,
};

/// The most of a transcript one pass reads (measured: 8 MiB in about 15 ms).
const PASS_BYTES: u64 = 8 * 1024 * 1024;

/// The task a manager's spend is filed under.
pub(crate) const MANAGER_TASK: &str = "(escalation)";

/// How long after its end a job's spend is still looked for when a supervisor starts.
const LATE: TimeDelta = TimeDelta::hours(1);

#[derive(Debug, Default)]
pub(crate) struct Accountant {
    /// Ended jobs whose last read is done.
    finished: BTreeSet<String>,
}

/// The transcript's new part, counted; the cursor moves on.
fn read_more(usage: &mut JobUsage, path: std::path::PathBuf, prices: &Prices, now: DateTime<Utc>) {
    let cursor = usage
        .transcript
        .as_ref()
        .filter(|t| t.path == path)
        .map(|t| t.cursor.clone())
        .unwrap_or_default();
    match read_increment(&path, &cursor, PASS_BYTES) {
        Ok(inc) => {
            usage.absorb(&inc.spends, prices, now);
            usage.transcript = Some(TranscriptCursor {
                path,
                cursor: inc.cursor,
            });
        }
        Err(e) => tracing::debug!("usage of {}: {e}", usage.job),
    }
}

/// A record that changed is saved and handed back.
fn save(
    jobs: &std::path::Path,
    before: Option<&JobUsage>,
    usage: JobUsage,
    changed: &mut Vec<JobUsage>,
) {
    if before != Some(&usage) {
        if let Err(e) = write_job_usage(jobs, &usage) {
            tracing::warn!("{e}");
        }
        changed.push(usage);
    }
}

impl Accountant {
    /// The records that changed, saved.
    pub(crate) fn account(&mut self, state: &State, now: DateTime<Utc>) -> Vec<JobUsage> {
        let Ok(register) = &state.jobs.register else {
            return Vec::new();
        };
        let jobs_dir = &state.paths.jobs;
        let prices = &state.config.budget.prices;
        let mut changed = Vec::new();
        for job in &register.jobs {
            let ended = !job.is_live();
            if ended
                && (self.finished.contains(&job.job)
                    || job.ended_at.is_some_and(|e| e + LATE < now))
            {
                continue;
            }
            let before = state.usage.get(&job.job);
            let mut usage = before
                .cloned()
                .unwrap_or_else(|| JobUsage::new(&job.job, &job.task));
            let transcript = state
                .agents
                .records
                .get(&job.job)
                .and_then(|r| r.transcript_path.clone())
                .or_else(|| {
                    job.agent
                        .and_then(|_| read_agent_record(jobs_dir, &job.job))
                        .and_then(|r| r.transcript_path)
                });
            if let Some(path) = transcript {
                read_more(&mut usage, path, prices, now);
            }
            if ended {
                self.finished.insert(job.job.clone());
                if usage.totals.tokens.is_zero() {
                    // `claude -p --output-format json` or `codex exec --json` said it last.
                    let log = log_end(&state.paths.root.join(&job.log_path));
                    let mine = attempt_output(&log, &job.job).as_bytes();
                    if let Some(result) = claude_result(mine) {
                        usage.absorb(&result.spends, prices, now);
                    } else if let Some(spend) = codex_usage(mine) {
                        usage.absorb(&[spend], prices, now);
                    }
                }
            }
            save(jobs_dir, before, usage, &mut changed);
        }
        // Tier 2's managers spend like any job (their hooks report under their action id).
        let managers: Vec<String> = state
            .managers
            .ledger()
            .map(|l| l.state.live.iter().map(|m| m.action.clone()).collect())
            .unwrap_or_default();
        for action in managers {
            let Some(path) = read_agent_record(jobs_dir, &action).and_then(|r| r.transcript_path)
            else {
                continue;
            };
            let before = state.usage.get(&action);
            let mut usage = before
                .cloned()
                .unwrap_or_else(|| JobUsage::new(&action, MANAGER_TASK));
            read_more(&mut usage, path, prices, now);
            save(jobs_dir, before, usage, &mut changed);
        }
        changed
    }
}
