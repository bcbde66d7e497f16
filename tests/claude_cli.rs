//! The real Claude Code CLI (installed by `scripts/install-claude-code`; `scripts/test` does
//! it) run interactively in a pane of a private tmux server, against the stand-in messages
//! API in `support::claude_api`. It checks what warden's use of the CLI rests on: the CLI
//! really calls the API it is pointed at, hooks given with `--settings <file>` fire and see
//! the pane's environment, and they add to the user's own hooks instead of replacing them.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::claude::{ClaudeHome, STUB_API_KEY, claude_bin};
use support::claude_api::StubApi;

const JOB: &str = "job-probe-1";
const REPLY: &str = "Hello from the stub API.";

/// One private tmux server (`tmux -L <name> -f /dev/null`) with one pane running one
/// command, started with exactly the environment given (plus `PATH`). Drop kills the server
/// by name, removes its socket, and SIGKILLs the pane's process by pid if it outlived that.
struct PrivateTmux {
    socket: String,
    pane_pid: Option<i32>,
}

impl PrivateTmux {
    fn start(cwd: &Path, env: &[(String, String)], argv: &[&str]) -> Self {
        let mut tmux = Self {
            socket: format!("warden-claude-{}", std::process::id()),
            pane_pid: None,
        };
        let mut args = vec![
            "start-server",
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-P",
            "-F",
            "#{pane_pid}",
            "-x",
            "200",
            "-y",
            "50",
            "-c",
        ];
        let cwd = cwd.to_str().expect("a UTF-8 temp path");
        args.push(cwd);
        args.push("--");
        args.extend_from_slice(argv);
        let mut cmd = tmux.command(&args);
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let out = cmd.output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux.pane_pid = String::from_utf8_lossy(&out.stdout).trim().parse().ok();
        tmux
    }

    /// `tmux -L <name> ...` with a clean environment: no `TMUX`/`TMUX_PANE`, none of the
    /// caller's variables, `SHELL=/bin/sh`.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SHELL", "/bin/sh");
        if let Some(dir) = std::env::var_os("TMUX_TMPDIR") {
            cmd.env("TMUX_TMPDIR", dir);
        }
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]).args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tmux")
    }

    /// The pane's screen as text (or tmux's complaint).
    fn capture(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-J"]);
        if out.status.success() {
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            format!(
                "(capture-pane failed: {})",
                String::from_utf8_lossy(&out.stderr)
            )
        }
    }

    fn socket_file(&self) -> PathBuf {
        let dir =
            std::env::var_os("TMUX_TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        dir.join(format!("tmux-{}", nix::unistd::getuid()))
            .join(&self.socket)
    }
}

