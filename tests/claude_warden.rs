//! warden with the real Claude Code CLI (installed by `scripts/install-claude-code`, which
//! `scripts/test` runs) in a worker pane, wired through `claude --settings {agent_settings}`,
//! against the stand-in messages API on 127.0.0.1. What warden records must be what the CLI
//! does: working while its request runs (and stalled when that request hangs, though the
//! spinner prints), idle once it answered, never stalled while idle, `agent_idle` after the
//! threshold; and the tokens the stand-in API reported counted from the CLI's transcript.

mod support;

use std::time::{Duration, Instant};

use support::claude::{ClaudeHome, STUB_API_KEY, claude_bin};
use support::claude_api::StubApi;
use support::live::Live;

const WAIT: Duration = Duration::from_secs(60);
/// How long the stand-in API sits on the first request: a slow or hung API call.
const API_DELAY: Duration = Duration::from_secs(7);

fn worker(live: &Live) -> serde_json::Value {
    live.snapshot()["workers"]
        .as_array()
        .and_then(|ws| ws.first().cloned())
        .unwrap_or(serde_json::Value::Null)
}

fn state(live: &Live) -> String {
    worker(live)["agent"]["state"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn has(live: &Live, code: &str) -> bool {
    live.signal_codes().iter().any(|(c, _)| c == code)
}

/// A TOML array of strings (JSON string escapes are TOML's for these characters).
fn toml_array(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| serde_json::to_string(w).expect("a string encodes"))
        .collect();
    format!("[{}]", quoted.join(", "))
}

#[test]
fn warden_knows_what_a_real_claude_is_doing() {
    let api = StubApi::start();
    api.set_delay(API_DELAY);
    let live = Live::new("");
    let home = ClaudeHome::new(live.repo.root(), STUB_API_KEY);
    // The CLI's own environment (throwaway HOME, the stub API), then the CLI with warden's
    // hook settings and its prompt, exactly as `warden init --agent claude` wires it.
    let mut argv = vec!["env".to_owned()];
    argv.extend(
        home.env(&api.base_url())
            .into_iter()
            .map(|(k, v)| format!("{k}={v}")),
    );
    argv.push(claude_bin().to_string_lossy().into_owned());
    argv.extend(["--settings", "{agent_settings}", "Say hello."].map(str::to_owned));
    live.repo.write_aged(
        "warden.toml",
        format!(
            "[dispatch]\ncommand = {}\nmax_workers = 1\n[heartbeat]\ninterval = \"1s\"\n\
             [thresholds]\nstall_after = \"3s\"\nagent_idle_after = \"5s\"\nconfirm_within = \"30s\"\n",
            toml_array(&argv)
        ),
        0,
    );
    live.task("hello", "status: ready");
    live.up(&[]);

    // The prompt was submitted and the request hangs: working, and the spinner prints.
    live.wait_for("the agent working on its prompt", WAIT, |l| {
        state(l) == "working"
    });
    let w = worker(&live);
    assert_eq!(w["agent"]["kind"], "claude", "{w:#}");
    assert!(w["agent"]["session_id"].is_string(), "{w:#}");
    // Its hooks went quiet while its pane kept drawing: stalled, by the hooks.
    live.wait_for("dispatch_stalled over the hung request", WAIT, |l| {
        state(l) == "working" && has(l, "dispatch_stalled")
    });
    assert!(api.messages_calls() >= 1, "{:?}", api.requests());

    // The answer came: the turn ended, the agent waits at its prompt.
    live.wait_for("the agent idle after its reply", WAIT, |l| {
        state(l) == "idle"
    });
    let w = worker(&live);
    assert_eq!(w["agent"]["last_event"], "Stop", "{w:#}");
    let idle_at = Instant::now();
    // Idle is not stalled, however long it stays quiet; `agent_idle` says what it is.
    live.wait_for("agent_idle", WAIT, |l| {
        assert!(
            !(state(l) == "idle"
                && has(l, "dispatch_stalled")
                && idle_at.elapsed() > Duration::from_secs(2)),
            "an idle agent was reported stalled: {:?}",
            l.signal_codes()
        );
        has(l, "agent_idle")
    });
    assert!(
        !has(&live, "dispatch_unconfirmed"),
        "{:?}",
        live.signal_codes()
    );
    // No hook call failed.
    let job = live.jobs("hello")[0]["job"]
        .as_str()
        .expect("job")
        .to_owned();
    let errors = live.repo.path(&format!(".warden/jobs/{job}.hook-errors"));
    assert!(
        !errors.exists(),
        "{}",
        std::fs::read_to_string(&errors).unwrap_or_default()
    );
}
