//! `warden up`'s preflight: doctor's checks before anything starts, so a missing agent CLI
//! or dispatch script is one clear refusal rather than every task failing with 127 a
//! second later. Only failures refuse; warnings do not. `--no-preflight` skips it.

use super::doctor::{Finding, Level, findings, render};
use crate::config::LoadedConfig;
use crate::error::Error;

/// The refusal for these findings, or `None` when none of them failed.
fn refusal(found: &[Finding]) -> Option<String> {
    let failed: Vec<&Finding> = found.iter().filter(|f| f.level == Level::Fail).collect();
    if failed.is_empty() {
        return None;
    }
    let mut text = String::from(
        "warden cannot start here yet (the same checks as `warden doctor`; --no-preflight skips them):\n",
    );
    for f in failed {
        render(f, &mut text);
    }
    Some(text.trim_end().to_owned())
}

/// Runs doctor's checks (without asking agent CLIs their version) and refuses on any
/// failure, with doctor's own lines.
pub(crate) fn preflight(loaded: &LoadedConfig) -> Result<(), Error> {
    match refusal(&findings(loaded, false)) {
        Some(text) => Err(Error::Preflight(text)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::doctor::{bad, ok};
    use super::*;

    #[test]
    fn only_failures_refuse_and_each_keeps_its_fix() {
        let mut found = vec![
            ok("tmux 3.4 found"),
            bad(Level::Warn, "not a git repository", "git init"),
        ];
        assert_eq!(refusal(&found), None);
        found.push(bad(
            Level::Fail,
            "scripts/dispatch runs claude, which is not on PATH",
            "install Claude Code",
        ));
        let text = refusal(&found).expect("a failure refuses");
        assert!(
            text.contains("FAIL  scripts/dispatch runs claude, which is not on PATH"),
            "{text}"
        );
        assert!(text.contains("      fix: install Claude Code"), "{text}");
        assert!(!text.contains("git init"), "{text}");
        assert!(text.contains("--no-preflight"), "{text}");
    }
}
