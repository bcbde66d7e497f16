//! `warden run-worker` (hidden): the pane's own process. It starts the dispatch argv as its
//! child, waits for it, and records pid, start, end and the exact exit code or signal in the
//! job's record before telling the supervisor. It then leaves the same way its child did
//! (same code, or the same signal re-raised) so tmux's own pane status agrees.
//!
//! Signals: the child shares the wrapper's process group, so Ctrl-C typed by an operator
//! reaches the child straight from the terminal; the wrapper itself ignores SIGINT and
//! SIGQUIT and forwards SIGTERM and SIGHUP to the child, so it lives to record the end.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::Signals;

use super::record::{WORKER_RECORD_VERSION, WorkerRecord, write_record};
use super::report::{Report, ReportKind, send_report};
use crate::register::JobEnd;

/// What the supervisor passes to the wrapper.
#[derive(Debug, Clone)]
pub(crate) struct WrapperArgs {
    pub(crate) job: String,
    pub(crate) record: PathBuf,
    pub(crate) report: Option<PathBuf>,
    /// Start only once this file exists (the supervisor creates it after it has attached
    /// the log to the pane, so no early output is lost). Ten seconds at most.
    pub(crate) go: Option<PathBuf>,
    pub(crate) argv: Vec<String>,
}

const GO_TIMEOUT: Duration = Duration::from_secs(10);

fn wait_for_go(go: &Path) {
    let started = Instant::now();
    while !go.exists() && started.elapsed() < GO_TIMEOUT {
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = std::fs::remove_file(go);
}

/// The signal's name, like `SIGKILL`; the number when it has none.
pub(crate) fn signal_name(number: i32) -> String {
    Signal::try_from(number).map_or_else(|_| format!("SIG{number}"), |s| s.as_str().to_owned())
}

fn record(args: &WrapperArgs, rec: &WorkerRecord, kind: ReportKind) {
    if let Err(e) = write_record(&args.record, rec) {
        eprintln!("warden: {e}");
    }
    if let Some(sock) = &args.report {
        send_report(
            sock,
            &Report {
                job: args.job.clone(),
                kind,
            },
        );
    }
}

/// Runs the job; returns the exit code to leave with (after re-raising a signal death).
pub(crate) fn run_worker(args: &WrapperArgs) -> i32 {
    if let Some(go) = &args.go {
        wait_for_go(go);
    }
    let started_at = Utc::now();
    let mut rec = WorkerRecord {
        format_version: WORKER_RECORD_VERSION,
        job: args.job.clone(),
        pid: None,
        started_at,
        ended_at: None,
        end: None,
    };
    let Some((program, rest)) = args.argv.split_first() else {
        eprintln!("warden: run-worker needs a command after --");
        rec.ended_at = Some(Utc::now());
        rec.end = Some(JobEnd::Exited { code: 127 });
        record(args, &rec, ReportKind::Exited);
        return 127;
    };
    let mut child = match Command::new(program).args(rest).spawn() {
        Ok(child) => child,
        Err(e) => {
            // The shell's conventions: 127 not found, 126 found but not runnable.
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            eprintln!("warden: failed to start {program}: {e}");
            rec.ended_at = Some(Utc::now());
            rec.end = Some(JobEnd::Exited { code });
            record(args, &rec, ReportKind::Exited);
            return code;
        }
    };
    rec.pid = Some(child.id());
    record(args, &rec, ReportKind::Started);

    let child_pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let forwarder = Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])
        .ok()
        .map(|mut signals| {
            let handle = signals.handle();
            let thread = std::thread::spawn(move || {
                for sig in signals.forever() {
                    if (sig == SIGTERM || sig == SIGHUP)
                        && let Ok(s) = Signal::try_from(sig)
                    {
                        let _ = kill(child_pid, s);
                    }
                }
            });
            (handle, thread)
        });

    let status = child.wait();
    rec.ended_at = Some(Utc::now());
    rec.end = Some(match &status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => JobEnd::Exited { code },
            (None, Some(sig)) => JobEnd::Signaled {
                signal: signal_name(sig),
            },
            (None, None) => JobEnd::Lost {
                reason: "the child ended without a code or a signal".to_owned(),
            },
        },
        Err(e) => JobEnd::Lost {
            reason: format!("failed to wait for the child: {e}"),
        },
    });
    record(args, &rec, ReportKind::Exited);
    if let Some((handle, thread)) = forwarder {
        handle.close();
        let _ = thread.join();
    }
    let end = rec.end.as_ref();
    eprintln!(
        "\r\n[warden] job {} {}",
        args.job,
        end.map_or_else(|| "ended".to_owned(), ToString::to_string)
    );
    match status.ok().and_then(|s| s.signal()) {
        Some(sig) => {
            // Leave the way the child did, so tmux's pane_dead_signal agrees with the record.
            let _ = signal_hook::low_level::emulate_default_handler(sig);
            128 + sig
        }
        None => match end {
            Some(JobEnd::Exited { code }) => *code,
            _ => 1,
        },
    }
}
