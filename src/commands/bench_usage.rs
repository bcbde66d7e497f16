//! `warden bench-usage` (hidden): the cost of reading a Claude Code transcript a pass at a
//! time, behind `docs/benchmarks.md`. It generates a realistic transcript (assistant
//! responses written one line per content block, each repeating the message id, request id
//! and usage; user lines with tool results, some of them large), then times what one
//! supervisor pass would do for the job: `read_increment` with a cap, `absorb`, the record
//! saved. First the whole file, pass after pass; then a pass after 100 KB more; then a
//! pass with nothing new. It checks the tokens counted against the tokens generated.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use super::output::print;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::usage::{
    JobUsage, ModelPrice, Prices, Tokens, TranscriptCursor, day, hour, read_increment,
    read_job_usage, write_job_usage,
};

const JOB: &str = "bench-1";
const MODEL: &str = "claude-opus-4-1-20250805";

/// A deterministic generator (xorshift64*): the same transcript every run, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Writes responses until `bytes` are written; returns the tokens of the distinct responses.
struct Writer {
    rng: Rng,
    response: u64,
    /// The first line's time; each line is 1–4 s after the one before.
    start: chrono::DateTime<chrono::Utc>,
    second: i64,
    expected: Tokens,
}

impl Writer {
    fn stamp(&mut self) -> String {
        self.second += 1 + self.rng.below(4) as i64;
        (self.start + chrono::Duration::seconds(self.second))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    }

    /// One response: 1–3 content-block lines sharing id, request id and usage, then the
    /// tool result a person's repository sends back.
    fn response(&mut self, out: &mut impl std::io::Write) -> std::io::Result<u64> {
        self.response += 1;
        let n = self.response;
        let usage = Tokens {
            input: 1 + self.rng.below(40),
            output: 20 + self.rng.below(2_000),
            cache_read: 20_000 + self.rng.below(150_000),
            cache_creation: self.rng.below(8_000),
        };
        self.expected += usage;
        let blocks = 1 + self.rng.below(3);
        let mut written = 0;
        for b in 0..blocks {
            let content = match b {
                0 => format!(
                    r#"{{"type":"text","text":"Looking at the failing test in src/module_{n}.rs; the assertion compares the wrong field, so I will fix the comparison and run the suite again. {}"}}"#,
                    "More reasoning. ".repeat(self.rng.below(40) as usize)
                ),
                _ => format!(
                    r#"{{"type":"tool_use","id":"toolu_{n:024}{b}","name":"Bash","input":{{"command":"cargo test --lib module_{n} 2>&1 | tail -40","description":"Run the tests"}}}}"#
                ),
            };
            let stamp = self.stamp();
            let line = format!(
                r#"{{"parentUuid":"0000-{n}-{b}","isSidechain":false,"userType":"external","cwd":"/home/dev/repo","sessionId":"3f1c2a9e-8b1d-4c55-9a7e-0d6f2b8c1e44","version":"2.1.3","gitBranch":"main","message":{{"id":"msg_01{n:022}","type":"message","role":"assistant","model":"{MODEL}","content":[{content}],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{},"cache_creation_input_tokens":{},"cache_read_input_tokens":{},"cache_creation":{{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}},"output_tokens":{},"service_tier":"standard"}}}},"requestId":"req_011{n:021}","type":"assistant","uuid":"1111-{n}-{b}","timestamp":"{stamp}"}}"#,
                usage.input, usage.cache_creation, usage.cache_read, usage.output
            ) + "\n";
            out.write_all(line.as_bytes())?;
            written += line.len() as u64;
        }
        // Tool results: mostly a few KB, one in 20 about 100 KB (a file read, a long log).
        let size = if self.rng.below(20) == 0 {
            80_000 + self.rng.below(60_000)
        } else {
            500 + self.rng.below(8_000)
        };
        let result = "test module_x::case ... ok\\n".repeat(size as usize / 28 + 1);
        let stamp = self.stamp();
        let line = format!(
            r#"{{"parentUuid":"1111-{n}","isSidechain":false,"userType":"external","cwd":"/home/dev/repo","sessionId":"3f1c2a9e-8b1d-4c55-9a7e-0d6f2b8c1e44","version":"2.1.3","gitBranch":"main","type":"user","message":{{"role":"user","content":[{{"tool_use_id":"toolu_{n:024}1","type":"tool_result","content":"{result}","is_error":false}}]}},"uuid":"2222-{n}","timestamp":"{stamp}","toolUseResult":{{"stdout":"{result}","stderr":"","interrupted":false}}}}"#
        ) + "\n";
        out.write_all(line.as_bytes())?;
        Ok(written + line.len() as u64)
    }

