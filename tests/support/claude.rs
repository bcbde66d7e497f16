//! Running the real Claude Code CLI in a test: where its binary is (installed by
//! `scripts/install-claude-code`), and a throwaway HOME whose `.claude.json` lets it start
//! straight into its prompt (no onboarding, theme, folder-trust or API-key dialog), talking
//! to a `StubApi` on 127.0.0.1 instead of the real API.

use std::path::{Path, PathBuf};

/// The CLI version `scripts/install-claude-code` pins; keep the two in step.
pub(crate) const CLAUDE_VERSION: &str = "2.1.197";

/// A made-up key in the real format; the stub API accepts anything.
pub(crate) const STUB_API_KEY: &str = "sk-ant-api03-warden-stub-key-not-a-secret-0123456789abcdef";

/// The `claude` binary: `$WARDEN_CLAUDE_BIN`, else where `scripts/install-claude-code` puts
/// it (`${WARDEN_TOOLS_DIR:-$HOME/.cache/warden-tools}/claude-code-<version>/node_modules/
/// .bin/claude`). Panics with what to run when neither exists.
pub(crate) fn claude_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("WARDEN_CLAUDE_BIN").filter(|b| !b.is_empty()) {
        let bin = PathBuf::from(bin);
        assert!(
            bin.is_file(),
            "WARDEN_CLAUDE_BIN={} is not a file; run scripts/install-claude-code \
             (or scripts/test, which runs it)",
            bin.display()
        );
        return bin;
    }
    let tools = std::env::var_os("WARDEN_TOOLS_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| Path::new(&h).join(".cache/warden-tools"))
        })
        .expect("neither WARDEN_TOOLS_DIR nor HOME is set: cannot find the Claude Code CLI");
    let bin = tools
        .join(format!("claude-code-{CLAUDE_VERSION}"))
        .join("node_modules/.bin/claude");
    assert!(
        bin.is_file(),
        "the Claude Code CLI {CLAUDE_VERSION} is not installed at {}: run \
         scripts/install-claude-code (or scripts/test, which runs it), or set WARDEN_CLAUDE_BIN",
        bin.display()
    );
    bin
}

/// A throwaway HOME for one CLI run, removed on drop.
pub(crate) struct ClaudeHome {
    dir: tempfile::TempDir,
    api_key: String,
}

impl ClaudeHome {
    /// A HOME whose `.claude.json` marks onboarding done, approves `api_key` and trusts
    /// `project_dir` (the folder the CLI will run in).
    pub(crate) fn new(project_dir: &Path, api_key: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("claude-home")
            .tempdir()
            .expect("tempdir for HOME");
        // The CLI looks the project up by its real path.
        let project = project_dir
            .canonicalize()
            .expect("the project folder exists");
        // The CLI remembers an approved key by its last 20 characters.
        let tail: String = {
            let chars: Vec<char> = api_key.chars().collect();
            chars[chars.len().saturating_sub(20)..].iter().collect()
        };
        let mut projects = serde_json::Map::new();
        projects.insert(
            project.to_string_lossy().into_owned(),
            serde_json::json!({
                "hasTrustDialogAccepted": true,
                "hasCompletedProjectOnboarding": true,
                "projectOnboardingSeenCount": 1,
            }),
        );
        let config = serde_json::json!({
            "hasCompletedOnboarding": true,
            "lastOnboardingVersion": CLAUDE_VERSION,
            "lastReleaseNotesSeen": CLAUDE_VERSION,
            "theme": "dark",
            "numStartups": 1,
            "customApiKeyResponses": {"approved": [tail], "rejected": []},
            "projects": projects,
        });
        std::fs::write(
            dir.path().join(".claude.json"),
            serde_json::to_vec_pretty(&config).expect("json"),
        )
        .expect("write .claude.json");
        std::fs::create_dir_all(dir.path().join(".claude")).expect("mkdir ~/.claude");
        Self {
            dir,
            api_key: api_key.to_owned(),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Makes the CLI's `Notification` hook with `notification_type: idle_prompt` fire after
    /// `after` at its prompt instead of its default 60 s (the global `.claude.json` key
    /// `messageIdleNotifThresholdMs`).
    pub(crate) fn idle_notification_after(&self, after: std::time::Duration) {
        let path = self.dir.path().join(".claude.json");
        let text = std::fs::read(&path).expect("read .claude.json");
        let mut config: serde_json::Value = serde_json::from_slice(&text).expect(".claude.json");
        config["messageIdleNotifThresholdMs"] =
            serde_json::json!(u64::try_from(after.as_millis()).expect("a sane duration"));
        std::fs::write(&path, serde_json::to_vec_pretty(&config).expect("json"))
            .expect("write .claude.json");
    }

    /// Writes the user's own `~/.claude/settings.json` (as a user of the CLI would have it).
    pub(crate) fn write_user_settings(&self, settings: &serde_json::Value) {
        std::fs::write(
            self.dir.path().join(".claude/settings.json"),
            serde_json::to_vec_pretty(settings).expect("json"),
        )
        .expect("write ~/.claude/settings.json");
    }

    /// The environment the CLI's pane needs: this HOME, the stub API at `base_url`, the
    /// key, and everything that would reach the internet switched off.
    pub(crate) fn env(&self, base_url: &str) -> Vec<(String, String)> {
        let home = self.dir.path().to_string_lossy().into_owned();
        [
            ("HOME", home.as_str()),
            ("ANTHROPIC_BASE_URL", base_url),
            ("ANTHROPIC_API_KEY", self.api_key.as_str()),
            ("DISABLE_AUTOUPDATER", "1"),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
            ("DISABLE_TELEMETRY", "1"),
            ("DISABLE_ERROR_REPORTING", "1"),
            ("DISABLE_BUG_COMMAND", "1"),
            ("CLAUDE_CODE_DISABLE_TERMINAL_TITLE", "1"),
            ("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1"),
            ("SHELL", "/bin/sh"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}
