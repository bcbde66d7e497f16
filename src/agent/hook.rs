//! `warden hook` (hidden): what an agent's hook runs on every event. It saves the job's
//! agent record, then tells the supervisor with one datagram. A hook runs before every tool
//! call and its exit code and stdout can change what the agent does, so this always exits
//! 0, prints nothing on stdout, never waits long and never panics out: a hook it cannot
//! take leaves one line in `.warden/jobs/<job>.hook-errors` (or on stderr when there is no
//! job folder to write it in). It starts no logging, reads no config and spawns nothing:
//! it is on the agent's hot path.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

use super::event::{EventError, HookEvent};
use super::input::{INPUT_MAX, read_bounded};
use super::machine::apply;
use super::model::{AgentKind, agent_path, hook_errors_path, read_agent_record};
use crate::state::{Open, PathError, WriteError, open_private, write_replace};
use crate::worker::{Report, ReportKind, send_report};

/// How long stdin is read for, whoever holds it open.
const INPUT_DEADLINE: Duration = Duration::from_secs(1);
/// How long the record's lock is waited for before going on without it.
const LOCK_WAIT: Duration = Duration::from_millis(200);
/// The errors file is not appended to beyond this.
const ERRORS_MAX: u64 = 64 * 1024;
/// The longest job id accepted.
const JOB_MAX: usize = 100;

#[derive(Debug, thiserror::Error)]
enum HookError {
    #[error("failed to take a hook event: no job (give --job or set WARDEN_JOB)")]
    NoJob,
    #[error("failed to take a hook event: the job id {0:?} is not a safe file name")]
    BadJob(String),
    #[error("failed to take a hook event: no state folder (give --state or set WARDEN_STATE_DIR)")]
    NoState,
    #[error("failed to use {0}: it does not exist, and warden hook never makes it")]
    Missing(PathBuf),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("failed to read the hook input from stdin: {0}")]
    Stdin(nix::errno::Errno),
    #[error(transparent)]
    Event(#[from] EventError),
    #[error("failed to encode the agent record {path}: {source}")]
    Encode {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The command line and environment of one call.
#[derive(Debug, PartialEq, Eq)]
struct HookArgs {
    job: Option<String>,
    state: Option<PathBuf>,
    socket: Option<PathBuf>,
    kind: AgentKind,
    /// Codex `notify` JSON, the last argument.
    notify: Option<OsString>,
}

fn parse_kind(s: &OsStr) -> AgentKind {
    match s.to_str() {
        Some("claude") => AgentKind::Claude,
        Some("codex") => AgentKind::Codex,
        _ => AgentKind::Unknown,
    }
}

impl HookArgs {
    fn none() -> Self {
        Self {
            job: None,
            state: None,
            socket: None,
            kind: AgentKind::Unknown,
            notify: None,
        }
    }

    /// Flags first, then the environment. Unknown flags are ignored: a newer warden's
    /// settings may call an older binary.
    fn parse(args: &[OsString], env: impl Fn(&str) -> Option<OsString>) -> Self {
        let mut out = Self::none();
        let mut kind = None;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let text = arg.to_string_lossy();
            let (flag, inline) = match text.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(OsString::from(v))),
                _ => (text.clone().into_owned(), None),
            };
            let known = ["--job", "--state", "--socket", "--agent"];
            if !known.contains(&flag.as_str()) {
                if !text.starts_with("--") {
                    out.notify = Some(arg.clone());
                }
                continue;
            }
            let Some(value) = inline.or_else(|| it.next().cloned()) else {
                break;
            };
            match flag.as_str() {
                "--job" => out.job = Some(value.to_string_lossy().into_owned()),
                "--state" => out.state = Some(PathBuf::from(value)),
                "--socket" => out.socket = Some(PathBuf::from(value)),
                _ => kind = Some(parse_kind(&value)),
            }
        }
        let set = |v: Option<OsString>| v.filter(|v| !v.is_empty());
        out.job = out
            .job
            .or_else(|| set(env("WARDEN_JOB")).map(|v| v.to_string_lossy().into_owned()));
        out.state = out
            .state
            .or_else(|| set(env("WARDEN_STATE_DIR")).map(PathBuf::from));
        out.socket = out
            .socket
            .or_else(|| set(env("WARDEN_REPORT_SOCKET")).map(PathBuf::from));
        out.kind = kind
            .or_else(|| set(env("WARDEN_AGENT")).map(|v| parse_kind(&v)))
            .unwrap_or(AgentKind::Unknown);
        out
    }
}

