//! `warden hook` as an agent runs it: the real binary, fed good and bad input. Whatever
//! happens it exits 0 with nothing on stdout (a hook's exit code and stdout steer the
//! agent); what it cannot take is said in the job's errors file, or on stderr when there is
//! no job folder to say it in.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A `.warden` folder with its `jobs` folder, in a temporary folder.
struct State {
    dir: tempfile::TempDir,
}

impl State {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".warden/jobs")).expect("jobs folder");
        Self { dir }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join(".warden")
    }

    fn jobs(&self) -> PathBuf {
        self.state().join("jobs")
    }

    fn record(&self, job: &str) -> Option<Value> {
        let text = std::fs::read_to_string(self.jobs().join(format!("{job}.agent.json"))).ok()?;
        Some(serde_json::from_str(&text).expect("the record is JSON"))
    }

    fn errors(&self, job: &str) -> String {
        std::fs::read_to_string(self.jobs().join(format!("{job}.hook-errors"))).unwrap_or_default()
    }
}

/// Runs `warden hook ARGS` with only `env` set and `stdin` written in a thread (a hook
/// that stops reading makes the write fail, which is fine). Fails the test unless it exits
/// 0 with an empty stdout within `limit`.
fn hook(args: &[&str], env: &[(&str, &str)], stdin: Option<Vec<u8>>, limit: Duration) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden"));
    cmd.arg("hook")
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn warden hook");
    let writer = child.stdin.take().map(|mut pipe| {
        let bytes = stdin.unwrap_or_default();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let out = child.wait_with_output().expect("wait");
    let took = started.elapsed();
    if let Some(w) = writer {
        w.join().expect("writer thread");
    }
    assert_eq!(out.status.code(), Some(0), "exit: {out:?}");
    assert!(out.stdout.is_empty(), "stdout: {out:?}");
    assert!(took < limit, "took {took:?}");
    out
}

const LIMIT: Duration = Duration::from_secs(10);

fn job_args(state: &State, job: &str) -> Vec<String> {
    vec![
        "--agent".into(),
        "claude".into(),
        "--job".into(),
        job.into(),
        "--state".into(),
        state.state().display().to_string(),
    ]
}

fn run(state: &State, job: &str, stdin: &[u8]) -> Output {
    let args = job_args(state, job);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    hook(&args, &[], Some(stdin.to_vec()), LIMIT)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn garbage_and_empty_input_leave_one_line_each_in_the_errors_file() {
    let s = State::new();
    run(&s, "j1", b"this is not json");
    let errors = s.errors("j1");
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert!(errors.contains("not JSON"), "{errors}");
    run(&s, "j1", b"");
    let errors = s.errors("j1");
    assert_eq!(errors.lines().count(), 2, "{errors}");
    assert!(
        errors.lines().nth(1).is_some_and(|l| l.contains("empty")),
        "{errors}"
    );
    run(&s, "j1", br#"{"session_id":"s"}"#);
    assert!(s.errors("j1").contains("names no event"));
    assert_eq!(s.record("j1"), None, "no record from bad input");
}

#[test]
fn huge_input_is_cut_and_the_call_returns_quickly() {
    let s = State::new();
    let started = Instant::now();
    run(&s, "j1", &vec![b'x'; 10 * 1024 * 1024]);
    assert!(s.errors("j1").contains("not JSON"));
    // A real payload with a huge tool response: its event is still taken.
    let mut payload =
        br#"{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Bash","tool_response":""#
            .to_vec();
    payload.extend(std::iter::repeat_n(b'y', 10 * 1024 * 1024));
    payload.extend(b"\"}");
    run(&s, "j1", &payload);
    let record = s.record("j1").expect("record");
    assert_eq!(record["last_event"], "PostToolUse");
    assert_eq!(record["state"], "working");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn no_job_or_an_unsafe_one_is_said_on_stderr_and_nothing_is_written() {
    let s = State::new();
    let state = s.state().display().to_string();
    let out = hook(
        &["--state", &state],
        &[],
        Some(br#"{"hook_event_name":"Stop"}"#.to_vec()),
        LIMIT,
    );
    assert!(stderr(&out).contains("no job"), "{}", stderr(&out));
    for bad in ["../x", ".hidden", "a/b"] {
        let out = hook(
            &["--job", bad, "--state", &state],
            &[],
            Some(br#"{"hook_event_name":"Stop"}"#.to_vec()),
            LIMIT,
        );
        assert!(
            stderr(&out).contains("not a safe file name"),
            "{}",
            stderr(&out)
        );
    }
    // WARDEN_JOB is read the same way.
    let out = hook(
        &[],
        &[("WARDEN_JOB", "../x"), ("WARDEN_STATE_DIR", &state)],
        Some(br#"{"hook_event_name":"Stop"}"#.to_vec()),
        LIMIT,
    );
    assert!(stderr(&out).contains("not a safe file name"));
    assert_eq!(std::fs::read_dir(s.jobs()).expect("list").count(), 0);
    assert!(!s.state().join("x.agent.json").exists());
}

#[test]
fn a_missing_state_folder_is_never_made() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("nowhere/.warden");
    let out = hook(
        &["--job", "j1", "--state", &state.display().to_string()],
        &[],
        Some(br#"{"hook_event_name":"Stop"}"#.to_vec()),
        LIMIT,
    );
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    assert!(!dir.path().join("nowhere").exists());
}

#[test]
fn a_symlinked_jobs_folder_is_refused() {
    let s = State::new();
    let elsewhere = tempfile::tempdir().expect("tempdir");
    std::fs::remove_dir(s.jobs()).expect("rmdir");
    std::os::unix::fs::symlink(elsewhere.path(), s.jobs()).expect("link");
    let out = run(&s, "j1", br#"{"hook_event_name":"Stop"}"#);
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).expect("list").count(),
        0
    );
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[test]
fn an_unwritable_jobs_folder_is_said_on_stderr() {
    let s = State::new();
    if is_root() {
        // chmod does not stop root: a jobs "folder" that is a file does.
        std::fs::remove_dir(s.jobs()).expect("rmdir");
        std::fs::write(s.jobs(), b"").expect("file");
        let out = run(&s, "j1", br#"{"hook_event_name":"Stop"}"#);
        assert!(stderr(&out).contains("not a folder"), "{}", stderr(&out));
    } else {
        std::fs::set_permissions(s.jobs(), std::fs::Permissions::from_mode(0o500)).expect("chmod");
        let out = run(&s, "j1", br#"{"hook_event_name":"Stop"}"#);
        std::fs::set_permissions(s.jobs(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
        assert!(stderr(&out).contains("failed to write"), "{}", stderr(&out));
        assert_eq!(s.record("j1"), None);
    }
}

#[test]
fn a_record_that_cannot_be_written_is_said_in_the_errors_file() {
    let s = State::new();
    // A folder where the record goes: the rename fails, for root too.
    std::fs::create_dir(s.jobs().join("j1.agent.json")).expect("mkdir");
    let out = run(&s, "j1", br#"{"hook_event_name":"Stop"}"#);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let errors = s.errors("j1");
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert!(errors.contains("failed to write"), "{errors}");
    assert!(errors.contains("j1.agent.json"), "{errors}");
}

/// A socket in a private folder, as the supervisor binds it.
fn socket(dir: &Path) -> (PathBuf, UnixDatagram) {
    let folder = dir.join("sock");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let path = folder.join("reports.sock");
    let sock = UnixDatagram::bind(&path).expect("bind");
    sock.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    (path, sock)
}

fn datagram(sock: &UnixDatagram) -> Value {
    let mut buf = [0u8; 1024];
    let n = sock.recv(&mut buf).expect("a datagram within 5 s");
    serde_json::from_slice(&buf[..n]).expect("JSON")
}

#[test]
fn a_claude_turn_gives_working_then_waiting_then_idle_and_a_datagram_each() {
    let s = State::new();
    let (path, sock) = socket(s.dir.path());
    let mut args = job_args(&s, "j-1");
    args.extend(["--socket".into(), path.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let events: [(&str, &str); 3] = [
        (
            r#"{"session_id":"s1","transcript_path":"/t.jsonl","hook_event_name":"UserPromptSubmit","prompt":"go"}"#,
            "working",
        ),
        (
            r#"{"session_id":"s1","hook_event_name":"Notification","notification_type":"permission_prompt","message":"Claude needs your permission to use Bash"}"#,
            "waiting_input",
        ),
        (r#"{"session_id":"s1","hook_event_name":"Stop"}"#, "idle"),
    ];
    for (payload, state) in events {
        hook(&args, &[], Some(payload.as_bytes().to_vec()), LIMIT);
        let record = s.record("j-1").expect("record");
        assert_eq!(record["state"], state, "{record}");
        assert_eq!(record["kind"], "claude");
        assert_eq!(
            datagram(&sock),
            serde_json::json!({"job": "j-1", "kind": "agent"})
        );
    }
    let record = s.record("j-1").expect("record");
    assert_eq!(record["events"], 3);
    assert_eq!(record["prompts"], 1);
    assert_eq!(record["last_event"], "Stop");
    assert_eq!(record["session_id"], "s1");
    assert_eq!(record["transcript_path"], "/t.jsonl");
    assert_eq!(record["notification_type"], "permission_prompt");
    assert_eq!(
        record["notification"],
        "Claude needs your permission to use Bash"
    );
    assert_eq!(s.errors("j-1"), "", "nothing failed");
}

#[test]
fn a_codex_notify_argument_gives_idle_with_kind_codex_from_the_environment() {
    let s = State::new();
    let state = s.state().display().to_string();
    hook(
        &[
            r#"{"type":"agent-turn-complete","thread-id":"th-1","turn-id":"tu-1","last-assistant-message":"done"}"#,
        ],
        &[("WARDEN_JOB", "c1"), ("WARDEN_STATE_DIR", &state)],
        None,
        LIMIT,
    );
    let record = s.record("c1").expect("record");
    assert_eq!(record["state"], "idle");
    assert_eq!(record["kind"], "codex");
    assert_eq!(record["last_event"], "agent-turn-complete");
    assert_eq!(record["session_id"], "th-1");
}

#[test]
fn a_stdin_nobody_closes_is_given_up_on_at_the_deadline() {
    let s = State::new();
    let args = job_args(&s, "j1");
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("hook")
        .args(&args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(br#"{"hook_event_name":"Stop"}"#)
        .expect("write");
    let started = Instant::now();
    let out = child.wait_with_output().expect("wait");
    drop(stdin);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
    // What came before the deadline is taken.
    assert_eq!(s.record("j1").expect("record")["state"], "idle");
}
