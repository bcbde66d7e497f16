//! `warden bench-hook` (hidden): the cost of one `warden hook` call as an agent pays it,
//! behind `docs/benchmarks.md`. In a temporary state folder with a bound report socket
//! (drained by a thread), it runs this very binary N times in each of three ways: the
//! command from the Claude Code settings warden writes, run by `sh -c` as Claude Code runs
//! it; the same argv without the shell; and Codex's notify argv with its JSON argument;
//! then `/bin/true` the same way, the floor any spawned hook pays.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::output::print;
use crate::agent::{
    AgentKind, HookTarget, claude_settings, codex_notify_argv, read_agent_record, settings_path,
};
use crate::error::Error;
use crate::exit_code::ExitCode;

const JOB: &str = "bench-1";

/// A PreToolUse payload the size Claude Code sends for a shell command.
const PAYLOAD: &str = r#"{"session_id":"3f1c2a9e-8b1d-4c55-9a7e-0d6f2b8c1e44","transcript_path":"/home/dev/.claude/projects/-home-dev-repo/3f1c2a9e-8b1d-4c55-9a7e-0d6f2b8c1e44.jsonl","cwd":"/home/dev/repo","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cargo test --lib agent 2>&1 | tail -40","description":"Run the agent unit tests","timeout":120000},"tool_use_id":"toolu_01ABCDEFGHJKLMNPQRSTUVWX"}"#;

const NOTIFY: &str = r#"{"type":"agent-turn-complete","thread-id":"0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","turn-id":"12","cwd":"/home/dev/repo","input-messages":["fix the failing test"],"last-assistant-message":"The test passes now."}"#;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile of sorted timings (nearest rank).
fn quantile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs `cmd` `calls` times, `stdin` written to each, and returns the sorted wall times.
fn series(
    calls: usize,
    stdin: Option<&str>,
    cmd: impl Fn() -> Command,
) -> std::io::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let mut c = cmd();
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let started = Instant::now();
        let mut child = c.spawn()?;
        if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
            // A process that exits unread (the floor's `true`) breaks the pipe: fine.
            let _ = pipe.write_all(text.as_bytes());
        }
        child.wait()?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

fn line(out: &mut String, name: &str, t: &[Duration]) {
    let _ = writeln!(
        out,
        "  {name:<28} p50 {:>6.2} ms  p90 {:>6.2}  p99 {:>6.2}  max {:>6.2}",
        ms(quantile(t, 0.5)),
        ms(quantile(t, 0.9)),
        ms(quantile(t, 0.99)),
        ms(quantile(t, 1.0)),
    );
}

/// The command Claude Code would run for `PreToolUse`, read back from the settings file.
fn settings_command(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .map(str::to_owned)
}

pub(crate) fn run(calls: usize) -> Result<ExitCode, Error> {
    let calls = calls.max(1);
    let io = Error::Stdout;
    let exe = std::env::current_exe().map_err(io)?;
    let dir = tempfile::tempdir().map_err(io)?;
    let state = dir.path().join(".warden");
    let jobs = state.join("jobs");
    std::fs::create_dir_all(&jobs).map_err(io)?;
    let socket = state.join("reports.sock");
    let server = UnixDatagram::bind(&socket).map_err(io)?;
    server
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(io)?;
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicUsize::new(0));
    let drain = {
        let (stop, received) = (Arc::clone(&stop), Arc::clone(&received));
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !stop.load(Ordering::Relaxed) {
                if server.recv(&mut buf).is_ok() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    let claude = HookTarget {
        exe: &exe,
        job: JOB,
        state: &state,
        socket: &socket,
        kind: AgentKind::Claude,
    };
    let settings = settings_path(&jobs, JOB);
    std::fs::write(&settings, claude_settings(&claude)).map_err(io)?;
    let command = settings_command(&settings).unwrap_or_default();
    let via_shell = series(calls, Some(PAYLOAD), || {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(&command);
        c
    })
    .map_err(io)?;
    let codex = codex_notify_argv(&HookTarget {
        kind: AgentKind::Codex,
        ..claude
    });
    let direct = series(calls, Some(PAYLOAD), || {
        let mut c = Command::new(&exe);
        c.args(["hook", "--agent", "claude", "--job", JOB, "--state"])
            .arg(&state)
            .arg("--socket")
            .arg(&socket);
        c
    })
    .map_err(io)?;
    let notify = series(calls, None, || {
        let mut c = Command::new(&codex[0]);
        c.args(&codex[1..]).arg(NOTIFY);
        c
    })
    .map_err(io)?;
    // The floor: spawning any process and writing it the payload.
    let floor = series(calls, Some(PAYLOAD), || Command::new("/bin/true")).map_err(io)?;
    // Datagrams still in flight get a moment before the count.
    let until = Instant::now() + Duration::from_secs(1);
    while received.load(Ordering::Relaxed) < 3 * calls && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    let _ = drain.join();
    let events = read_agent_record(&jobs, JOB).map_or(0, |r| r.events);
    let errors = std::fs::read_to_string(jobs.join(format!("{JOB}.hook-errors")))
        .map_or(0, |t| t.lines().count());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "warden hook benchmark: {calls} calls each, wall time per call"
    );
    line(&mut out, "sh -c <settings command>", &via_shell);
    line(&mut out, "direct exec", &direct);
    line(&mut out, "codex notify argv", &notify);
    line(&mut out, "floor: /bin/true", &floor);
    let _ = writeln!(
        out,
        "  events recorded {events} of {}, datagrams received {}, hook errors {errors}",
        3 * calls,
        received.load(Ordering::Relaxed)
    );
    print(&out)?;
    Ok(ExitCode::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let t: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&t, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&t, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&t, 1.0), Duration::from_millis(100));
        assert_eq!(quantile(&t[..1], 0.5), Duration::from_millis(1));
    }
}