/// A job id that is one safe file name: letters, digits, `-`, `_`, `.`, not starting with
/// `.` (so never `..`), at most `JOB_MAX` bytes.
pub(crate) fn safe_job_id(job: &str) -> bool {
    !job.is_empty()
        && job.len() <= JOB_MAX
        && !job.starts_with('.')
        && job
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `.warden/jobs/<job>.agent.lock`: serializes the read-apply-write of hooks that fire at
/// once (parallel tool calls), so no event is lost.
fn lock_path(jobs: &Path, job: &str) -> PathBuf {
    jobs.join(format!("{job}.agent.lock"))
}

/// The entry point: always 0.
pub(crate) fn hook_main(args: &[OsString]) -> i32 {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let args = HookArgs::parse(args, |k| std::env::var_os(k));
        run(&args, crate::clock::now());
    }));
    0
}

fn run(args: &HookArgs, now: DateTime<Utc>) {
    let (jobs, job) = match locate(args) {
        Ok(found) => found,
        Err(e) => return say(&e),
    };
    if let Err(e) = take(args, &jobs, &job, now) {
        let logged = append_error(&hook_errors_path(&jobs, &job), &e, now);
        if logged.is_err() {
            say(&e);
        }
    }
}

/// One line on stderr: there is no job folder to keep it in.
fn say(e: &HookError) {
    let line = crate::escape::terminal_safe(&e.to_string()).into_owned();
    let _ = writeln!(std::io::stderr(), "warden hook: {line}");
}

/// The job and its folder `<state>/jobs`, which must already exist as real folders.
fn locate(args: &HookArgs) -> Result<(PathBuf, String), HookError> {
    let job = args.job.clone().ok_or(HookError::NoJob)?;
    if !safe_job_id(&job) {
        let shown: String = job.chars().take(JOB_MAX).collect();
        return Err(HookError::BadJob(shown));
    }
    let state = args.state.clone().ok_or(HookError::NoState)?;
    real_folder(&state)?;
    let jobs = state.join("jobs");
    real_folder(&jobs)?;
    Ok((jobs, job))
}

fn real_folder(dir: &Path) -> Result<(), HookError> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(PathError::Symlink {
            path: dir.to_path_buf(),
        }
        .into()),
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(PathError::NotFolder {
            path: dir.to_path_buf(),
        }
        .into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(HookError::Missing(dir.to_path_buf()))
        }
        Err(source) => Err(PathError::Inspect {
            path: dir.to_path_buf(),
            source,
        }
        .into()),
    }
}

