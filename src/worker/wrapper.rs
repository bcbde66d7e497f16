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
use super::workspace::{HookEnd, HookEnv, WorkspacePlan, read_plan, run_hook};
use crate::escape::terminal_safe;
use crate::register::JobEnd;

/// What the supervisor passes to the wrapper. `argv()` is the one place its command line is
/// written; `cli/command.rs` parses it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrapperArgs {
    pub(crate) job: String,
    pub(crate) record: PathBuf,
    pub(crate) report: Option<PathBuf>,
    /// Start only once this file exists: the supervisor creates it once the job's pane is
    /// made, tagged and its log attached, and the register knows the job. Without it the
    /// agent never starts (see `GO_TIMEOUT`).
    pub(crate) go: Option<PathBuf>,
    /// Set in the child's environment (for PATH, which tmux replaces in a new pane).
    pub(crate) env: Vec<(String, String)>,
    /// The workspace hooks to run around the agent (`[workspace]`), if any.
    pub(crate) workspace: Option<PathBuf>,
    pub(crate) argv: Vec<String>,
}

impl WrapperArgs {
    /// `<exe> run-worker --job J --record R [--report S] [--go G] -- <argv…>`.
    pub(crate) fn to_argv(&self, exe: &Path) -> Vec<String> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let mut out = vec![
            path(exe),
            "run-worker".to_owned(),
            "--job".to_owned(),
            self.job.clone(),
            "--record".to_owned(),
            path(&self.record),
        ];
        if let Some(report) = &self.report {
            out.extend(["--report".to_owned(), path(report)]);
        }
        if let Some(go) = &self.go {
            out.extend(["--go".to_owned(), path(go)]);
        }
        for (k, v) in &self.env {
            out.extend(["--env".to_owned(), format!("{k}={v}")]);
        }
        if let Some(plan) = &self.workspace {
            out.extend(["--workspace".to_owned(), path(plan)]);
        }
        out.push("--".to_owned());
        out.extend(self.argv.iter().cloned());
        out
    }
}

/// How long a wrapper waits to be released. A supervisor that made the pane and died is
/// restarted and releases it within this; past it the job is given up, never started late:
/// the register may already say it never started, and a late start would run it twice.
const GO_TIMEOUT: Duration = Duration::from_secs(60);

/// Waits for the go file without spinning (inotify on its folder, which holds nothing else;
/// a poll every 100 ms as a fallback where inotify is refused). True when it appeared; it
/// and its folder are removed either way.
fn wait_for_go(go: &Path, timeout: Duration) -> bool {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let deadline = Instant::now() + timeout;
    let inotify = go.parent().and_then(|dir| {
        let ino = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).ok()?;
        ino.add_watch(dir, AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO)
            .ok()?;
        Some(ino)
    });
    let found = loop {
        // The watch is set before this check, so a file made in between is not missed.
        if go.exists() {
            break true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break false;
        }
        match &inotify {
            Some(ino) => {
                let fd = std::os::fd::AsFd::as_fd(ino);
                let mut fds = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
                let ms = u16::try_from(left.as_millis().min(1000)).unwrap_or(1000);
                let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(ms));
                let _ = ino.read_events();
            }
            None => std::thread::sleep(Duration::from_millis(100).min(left)),
        }
    };
    let _ = std::fs::remove_file(go);
    // Its folder is its own (see `RuntimePaths::go_file`); an older layout's shared folder
    // is not empty and stays.
    if let Some(dir) = go.parent() {
        let _ = std::fs::remove_dir(dir);
    }
    found
}

/// The wrapper's exit code when it was never released (its agent never ran).
pub(crate) const NOT_RELEASED: i32 = 125;

/// The signal's name, like `SIGKILL`; the number when it has none.
pub(crate) fn signal_name(number: i32) -> String {
    Signal::try_from(number).map_or_else(|_| format!("SIG{number}"), |s| s.as_str().to_owned())
}

fn record(args: &WrapperArgs, rec: &WorkerRecord, kind: ReportKind) {
    if let Err(e) = write_record(&args.record, rec) {
        eprintln!("warden: {}", terminal_safe(&e.to_string()));
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

/// The job ends before its agent ran: not an attempt.
fn not_started(args: &WrapperArgs, rec: &mut WorkerRecord, reason: String) -> i32 {
    rec.ended_at = Some(Utc::now());
    rec.end = Some(JobEnd::NotStarted { reason });
    record(args, rec, ReportKind::Exited);
    NOT_RELEASED
}

/// `after_run`, whatever the attempt's end (in `WARDEN_JOB_END`); a failure is only told.
fn after_run(plan: &WorkspacePlan, rec: &WorkerRecord, timeout: Duration) {
    let end = rec
        .end
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), ToString::to_string);
    let vars = [("WARDEN_JOB_END", end)];
    let env = HookEnv {
        cwd: None,
        vars: &vars,
    };
    if let HookEnd::Failed { why, .. } = run_hook("after_run", &plan.after_run, timeout, env) {
        eprintln!("[warden] {}", terminal_safe(&why));
    }
}

