//! `warden bench-exits` (hidden): latency from a worker's exit to warden knowing its exact
//! status (the wrapper's record, announced by datagram), side by side with what a 100 ms
//! `pane_dead_status` poll (overmind's approach, plus the SIGCHLD nudge tmux 3.3a needs)
//! sees, measured on the same exits in the same run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::output::print;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::tmux::{Spawn, Tmux, TmuxPort, WindowSpec};
use crate::worker::{ReportKind, WrapperArgs, parse_report, read_record, record_path};

fn other(e: impl std::fmt::Display) -> Error {
    Error::Failed(e.to_string())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: TimeDelta) -> f64 {
    d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

pub(crate) fn run(count: usize, concurrency: usize) -> Result<ExitCode, Error> {
    let dir = tempfile::Builder::new()
        .prefix("wbx")
        .tempdir_in("/tmp")
        .map_err(other)?;
    let socket = format!("warden-bench-{}", std::process::id());
    let tmux = Tmux::new(socket);
    let exe = std::env::current_exe().map_err(other)?;
    let placeholder = vec!["sleep".to_owned(), "86400".to_owned()];
    let spawn = Spawn {
        argv: &placeholder,
        cwd: dir.path(),
        env: &[],
    };
    tmux.start_session("bench", "idle", &spawn, (120, 40))
        .map_err(other)?;
    let server_pid = tmux.server_pid("bench").map_err(other)?;
    let result = measure(
        &tmux,
        &exe,
        dir.path(),
        server_pid,
        count,
        concurrency.max(1),
    );
    let _ = tmux.kill_server();
    let (ours, polled, missed) = result?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "exit-to-record latency over {} exits ({} at a time):",
        ours.len(),
        concurrency
    );
    let line = |name: &str, v: &[f64]| {
        format!(
            "  {name:<34} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms\n",
            percentile(v, 50.0),
            percentile(v, 99.0),
            v.last().copied().unwrap_or(f64::NAN)
        )
    };
    out.push_str(&line("warden (wrapper record + datagram)", &ours));
    out.push_str(&line("100 ms pane_dead_status poll", &polled));
    let _ = writeln!(
        out,
        "  ratio poll/warden                  p50 {:>7.1}x     p99 {:>7.1}x   ({missed} exits the poll never saw)",
        percentile(&polled, 50.0) / percentile(&ours, 50.0),
        percentile(&polled, 99.0) / percentile(&ours, 99.0)
    );
    print(&out)?;
    Ok(ExitCode::Ok)
}

type Samples = (Vec<f64>, Vec<f64>, usize);

fn measure(
    tmux: &Tmux,
    exe: &Path,
    dir: &Path,
    server_pid: i32,
    count: usize,
    concurrency: usize,
) -> Result<Samples, Error> {
    let report_path = dir.join("r.sock");
    let reports = UnixDatagram::bind(&report_path).map_err(other)?;
    reports
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(other)?;
    // The poller: every 100 ms, which dead panes show a status; nudge tmux when one does not.
    let seen: Arc<Mutex<BTreeMap<String, DateTime<Utc>>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (tmux, seen, stop) = (tmux.clone(), Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(panes) = tmux.list_panes("bench") {
                    let now = Utc::now();
                    for p in panes.iter().filter(|p| p.dead) {
                        let Some(job) = &p.job else { continue };
                        if p.dead_status.is_some() || p.dead_signal.is_some() {
                            if let Ok(mut s) = seen.lock() {
                                s.entry(job.clone()).or_insert(now);
                            }
                        } else {
                            let _ = nix::sys::signal::kill(
                                nix::unistd::Pid::from_raw(server_pid),
                                nix::sys::signal::Signal::SIGCHLD,
                            );
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let mut ours = Vec::with_capacity(count);
    let mut ended_at = BTreeMap::new();
    let mut n = 0;
    while n < count {
        let batch: Vec<String> = (n..count.min(n + concurrency))
            .map(|i| format!("b{i:04}"))
            .collect();
        n += batch.len();
        let mut panes = Vec::new();
        for (k, job) in batch.iter().enumerate() {
            // Staggered sleeps so exits do not line up with the poll's ticks.
            let child = format!("sleep 0.{:02}; exit 3", 5 + (k * 7 + n * 3) % 40);
            let argv = WrapperArgs {
                job: job.clone(),
                record: record_path(dir, job),
                report: Some(report_path.clone()),
                go: None,
                env: Vec::new(),
                workspace: None,
                argv: vec!["sh".into(), "-c".into(), child],
            }
            .to_argv(exe);
            let spawn = Spawn {
                argv: &argv,
                cwd: dir,
                env: &[],
            };
            panes.push(
                tmux.new_window(
                    "bench",
                    &WindowSpec {
                        name: job,
                        spawn,
                        job: Some(job),
                        pipe: None,
                    },
                )
                .map_err(other)?,
            );
        }
        let mut pending: Vec<&String> = batch.iter().collect();
        let mut buf = [0u8; 1024];
        while !pending.is_empty() {
            let len = reports
                .recv(&mut buf)
                .map_err(|e| other(format!("no report within 10 s: {e}")))?;
            let received = Utc::now();
            let Some(report) = parse_report(&buf[..len]).filter(|r| r.kind == ReportKind::Exited)
            else {
                continue;
            };
            let Ok(Some(record)) = read_record(&record_path(dir, &report.job)) else {
                continue;
            };
            let Some(end) = record.ended_at else { continue };
            ours.push(ms(received - end).max(0.0));
            ended_at.insert(report.job.clone(), end);
            pending.retain(|j| **j != report.job);
        }
        // Let the poller see this batch (it may need a nudge or two), then clear the panes.
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while std::time::Instant::now() < deadline
            && seen
                .lock()
                .map(|s| batch.iter().any(|j| !s.contains_key(j)))
                .unwrap_or(false)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        for p in panes {
            let _ = tmux.kill_pane(&p.pane_id);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = poller.join();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let mut polled = Vec::new();
    let mut missed = 0;
    for (job, end) in &ended_at {
        match seen.get(job) {
            Some(at) => polled.push(ms(*at - *end).max(0.0)),
            None => missed += 1,
        }
    }
    ours.sort_by(f64::total_cmp);
    polled.sort_by(f64::total_cmp);
    Ok((ours, polled, missed))
}
