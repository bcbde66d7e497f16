//! Which jobs are expected to report through `warden hook`, and the values their dispatch
//! argv may use to wire an agent to it: `{agent_settings}` (Claude Code's `--settings`
//! file) and `{codex_notify}` (Codex's `notify` program, as a TOML array for `-c`).

use super::model::AgentKind;
use super::settings::{HookTarget, codex_notify_argv};
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

/// `{codex_notify}`: `warden hook` as a TOML array, for `codex -c notify=<this>` (an
/// override that leaves `~/.codex` alone). Codex appends its JSON as the last argument.
pub(crate) fn codex_notify(target: &HookTarget<'_>) -> String {
    toml::Value::Array(
        codex_notify_argv(target)
            .into_iter()
            .map(toml::Value::String)
            .collect(),
    )
    .to_string()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

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
    fn the_codex_notify_value_survives_toml() {
        let target = HookTarget {
            exe: Path::new("/opt/it's here/warden"),
            kind: AgentKind::Codex,
            job: "j-7",
            state: Path::new("/r/.warden"),
            socket: Path::new("/tmp/w \"x\" \\/reports.sock"),
        };
        let parsed: toml::Table =
            toml::from_str(&format!("notify = {}", codex_notify(&target))).expect("toml");
        let back: Vec<String> = parsed["notify"]
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v.as_str().expect("string").to_owned())
            .collect();
        assert_eq!(back, codex_notify_argv(&target));
    }
}