    fn write(&mut self, path: &Path, bytes: u64) -> std::io::Result<()> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let mut out = std::io::BufWriter::new(file);
        let mut written = 0;
        while written < bytes {
            written += self.response(&mut out)?;
        }
        out.flush()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A resident-memory figure of this process in KiB, from /proc (Linux only).
fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// What one supervisor pass does for a job, timed: read, count, save.
struct Pass {
    read: Duration,
    total: Duration,
    bytes: u64,
    more: bool,
}

fn pass(
    jobs: &Path,
    path: &Path,
    usage: &mut JobUsage,
    prices: &Prices,
    cap: u64,
) -> Result<Pass, Error> {
    let now = crate::clock::now();
    let started = Instant::now();
    let cursor = usage
        .transcript
        .as_ref()
        .map(|t| t.cursor.clone())
        .unwrap_or_default();
    let inc = read_increment(path, &cursor, cap).map_err(|e| Error::Failed(e.to_string()))?;
    let read = started.elapsed();
    let bytes = inc.cursor.offset - cursor.offset;
    usage.absorb(&inc.spends, prices, now);
    usage.transcript = Some(TranscriptCursor {
        path: path.to_path_buf(),
        cursor: inc.cursor,
    });
    write_job_usage(jobs, usage).map_err(|e| Error::Failed(e.to_string()))?;
    Ok(Pass {
        read,
        total: started.elapsed(),
        bytes,
        more: inc.more,
    })
}

fn describe(out: &mut String, name: &str, p: &Pass) {
    let _ = writeln!(
        out,
        "  {name:<26} {:>8.1} KiB  read {:>7.2} ms  pass {:>7.2} ms",
        p.bytes as f64 / 1024.0,
        ms(p.read),
        ms(p.total)
    );
}

pub(crate) fn run(mb: u64, pass_mib: u64) -> Result<ExitCode, Error> {
    let io = Error::Stdout;
    let dir = tempfile::tempdir().map_err(io)?;
    let jobs = dir.path().join(".warden/jobs");
    let path = dir.path().join("transcript.jsonl");
    let mut writer = Writer {
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        response: 0,
        // About five hours of work before now: the last hour and the day both hold some.
        start: crate::clock::now() - chrono::Duration::hours(5),
        second: 0,
        expected: Tokens::default(),
    };
    let generated = Instant::now();
    writer.write(&path, mb.max(1) * 1024 * 1024).map_err(io)?;
    let size = std::fs::metadata(&path).map_err(io)?.len();
    let generated = generated.elapsed();
    let mut prices = Prices::default();
    prices.0.insert(
        "claude-opus-4".into(),
        ModelPrice {
            input: 15.0,
            output: 75.0,
            cache_read: Some(1.5),
            cache_creation: Some(18.75),
        },
    );
    // The generator's buffers are gone: measure the peak from here (Linux: "5" resets it).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = rss_kib("VmHWM:");
    let cap = pass_mib.max(1) * 1024 * 1024;
    let mut usage = JobUsage::new(JOB, "bench");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "warden usage benchmark: {:.1} MiB transcript, {} responses ({:.0} ms to generate), {} MiB per pass",
        size as f64 / 1048576.0,
        writer.response,
        ms(generated),
        pass_mib.max(1)
    );
    let mut first = Vec::new();
    loop {
        let p = pass(&jobs, &path, &mut usage, &prices, cap)?;
        let more = p.more;
        first.push(p);
        if !more {
            break;
        }
    }
    for (i, p) in first.iter().enumerate() {
        describe(&mut out, &format!("first read, pass {}", i + 1), p);
    }
    let worst = first.iter().map(|p| p.total).max().unwrap_or_default();
    let all: Duration = first.iter().map(|p| p.total).sum();
    let _ = writeln!(
        out,
        "  whole file: {} passes, {:.1} ms in all, worst pass {:.2} ms",
        first.len(),
        ms(all),
        ms(worst)
    );
    let counted = usage.totals.tokens;
    writer.write(&path, 100 * 1024).map_err(io)?;
    let appended = pass(&jobs, &path, &mut usage, &prices, cap)?;
    describe(&mut out, "after 100 KB appended", &appended);
    let idle = pass(&jobs, &path, &mut usage, &prices, cap)?;
    describe(&mut out, "nothing new", &idle);
    let now = crate::clock::now();
    let back = read_job_usage(&jobs, JOB);
    let _ = writeln!(
        out,
        "  tokens counted {} of {} generated (first read {}); usd {:.2}; hour {} tokens, day {}; record {} bytes, reads back: {}",
        usage.totals.tokens.total(),
        writer.expected.total(),
        counted.total(),
        usage.totals.usd.unwrap_or_default(),
        hour(std::slice::from_ref(&usage), now).tokens.total(),
        day(std::slice::from_ref(&usage), now).tokens.total(),
        std::fs::metadata(crate::usage::usage_path(&jobs, JOB)).map_or(0, |m| m.len()),
        // Floats may differ in the last bit after a JSON round trip; tokens and cursor may not.
        back.as_ref()
            .is_some_and(|b| b.totals.tokens == usage.totals.tokens
                && b.transcript == usage.transcript
                && b.minutes.len() == usage.minutes.len())
    );
    let _ = writeln!(
        out,
        "  peak memory: {} KiB before reading, {} KiB after (VmHWM)",
        before.map_or_else(|| "?".into(), |k| k.to_string()),
        rss_kib("VmHWM:").map_or_else(|| "?".into(), |k| k.to_string()),
    );
    print(&out)?;
    if usage.totals.tokens != writer.expected {
        return Err(Error::Failed(
            "the tokens counted differ from the tokens generated".into(),
        ));
    }
    Ok(ExitCode::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_transcript_is_counted_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.jsonl");
        let mut writer = Writer {
            rng: Rng(7),
            response: 0,
            start: crate::clock::test_now(),
            second: 0,
            expected: Tokens::default(),
        };
        writer.write(&path, 300 * 1024).expect("write");
        let jobs = dir.path().join("jobs");
        let mut usage = JobUsage::new(JOB, "t");
        loop {
            let p = pass(&jobs, &path, &mut usage, &Prices::default(), 64 * 1024).expect("pass");
            if !p.more {
                break;
            }
        }
        assert_eq!(usage.totals.tokens, writer.expected);
        assert_eq!(usage.by_model[MODEL].tokens, writer.expected);
        assert_eq!(read_job_usage(&jobs, JOB), Some(usage));
    }
}
