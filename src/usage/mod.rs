//! Usage and cost per job (issue 11): the pure accounting core. Tokens and spends, the
//! sources (a Claude Code transcript read incrementally, the result object of `claude -p`,
//! Codex's `turn.completed` events), the price table, the per-job record and the windows.

mod budget;
mod cursor;
mod line;
mod prices;
mod record;
mod reset;
mod result;
mod tokens;
mod totals;
mod transcript;
#[cfg(test)]
mod transcript_tests;
mod window;

pub(crate) use budget::{Breach, Limit, breaches};
pub(crate) use prices::{ModelPrice, Prices};
pub(crate) use record::{
    JobUsage, TranscriptCursor, read_all_usage, read_job_usage, usage_path, write_job_usage,
};
pub(crate) use reset::{read_reset, write_reset};
pub(crate) use result::{claude_result, codex_usage};
pub(crate) use tokens::Tokens;
pub(crate) use totals::Totals;
pub(crate) use transcript::read_increment;
pub(crate) use window::{day, hour, per_task};
