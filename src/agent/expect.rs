//! Which jobs are expected to report through `warden hook`, and the values their dispatch
//! argv may use to wire an agent to it: `{agent_settings}` (Claude Code's `--settings`
//! file) and `{codex_notify}` (Codex's `notify` program, as a TOML array for `-c`).

use std::path::Path;

use super::model::AgentKind;
use crate::config::AgentSetting;

/// The argv placeholders that wire an agent's hooks to warden.
pub(crate) const AGENT_SETTINGS: &str = "agent_settings";
pub(crate) const CODEX_NOTIFY: &str = "codex_notify";

/// The agent a job runs when it is expected to report: named in the config, or told by the
/// placeholder its argv uses. `None`: the job behaves as one without hooks.
pub(crate) fn expected_agent(setting: AgentSetting, argv: &[String]) -> Option<AgentKind> {
    let uses = |name: &str| {
        let needle = format!("{{{name}}}");
        argv.iter().any(|a| a.contains(&needle))
    };
    match setting {
        AgentSetting::Claude => Some(AgentKind::Claude),
        AgentSetting::Codex => Some(AgentKind::Codex),
        AgentSetting::Generic => Some(AgentKind::Unknown),
        AgentSetting::None if uses(AGENT_SETTINGS) => Some(AgentKind::Claude),
        AgentSetting::None if uses(CODEX_NOTIFY) => Some(AgentKind::Codex),
        AgentSetting::None => None,
    }
}

/// Where one job's hooks report: the program, the job and the supervisor's files.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HookTarget<'a> {
    /// The absolute path of the `warden` binary.
    pub(crate) exe: &'a Path,
    pub(crate) kind: AgentKind,
    pub(crate) job: &'a str,
    /// The state folder (`.warden`).
    pub(crate) state: &'a Path,
    /// The supervisor's report socket.
    pub(crate) socket: &'a Path,
}

impl HookTarget<'_> {
    /// `warden hook` with everything it needs as flags, so a hook run with a scrubbed
    /// environment still finds its job.
    pub(crate) fn argv(&self) -> Vec<String> {
        vec![
            self.exe.to_string_lossy().into_owned(),
            "hook".to_owned(),
            "--agent".to_owned(),
            self.kind.as_str().to_owned(),
            "--job".to_owned(),
            self.job.to_owned(),
            "--state".to_owned(),
            self.state.to_string_lossy().into_owned(),
            "--socket".to_owned(),
            self.socket.to_string_lossy().into_owned(),
        ]
    }

    /// The same as one shell command line (Claude Code runs hook commands through a shell):
    /// each word single-quoted.
    pub(crate) fn command(&self) -> String {
        self.argv()
            .iter()
            .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `{codex_notify}`: the argv as a TOML array, for `codex -c notify=<this>` (an override
    /// that leaves `~/.codex` alone). Codex appends its JSON as the last argument.
    pub(crate) fn codex_notify(&self) -> String {
        let array = toml::Value::Array(self.argv().into_iter().map(toml::Value::String).collect());
        array.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_config_or_the_placeholder_says_which_agent_reports() {
        let plain = strings(&["scripts/dispatch", "{task}"]);
        let claude = strings(&["claude", "--settings", "{agent_settings}", "{task}"]);
        let codex = strings(&["codex", "-c", "notify={codex_notify}", "{task}"]);
        assert_eq!(expected_agent(AgentSetting::None, &plain), None);
        assert_eq!(
            expected_agent(AgentSetting::None, &claude),
            Some(AgentKind::Claude)
        );
        assert_eq!(
            expected_agent(AgentSetting::None, &codex),
            Some(AgentKind::Codex)
        );
        assert_eq!(
            expected_agent(AgentSetting::Codex, &plain),
            Some(AgentKind::Codex)
        );
        assert_eq!(
            expected_agent(AgentSetting::Generic, &plain),
            Some(AgentKind::Unknown)
        );
    }

    #[test]
    fn the_hook_command_survives_a_shell_and_toml() {
        let target = HookTarget {
            exe: Path::new("/opt/it's here/warden"),
            kind: AgentKind::Codex,
            job: "j-7",
            state: Path::new("/r/.warden"),
            socket: Path::new("/tmp/w \"x\"/reports.sock"),
        };
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "for a in {}; do printf '%s\\n' \"$a\"; done",
                target.command()
            ))
            .output()
            .expect("sh");
        let words: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(words, target.argv());
        let parsed: toml::Table =
            toml::from_str(&format!("notify = {}", target.codex_notify())).expect("toml");
        let back: Vec<String> = parsed["notify"]
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v.as_str().expect("string").to_owned())
            .collect();
        assert_eq!(back, target.argv());
    }
}
