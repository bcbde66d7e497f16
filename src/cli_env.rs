//! Naming the environment variable behind a bad value. clap reports a bad
//! `WARDEN_MAX_WORKERS=abc` as a bad `--max-workers`, a flag nobody typed; the message
//! should send the reader to the variable instead.

use std::error::Error as _;
use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::cli::Cli;
use crate::escape::terminal_safe;

/// `--max-workers <N>` → `max-workers`.
fn long_name(shown: &str) -> Option<&str> {
    shown
        .strip_prefix("--")?
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .next()
        .filter(|n| !n.is_empty())
}

/// The value typed for `--<long>` (before any `--` that ends the flags), if it was.
fn typed_value(args: &[OsString], long: &str) -> Option<String> {
    let flag = format!("--{long}");
    let with_value = format!("--{long}=");
    let args: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|a| a != "--")
        .collect();
    args.iter().enumerate().find_map(|(i, a)| {
        if let Some(v) = a.strip_prefix(&with_value) {
            Some(v.to_owned())
        } else if *a == flag {
            Some(args.get(i + 1).cloned().unwrap_or_default())
        } else {
            None
        }
    })
}

/// The message for a bad value that came from an environment variable, naming it; `None`
/// when the error is not about a value, or the flag itself was typed.
pub(crate) fn env_value_error(err: &clap::Error, args: &[OsString]) -> Option<String> {
    if !matches!(
        err.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        return None;
    }
    let Some(ContextValue::String(shown)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    let Some(ContextValue::String(bad)) = err.get(ContextKind::InvalidValue) else {
        return None;
    };
    let long = long_name(shown)?;
    // clap checks a global flag's variable even where the flag was typed: the bad value
    // is the variable's unless the flag was typed with that same value.
    if typed_value(args, long).as_deref() == Some(bad.as_str()) {
        return None;
    }
    let command = <Cli as clap::CommandFactory>::command();
    let name = command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))?
        .get_env()?
        .to_string_lossy()
        .into_owned();
    let value = std::env::var_os(&name)?;
    if value.to_string_lossy() != bad.as_str() {
        return None;
    }
    let why = err.source().map(|e| format!(": {e}")).unwrap_or_default();
    Some(format!(
        "invalid value '{}' in the environment variable {name} (read as {shown}){}",
        terminal_safe(&value.to_string_lossy()),
        terminal_safe(&why)
    ))
}

/// What to add to an error about the config file when `WARDEN_CONFIG` chose the file: the
/// reader may not know the variable is set.
pub(crate) fn config_file_note(
    err: &crate::error::Error,
    matches: &clap::ArgMatches,
) -> Option<&'static str> {
    use crate::config::ConfigError;
    let about_the_file = matches!(
        err,
        crate::error::Error::Config(ConfigError::Read { .. } | ConfigError::Parse { .. })
    );
    (about_the_file
        && matches.value_source("config") == Some(clap::parser::ValueSource::EnvVariable))
    .then_some(" (the file comes from the environment variable WARDEN_CONFIG)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_name_of_a_shown_flag() {
        assert_eq!(long_name("--max-workers <N>"), Some("max-workers"));
        assert_eq!(long_name("--escalation[=<BOOL>]"), Some("escalation"));
        assert_eq!(long_name("<TASK>"), None);
    }

    #[test]
    fn a_typed_value_is_found_with_or_without_equals_and_not_after_dashes() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        let max = "max-workers";
        assert_eq!(
            typed_value(&args(&["warden", "--max-workers", "x"]), max).as_deref(),
            Some("x")
        );
        assert_eq!(
            typed_value(&args(&["warden", "status", "--max-workers=y"]), max).as_deref(),
            Some("y")
        );
        assert_eq!(typed_value(&args(&["warden", "status"]), max), None);
        assert_eq!(
            typed_value(&args(&["warden", "run-worker", "--", "--max-workers"]), max),
            None
        );
    }
}