/// The event from the notify argument, else from stdin (not read when it is a terminal).
fn read_event(args: &HookArgs) -> Result<HookEvent, HookError> {
    if let Some(json) = &args.notify {
        return Ok(HookEvent::parse(json.as_encoded_bytes())?);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(EventError::Empty.into());
    }
    let input = read_bounded(&stdin, INPUT_MAX, Instant::now() + INPUT_DEADLINE)
        .map_err(HookError::Stdin)?;
    match HookEvent::parse(&input.bytes) {
        Ok(event) => Ok(event),
        Err(e) if input.truncated || input.timed_out => {
            HookEvent::salvage(&input.bytes).ok_or(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The kind from the flags, else from the input's shape.
fn kind_of(args: &HookArgs, event: &HookEvent) -> AgentKind {
    if args.kind != AgentKind::Unknown {
        args.kind
    } else if args.notify.is_some() || event.turn_id.is_some() {
        AgentKind::Codex
    } else {
        AgentKind::Unknown
    }
}

fn take(args: &HookArgs, jobs: &Path, job: &str, now: DateTime<Utc>) -> Result<(), HookError> {
    let event = read_event(args)?;
    let kind = kind_of(args, &event);
    let path = agent_path(jobs, job);
    {
        let _lock = lock(&lock_path(jobs, job));
        let prev = read_agent_record(jobs, job);
        let record = apply(prev.as_ref(), job, kind, &event, now);
        let mut bytes = serde_json::to_vec_pretty(&record).map_err(|source| HookError::Encode {
            path: path.clone(),
            source,
        })?;
        bytes.push(b'\n');
        write_replace(&path, &bytes)?;
    }
    if let Some(socket) = &args.socket {
        send_report(
            socket,
            &Report {
                job: job.to_owned(),
                kind: ReportKind::Agent,
            },
        );
    }
    Ok(())
}

/// The record's lock, held until dropped; `None` (go on unlocked) when it cannot be opened
/// or is still held after `LOCK_WAIT`: a lost update beats a stuck agent.
fn lock(path: &Path) -> Option<File> {
    let file = open_private(path, Open::ReadWrite).ok()?;
    let until = Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Some(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => return None,
        }
    }
}

/// Appends one line to the errors file, unless it is already `ERRORS_MAX` long.
fn append_error(path: &Path, e: &HookError, now: DateTime<Utc>) -> Result<(), PathError> {
    let mut file = open_private(path, Open::Append)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let line = format!(
        "{} {}\n",
        now.to_rfc3339_opts(SecondsFormat::Secs, true),
        crate::escape::terminal_safe(&e.to_string())
    );
    if len.saturating_add(line.len() as u64) > ERRORS_MAX {
        return Ok(());
    }
    file.write_all(line.as_bytes())
        .map_err(|source| PathError::Open {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::test_now;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn flags_beat_the_environment_and_the_last_positional_is_notify() {
        let env = |k: &str| match k {
            "WARDEN_JOB" => Some(OsString::from("env-job")),
            "WARDEN_STATE_DIR" => Some(OsString::from("/env/.warden")),
            "WARDEN_REPORT_SOCKET" => Some(OsString::from("/env/r.sock")),
            "WARDEN_AGENT" => Some(OsString::from("claude")),
            _ => None,
        };
        let a = HookArgs::parse(
            &os(&[
                "--job",
                "j-1",
                "--state=/s/.warden",
                "--agent",
                "codex",
                "--new-flag",
                "{\"type\":\"x\"}",
            ]),
            env,
        );
        assert_eq!(a.job.as_deref(), Some("j-1"));
        assert_eq!(a.state, Some(PathBuf::from("/s/.warden")));
        assert_eq!(a.socket, Some(PathBuf::from("/env/r.sock")));
        assert_eq!(a.kind, AgentKind::Codex);
        assert_eq!(a.notify, Some(OsString::from("{\"type\":\"x\"}")));
        let b = HookArgs::parse(&[], env);
        assert_eq!(b.job.as_deref(), Some("env-job"));
        assert_eq!(b.kind, AgentKind::Claude);
        assert_eq!(b.notify, None);
        let none = HookArgs::parse(&os(&["--job"]), |_| None);
        assert_eq!(none, HookArgs::none());
    }

    #[test]
    fn only_safe_file_names_are_job_ids() {
        for ok in ["j1", "job-2_b.3", "A", &"x".repeat(JOB_MAX)] {
            assert!(safe_job_id(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            ".hidden",
            "a/b",
            "a b",
            "é",
            "a\n",
            &"x".repeat(JOB_MAX + 1),
        ] {
            assert!(!safe_job_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_errors_file_stops_growing_at_its_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j.hook-errors");
        let e = HookError::NoJob;
        for _ in 0..2000 {
            append_error(&path, &e, test_now()).expect("append");
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.len() as u64 <= ERRORS_MAX);
        assert!(text.len() as u64 > ERRORS_MAX - 200, "filled up to the cap");
        assert!(text.starts_with("2026-06-01T12:00:00Z failed to take a hook event: no job"));
        assert!(text.lines().all(|l| l.starts_with("2026-06-01T12:00:00Z ")));
    }

    #[test]
    fn a_held_lock_is_waited_for_briefly_then_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j.agent.lock");
        let held = lock(&path).expect("first lock");
        let started = Instant::now();
        assert!(lock(&path).is_none(), "still held");
        assert!(started.elapsed() >= LOCK_WAIT);
        assert!(started.elapsed() < LOCK_WAIT * 10);
        drop(held);
        assert!(lock(&path).is_some(), "free again");
    }
}
