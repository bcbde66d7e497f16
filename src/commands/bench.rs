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
use crate::snapshot::write_snapshot;

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
    let mut tier1 = Tier1::new(loaded);
    let snapshot_dir = tier1.snapshot_dir();
    let one = |tier1: &mut Tier1| -> Result<(Duration, usize, usize), Error> {
        let started = Instant::now();
        let pass = tier1.pass(Utc::now())?;
        write_snapshot(&snapshot_dir, &pass.snapshot, keep)?;
        Ok((
            started.elapsed(),
            pass.backlog.files_parsed,
            pass.snapshot.escalation.signals.len(),
        ))
    };
    let (cold, parsed_cold, signals) = one(&mut tier1)?;
    let mut warm = Vec::with_capacity(rounds);
    let mut parsed_warm = 0;
    for _ in 0..rounds.max(1) {
        let (d, parsed, _) = one(&mut tier1)?;
        parsed_warm += parsed;
        warm.push(d);
    }
    warm.sort();
    let median = warm[warm.len() / 2];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "heartbeat benchmark: {tasks} task files in {}",
        root.display()
    );
    let _ = writeln!(out, "  generate        {:>9.1} ms", ms(generated));
    let _ = writeln!(
        out,
        "  cold pass       {:>9.1} ms  ({parsed_cold} files parsed, {signals} signals)",
        ms(cold)
    );
    let _ = writeln!(
        out,
        "  warm pass       {:>9.1} ms median, {:.1} min, {:.1} max over {} rounds ({parsed_warm} files re-parsed)",
        ms(median),
        ms(warm[0]),
        ms(warm[warm.len() - 1]),
        warm.len()
    );
    if let (Some(before), Some(peak)) = (rss_before, peak_rss_kib()) {
        let _ = writeln!(
            out,
            "  peak RSS        {:>9.1} MiB (before the first pass: {:.1} MiB)",
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