/// Runs the job; returns the exit code to leave with (after re-raising a signal death).
pub(crate) fn run_worker(args: &WrapperArgs) -> i32 {
    let released = args
        .go
        .as_deref()
        .is_none_or(|go| wait_for_go(go, GO_TIMEOUT));
    let started_at = Utc::now();
    let mut rec = WorkerRecord {
        format_version: WORKER_RECORD_VERSION,
        job: args.job.clone(),
        pid: None,
        wrapper_pid: Some(std::process::id()),
        started_at,
        ended_at: None,
        end: None,
    };
    if !released {
        eprintln!(
            "warden: job {} was never released by the supervisor; its agent is not started",
            args.job
        );
        let reason = format!(
            "the supervisor did not release it within {}s",
            GO_TIMEOUT.as_secs()
        );
        return not_started(args, &mut rec, reason);
    }
    let plan = match args.workspace.as_deref().map(read_plan).transpose() {
        Ok(plan) => plan.unwrap_or_default(),
        Err(why) => {
            eprintln!("warden: {}", terminal_safe(&why));
            return not_started(args, &mut rec, why);
        }
    };
    let timeout = Duration::from_secs(plan.timeout_secs);
    if let Some(created) = plan.created.as_deref().filter(|c| !c.exists())
        && !plan.after_create.is_empty()
    {
        match run_hook(
            "after_create",
            &plan.after_create,
            timeout,
            HookEnv::default(),
        ) {
            // Once it succeeded it is not run again for this worktree.
            HookEnd::Ok => {
                if let Err(e) = std::fs::write(created, b"") {
                    eprintln!("warden: failed to write {}: {e}", created.display());
                }
            }
            HookEnd::Failed { why, .. } => {
                eprintln!("[warden] {}", terminal_safe(&why));
                return not_started(args, &mut rec, why);
            }
        }
    }
    if let HookEnd::Failed { code, why } =
        run_hook("before_run", &plan.before_run, timeout, HookEnv::default())
    {
        // This attempt failed: its agent never runs.
        eprintln!("[warden] {}; the agent is not started", terminal_safe(&why));
        rec.ended_at = Some(Utc::now());
        rec.end = Some(JobEnd::Exited { code });
        record(args, &rec, ReportKind::Exited);
        after_run(&plan, &rec, timeout);
        return code;
    }
    let Some((program, rest)) = args.argv.split_first() else {
        eprintln!("warden: run-worker needs a command after --");
        rec.ended_at = Some(Utc::now());
        rec.end = Some(JobEnd::Exited { code: 127 });
        record(args, &rec, ReportKind::Exited);
        return 127;
    };
    let mut child = match Command::new(program)
        .args(rest)
        .envs(args.env.iter().map(|(k, v)| (k, v)))
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            // The shell's conventions: 127 not found, 126 found but not runnable.
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            // The pane is a terminal; the program may come from a task id (`{task}`).
            eprintln!(
                "warden: failed to start {}: {}",
                terminal_safe(program),
                terminal_safe(&e.to_string())
            );
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
    after_run(&plan, &rec, timeout);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_go_file_releases_the_wrapper_and_its_absence_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("j1.release")).expect("its folder");
        let go = dir.path().join("j1.release/go");
        let maker = {
            let go = go.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                std::fs::write(go, b"").expect("go");
            })
        };
        let start = Instant::now();
        assert!(wait_for_go(&go, Duration::from_secs(10)));
        assert!(start.elapsed() < Duration::from_secs(5), "woken by inotify");
        assert!(!go.exists(), "consumed");
        assert!(!dir.path().join("j1.release").exists(), "with its folder");
        maker.join().expect("thread");
        assert!(
            !wait_for_go(&go, Duration::from_millis(200)),
            "never released"
        );
    }

    #[test]
    fn the_argv_round_trips_through_the_cli() {
        use clap::Parser as _;
        let args = WrapperArgs {
            job: "j000001".into(),
            record: "/r/.warden/jobs/j000001.json".into(),
            report: Some("/r/.warden/reports.sock".into()),
            go: Some("/r/.warden/jobs/j000001.go".into()),
            env: vec![("PATH".into(), "/opt/warden/bin:/usr/bin".into())],
            workspace: Some("/r/.warden/jobs/j000001.workspace.json".into()),
            argv: vec!["agent".into(), "--".into(), "it's; $(x)".into()],
        };
        let argv = args.to_argv(Path::new("/bin/warden"));
        let cli = crate::cli::Cli::try_parse_from(&argv).expect("parses");
        let Some(crate::cli::Command::RunWorker {
            job,
            record,
            report,
            go,
            env,
            workspace,
            argv,
        }) = cli.command
        else {
            panic!("not run-worker");
        };
        assert_eq!(env, ["PATH=/opt/warden/bin:/usr/bin"]);
        assert_eq!(
            WrapperArgs {
                job,
                record,
                report,
                go,
                env: args.env.clone(),
                workspace,
                argv
            },
            args
        );
    }
}