impl Drop for PrivateTmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        let _ = std::fs::remove_file(self.socket_file());
        let Some(pid) = self.pane_pid else { return };
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if alive(pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

/// `'text'` for sh.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A command hook that appends `<event> $WARDEN_JOB` to `log`.
fn append_hook(event: &str, log: &Path) -> serde_json::Value {
    let log = quote(log.to_str().expect("a UTF-8 temp path"));
    serde_json::json!([{"hooks": [{"type": "command",
        "command": format!("printf '%s %s\\n' {event} \"$WARDEN_JOB\" >> {log}")}]}])
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

struct Probe {
    api: StubApi,
    tmux: PrivateTmux,
    dir: PathBuf,
}

impl Probe {
    /// Polls `check` until it holds; on timeout fails with everything worth seeing.
    fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn() -> bool) -> Duration {
        let start = Instant::now();
        while !check() {
            assert!(
                start.elapsed() < timeout,
                "timed out after {timeout:?} waiting for {what}\n--- pane ---\n{}\n--- \
                 requests ---\n{:#?}\n--- hooks-a.log ---\n{}--- hooks-user.log ---\n{}--- \
                 notifications.jsonl ---\n{}",
                self.tmux.capture(),
                self.api.requests(),
                read(&self.dir.join("hooks-a.log")),
                read(&self.dir.join("hooks-user.log")),
                read(&self.dir.join("notifications.jsonl")),
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        start.elapsed()
    }
}

#[test]
fn settings_hooks_add_to_the_users_own() {
    let bin = claude_bin();
    let dir = tempfile::Builder::new()
        .prefix("claude-probe")
        .tempdir()
        .expect("tempdir");
    let logs = dir.path().canonicalize().expect("canonical temp dir");
    let project = logs.join("project");
    std::fs::create_dir(&project).expect("project folder");

    let api = StubApi::start();
    api.set_text(REPLY);
    let home = ClaudeHome::new(&project, STUB_API_KEY);
    home.idle_notification_after(Duration::from_secs(2));
    home.write_user_settings(&serde_json::json!({"hooks": {
        "Stop": append_hook("Stop", &logs.join("hooks-user.log")),
    }}));
    let notifications = quote(
        logs.join("notifications.jsonl")
            .to_str()
            .expect("UTF-8 path"),
    );
    let settings = logs.join("warden-settings.json");
    let ours = serde_json::json!({"hooks": {
        "UserPromptSubmit": append_hook("UserPromptSubmit", &logs.join("hooks-a.log")),
        "Stop": append_hook("Stop", &logs.join("hooks-a.log")),
        "Notification": [{"hooks": [{"type": "command",
            "command": format!("{{ cat; echo; }} >> {notifications}")}]}],
    }});
    std::fs::write(&settings, ours.to_string()).expect("write the --settings file");

    let mut env = home.env(&api.base_url());
    env.push(("WARDEN_JOB".to_owned(), JOB.to_owned()));
    let started = Instant::now();
    let tmux = PrivateTmux::start(
        &project,
        &env,
        &[
            bin.to_str().expect("UTF-8 bin path"),
            "--settings",
            settings.to_str().expect("UTF-8 path"),
            "say hello",
        ],
    );
    let probe = Probe {
        api,
        tmux,
        dir: logs.clone(),
    };

    let ours_log = logs.join("hooks-a.log");
    let user_log = logs.join("hooks-user.log");
    let stop = format!("Stop {JOB}");
    probe.wait_for("our Stop hook", Duration::from_secs(60), || {
        read(&ours_log).lines().any(|l| l == stop)
    });
    eprintln!(
        "first Stop {:.2} s after tmux new-session",
        started.elapsed().as_secs_f64()
    );

    let calls: Vec<_> = probe
        .api
        .requests()
        .into_iter()
        .filter(|r| r.is_messages())
        .collect();
    eprintln!("requests: {:#?}", probe.api.requests());
    assert!(
        calls
            .iter()
            .any(|r| r.stream && r.model.is_some() && r.body_len > 0),
        "the CLI sent no streamed POST /v1/messages with a model to the stub: {calls:#?}"
    );
    assert_eq!(
        read(&ours_log).lines().collect::<Vec<_>>(),
        [format!("UserPromptSubmit {JOB}"), stop.clone()],
        "our hooks fire once each per turn, in order, and see the pane's WARDEN_JOB"
    );
    // The user's own Stop hook runs alongside ours (hooks run in parallel): --settings adds.
    probe.wait_for("the user's own Stop hook", Duration::from_secs(10), || {
        read(&user_log).lines().any(|l| l == stop)
    });
    probe.wait_for("the reply on screen", Duration::from_secs(10), || {
        probe.tmux.capture().contains(REPLY)
    });

    let waited = probe.wait_for(
        "a Notification idle_prompt (threshold set to 2 s)",
        Duration::from_secs(30),
        || {
            read(&logs.join("notifications.jsonl")).lines().any(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .is_ok_and(|n| n["notification_type"] == "idle_prompt")
            })
        },
    );
    eprintln!(
        "idle_prompt {:.2} s after the Stop check",
        waited.as_secs_f64()
    );
    assert_eq!(
        read(&user_log).lines().count(),
        1,
        "the user's Stop hook ran once, for the one turn"
    );
}

/// One request on `stream` (kept alive): the status line and the body.
fn exchange(stream: &mut std::net::TcpStream, method: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("response head");
        got.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&got).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .parse()
        .expect("a length");
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).expect("response body");
    format!(
        "{}\n{}",
        head.lines().next().unwrap_or_default(),
        String::from_utf8_lossy(&body)
    )
}

#[test]
fn stub_api_answers_like_the_messages_api() {
    let api = StubApi::start();
    let addr = api.base_url().replace("http://", "");
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect to the stub");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");

    let streamed = exchange(
        &mut conn,
        "POST",
        "/v1/messages?beta=true",
        r#"{"model":"m-1","stream":true}"#,
    );
    assert!(streamed.starts_with("HTTP/1.1 200"), "{streamed}");
    let events: Vec<&str> = streamed
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(
        events,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert!(
        streamed.contains(r#""text":"Stub model here.""#),
        "{streamed}"
    );
    assert!(
        streamed.contains(r#""cache_read_input_tokens":3"#),
        "{streamed}"
    );

    // The same connection again (keep-alive), not streamed, with a new text.
    api.set_text("Other words.");
    let plain = exchange(&mut conn, "POST", "/v1/messages", r#"{"model":"m-2"}"#);
    let json: serde_json::Value =
        serde_json::from_str(plain.split_once('\n').expect("a body").1).expect("JSON body");
    assert_eq!(json["content"][0]["text"], "Other words.");
    assert_eq!(json["stop_reason"], "end_turn");

    let counted = exchange(&mut conn, "POST", "/v1/messages/count_tokens", "{}");
    assert!(counted.ends_with(r#"{"input_tokens":42}"#), "{counted}");
    api.set_rate_limited(true);
    let limited = exchange(&mut conn, "POST", "/v1/messages", "{}");
    assert!(
        limited.starts_with("HTTP/1.1 429") && limited.contains("rate_limit_error"),
        "{limited}"
    );
    let missing = exchange(&mut conn, "GET", "/v1/models", "");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");

    let seen: Vec<(String, Option<String>, bool)> = api
        .requests()
        .into_iter()
        .map(|r| (r.path, r.model, r.stream))
        .collect();
    assert_eq!(
        seen[0],
        (
            "/v1/messages?beta=true".to_owned(),
            Some("m-1".to_owned()),
            true
        )
    );
    assert_eq!(
        seen[1],
        ("/v1/messages".to_owned(), Some("m-2".to_owned()), false)
    );
    assert_eq!(seen.len(), 5);
    assert_eq!(
        api.messages_calls(),
        3,
        "count_tokens and GET are not messages calls"
    );

    // Dropped, it stops serving: the open connection is closed and no new one is accepted.
    drop(api);
    let mut rest = Vec::new();
    let closed = std::io::Read::read_to_end(&mut conn, &mut rest);
    assert!(matches!(closed, Ok(0)), "the connection ends: {closed:?}");
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "nothing listens any more"
    );
}
