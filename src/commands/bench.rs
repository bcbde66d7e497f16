//! `warden bench-heartbeat` (hidden): the heartbeat benchmark behind `docs/benchmarks.md`.
//! It generates a backlog, times a cold pass (empty cache) and warm passes (cache filled,
//! nothing changed), each including snapshot writing, and reports peak memory.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::output::print;
use crate::config::{Overrides, load};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;
use crate::snapshot::{to_json, write_snapshot};

fn generate(root: &Path, n: usize) -> std::io::Result<()> {
    let statuses = [
        "backlog",
        "ready",
        "in_progress",
        "blocked",
        "review",
        "completed",
        "cancelled",
    ];
    for i in 0..n {
        let dir = root.join(format!("tasks/m{}", i % 20));
        std::fs::create_dir_all(&dir)?;
        let deps = if i % 3 == 0 && i > 0 {
            format!("[t{}]", i - 1)
        } else {
            "[]".to_owned()
        };
        let text = format!(
            "---\nid: t{i}\ntitle: Generated task {i}\nstatus: {}\npriority: p{}\nmilestone: m{}\nowner: bench\ndepends_on: {deps}\n---\n\n# Generated task {i}\n\nSome prose about the task.\n",
            statuses[i % statuses.len()],
            i % 4,
            i % 20
        );
        std::fs::write(dir.join(format!("t{i}.md")), text)?;
    }
    std::fs::write(
        root.join("warden.toml"),
        "[heartbeat]\nkeep_snapshots = 3\n",
    )
}

/// Peak resident memory of this process in KiB, from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One timed pass.
struct Timing {
    total: Duration,
    pass: Duration,
    encode: Duration,
    write: Duration,
    parsed: usize,
    walked: bool,
    signals: usize,
    bytes: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn run(tasks: usize, rounds: usize, dir: Option<&Path>) -> Result<ExitCode, Error> {
    let temp;
    let root = match dir {
        Some(d) => d.to_path_buf(),
        None => {
            temp = std::env::temp_dir().join(format!("warden-bench-{}", std::process::id()));
            temp.clone()
        }
    };
    let io = |e: std::io::Error| Error::Stdout(e);
    std::fs::create_dir_all(&root).map_err(io)?;
    let gen_started = Instant::now();
    generate(&root, tasks).map_err(io)?;
    let generated = gen_started.elapsed();
    let rss_before = peak_rss_kib();

    let loaded = load(&root, None, &Overrides::default())?;
    let keep = loaded.config.heartbeat.keep_snapshots;
    let mut tier1 = Tier1::new(loaded).watching();
    let snapshot_dir = tier1.snapshot_dir();
    let one = |tier1: &mut Tier1| -> Result<Timing, Error> {
        let started = Instant::now();
        let pass = tier1.pass(Utc::now());
        let passed = started.elapsed();
        let json = to_json(&pass.snapshot)?;
        let encoded = started.elapsed();
        write_snapshot(&snapshot_dir, &pass.snapshot, &json, keep)?;
        let total = started.elapsed();
        Ok(Timing {
            total,
            pass: passed,
            encode: encoded - passed,
            write: total - encoded,
            parsed: pass.scan.files_parsed,
            walked: pass.scan.walked,
            signals: pass.snapshot.escalation.signals.len(),
            bytes: json.len(),
        })
    };
    let cold = one(&mut tier1)?;
    let mut warm = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        warm.push(one(&mut tier1)?);
    }
    // One file edited: the watcher reports it, the folder is walked, one file re-read.
    let edited = root.join("tasks/m0/t0.md");
    let text = std::fs::read_to_string(&edited).map_err(io)?;
    std::fs::write(&edited, text.replace("status: backlog", "status: ready")).map_err(io)?;
    let one_changed = one(&mut tier1)?;
    let parsed_warm: usize = warm.iter().map(|t| t.parsed).sum();
    let walked_warm = warm.iter().filter(|t| t.walked).count();
    let median = |f: fn(&Timing) -> Duration| {
        let mut v: Vec<Duration> = warm.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    let totals = {
        let mut v: Vec<Duration> = warm.iter().map(|t| t.total).collect();
        v.sort();
        v
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "heartbeat benchmark: {tasks} task files in {}",
        root.display()
    );
    let _ = writeln!(out, "  generate   {:>8.1} ms", ms(generated));
    let _ = writeln!(
        out,
        "  cold pass  {:>8.1} ms  (read+detect+build {:.1}, encode {:.1}, write {:.1}; {} files parsed, {} signals, snapshot {} KiB)",
        ms(cold.total),
        ms(cold.pass),
        ms(cold.encode),
        ms(cold.write),
        cold.parsed,
        cold.signals,
        cold.bytes / 1024
    );
    let _ = writeln!(
        out,
        "  warm pass  {:>8.1} ms median (read+detect+build {:.1}, encode {:.1}, write {:.1}); min {:.1}, max {:.1} over {} rounds, {parsed_warm} files re-parsed, {walked_warm} walks",
        ms(median(|t| t.total)),
        ms(median(|t| t.pass)),
        ms(median(|t| t.encode)),
        ms(median(|t| t.write)),
        ms(totals[0]),
        ms(totals[totals.len() - 1]),
        totals.len()
    );
    let _ = writeln!(
        out,
        "  one edit   {:>8.1} ms  (read+detect+build {:.1}, encode {:.1}, write {:.1}; {} file re-parsed)",
        ms(one_changed.total),
        ms(one_changed.pass),
        ms(one_changed.encode),
        ms(one_changed.write),
        one_changed.parsed
    );
    if let (Some(before), Some(peak)) = (rss_before, peak_rss_kib()) {
        let _ = writeln!(
            out,
            "  peak RSS   {:>8.1} MiB (before the first pass: {:.1} MiB)",
            peak as f64 / 1024.0,
            before as f64 / 1024.0
        );
    }
    print(&out)?;
    if dir.is_none() {
        let _ = std::fs::remove_dir_all(&root);
    }
    Ok(ExitCode::Ok)
}
