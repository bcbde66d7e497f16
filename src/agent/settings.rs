//! The per-job wiring that makes an agent call `warden hook`: Claude Code's settings file
//! (handed to `claude --settings <file>`, which adds its hooks to the user's own) and
//! Codex's `notify` argv.
//!
//! Matchers (Claude Code hooks reference): the tool events match on the tool name, and
//! `"*"` is their documented "every tool". The other events are given no matcher, which
//! matches everything: `Notification` gained matchers on `notification_type` only late in
//! 2025, and an omitted matcher gets every type from old and new versions alike.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::model::AgentKind;

/// Seconds Claude Code gives one hook call; `warden hook` takes milliseconds and gives up
/// on its own input after one second.
const HOOK_TIMEOUT_SECS: u64 = 10;

/// The Claude Code events warden listens to.
pub(crate) const CLAUDE_EVENTS: [&str; 12] = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "Notification",
    "Stop",
    "StopFailure",
    "SubagentStop",
    "PreCompact",
    "SessionEnd",
];

/// The events whose matcher is a tool name.
const TOOL_EVENTS: [&str; 4] = [
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
];

/// Where a job's hook calls go.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HookTarget<'a> {
    /// The warden binary, absolute.
    pub(crate) exe: &'a Path,
    pub(crate) job: &'a str,
    /// The `.warden` folder.
    pub(crate) state: &'a Path,
    /// The supervisor's report socket.
    pub(crate) socket: &'a Path,
    pub(crate) kind: AgentKind,
}

/// `s` as one single-quoted shell word: `'` becomes `'\''`. Settings files are JSON, so
/// text: a path that is not UTF-8 is shown lossily (and the hook then reports it missing).
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn lossy(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The argv of one hook call, the event's JSON aside.
fn hook_argv(t: &HookTarget<'_>) -> Vec<String> {
    vec![
        lossy(t.exe),
        "hook".to_owned(),
        "--agent".to_owned(),
        t.kind.as_str().to_owned(),
        "--job".to_owned(),
        t.job.to_owned(),
        "--state".to_owned(),
        lossy(t.state),
        "--socket".to_owned(),
        lossy(t.socket),
    ]
}

/// The hook as one shell command line, every word single-quoted (Claude Code runs it with
/// a shell).
pub(crate) fn hook_command(t: &HookTarget<'_>) -> String {
    hook_argv(t)
        .iter()
        .map(|w| quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Codex's `notify = [...]`: Codex appends the event's JSON as the last argument.
pub(crate) fn codex_notify_argv(t: &HookTarget<'_>) -> Vec<String> {
    hook_argv(t)
}

/// The settings file for `claude --settings`, pretty-printed.
pub(crate) fn claude_settings(t: &HookTarget<'_>) -> String {
    let command = hook_command(t);
    let mut hooks = Map::new();
    for event in CLAUDE_EVENTS {
        let mut group = Map::new();
        if TOOL_EVENTS.contains(&event) {
            group.insert("matcher".to_owned(), json!("*"));
        }
        group.insert(
            "hooks".to_owned(),
            json!([{ "type": "command", "command": command, "timeout": HOOK_TIMEOUT_SECS }]),
        );
        hooks.insert(event.to_owned(), Value::Array(vec![Value::Object(group)]));
    }
    let settings = json!({ "hooks": hooks });
    // A `Value` always encodes; the fallback is never reached.
    serde_json::to_string_pretty(&settings).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target<'a>(exe: &'a Path, state: &'a Path, socket: &'a Path) -> HookTarget<'a> {
        HookTarget {
            exe,
            job: "j-1",
            state,
            socket,
            kind: AgentKind::Claude,
        }
    }

    #[test]
    fn the_command_is_quoted_for_the_shell() {
        let exe = Path::new("/opt/my tools/warden");
        let state = Path::new("/home/o'neil/repo/.warden");
        let socket = Path::new("/tmp/a $HOME `x` \"q\"/reports.sock");
        let t = target(exe, state, socket);
        let cmd = hook_command(&t);
        assert_eq!(
            cmd,
            r#"'/opt/my tools/warden' 'hook' '--agent' 'claude' '--job' 'j-1' '--state' '/home/o'\''neil/repo/.warden' '--socket' '/tmp/a $HOME `x` "q"/reports.sock'"#
        );
        // The shell splits it back into exactly the argv.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\n' {cmd}"))
            .output()
            .expect("sh");
        let words: Vec<String> = String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(words, hook_argv(&t));
    }

    #[test]
    fn settings_have_every_event_with_the_command() {
        let t = target(
            Path::new("/usr/bin/warden"),
            Path::new("/r/.warden"),
            Path::new("/r/.warden/reports.sock"),
        );
        let text = claude_settings(&t);
        assert!(text.contains("\n  \"hooks\""), "pretty-printed: {text}");
        let v: Value = serde_json::from_str(&text).expect("parses back");
        let hooks = v["hooks"].as_object().expect("hooks");
        assert_eq!(hooks.len(), CLAUDE_EVENTS.len());
        for event in CLAUDE_EVENTS {
            let groups = hooks[event].as_array().expect("groups");
            assert_eq!(groups.len(), 1, "{event}");
            let h = &groups[0]["hooks"][0];
            assert_eq!(h["type"], "command");
            assert_eq!(h["command"], hook_command(&t));
            assert_eq!(h["timeout"], HOOK_TIMEOUT_SECS);
            let matcher = groups[0].get("matcher");
            if TOOL_EVENTS.contains(&event) {
                assert_eq!(matcher, Some(&json!("*")), "{event}");
            } else {
                // Notification above all: no matcher gets every notification type.
                assert_eq!(matcher, None, "{event}");
            }
        }
    }

    #[test]
    fn codex_gets_the_same_call_as_an_argv() {
        let t = HookTarget {
            kind: AgentKind::Codex,
            ..target(Path::new("/w"), Path::new("/s"), Path::new("/s/r.sock"))
        };
        assert_eq!(
            codex_notify_argv(&t),
            [
                "/w",
                "hook",
                "--agent",
                "codex",
                "--job",
                "j-1",
                "--state",
                "/s",
                "--socket",
                "/s/r.sock"
            ]
        );
    }
}
