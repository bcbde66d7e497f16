//! Finding and reading `warden.toml`, then layering environment variables and flags on top.
//!
//! Precedence, highest first: command-line flags, environment variables, the file, the
//! defaults in `model.rs`. clap already resolves "flag, else environment variable" for each
//! override, so this module only has to apply `Overrides` over the file.

use std::path::{Path, PathBuf};

use super::duration::HumanDuration;
use super::model::Config;

/// The config file's name, looked for in the current folder and each parent.
pub(crate) const CONFIG_FILE: &str = "warden.toml";

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("failed to read config {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The message carries toml's own "at line L, column C" and a caret excerpt.
    #[error("failed to parse config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("failed to resolve the current directory: {0}")]
    Cwd(#[source] std::io::Error),
    /// A combination of values that cannot work (each value is fine on its own).
    #[error("failed to use config {path}: {message}")]
    Invalid { path: String, message: String },
}

/// A config together with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct LoadedConfig {
    pub(crate) config: Config,
    /// The repository root: the folder holding `warden.toml`, else the git top level, else
    /// the starting folder.
    pub(crate) root: PathBuf,
    /// The file read, if there was one.
    pub(crate) file: Option<PathBuf>,
    /// Keys in the file that warden does not know, as dotted paths.
    pub(crate) unknown_keys: Vec<String>,
}

impl LoadedConfig {
    /// A path from the config, made absolute against the repository root.
    pub(crate) fn resolve(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }
}

/// Values given as flags or environment variables; `None` leaves the file's value alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) max_workers: Option<u32>,
    pub(crate) interval: Option<HumanDuration>,
    pub(crate) escalation: Option<bool>,
    pub(crate) dry_run: Option<bool>,
    pub(crate) mark_started_on_dispatch: Option<bool>,
}

/// Each override's clap argument id and the key it sets (`warden config` names the flag or
/// variable as the key's source). Kept beside `apply`, which it must agree with.
pub(crate) const OVERRIDE_KEYS: [(&str, &str); 5] = [
    ("max_workers", "dispatch.max_workers"),
    ("interval", "heartbeat.interval"),
    ("escalation", "escalation.enabled"),
    ("dry_run", "escalation.dry_run"),
    (
        "mark_started_on_dispatch",
        "dispatch.mark_started_on_dispatch",
    ),
];

impl Overrides {
    pub(crate) fn apply(&self, config: &mut Config) {
        if let Some(n) = self.max_workers {
            config.dispatch.max_workers = n;
        }
        if let Some(d) = self.interval {
            config.heartbeat.interval = d;
        }
        if let Some(b) = self.escalation {
            config.escalation.enabled = b;
        }
        if let Some(b) = self.dry_run {
            config.escalation.dry_run = b;
        }
        if let Some(b) = self.mark_started_on_dispatch {
            config.dispatch.mark_started_on_dispatch = b;
        }
    }
}

/// Walks up from `start` to the first folder holding `warden.toml`.
pub(crate) fn find_config_file(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

/// Walks up from `start` to the first folder holding `.git` (a folder or a worktree's file).
fn find_git_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Parses the text of a config file. Pure: the path is only used in messages.
pub(crate) fn parse_config(text: &str, path: &Path) -> Result<(Config, Vec<String>), ConfigError> {
    let mut unknown = Vec::new();
    let deserializer = toml::Deserializer::parse(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let config: Config = serde_ignored::deserialize(deserializer, |key| {
        unknown.push(key.to_string());
    })
    .map_err(|e: toml::de::Error| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    Ok((config, unknown))
}

/// Finds and reads the configuration for a command started in `start`.
///
/// `explicit` (from `--config`) wins over the search. A missing file is not an error: every
/// key has a default.
pub(crate) fn load(
    start: &Path,
    explicit: Option<&Path>,
    overrides: &Overrides,
) -> Result<LoadedConfig, ConfigError> {
    let start = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(ConfigError::Cwd)?
            .join(start)
    };
    // "./x" or "../x" would otherwise show up in every path warden prints.
    let start = start.canonicalize().unwrap_or_else(|_| {
        start
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    });
    let file = match explicit {
        Some(p) if p.is_absolute() => Some(p.to_path_buf()),
        Some(p) => Some(start.join(p)),
        None => find_config_file(&start),
    };
    let (mut config, unknown_keys) = match &file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            parse_config(&text, path)?
        }
        None => (Config::default(), Vec::new()),
    };
    overrides.apply(&mut config);
    // Checked only when Tier 2 is on: an old `{prompt}` command does no harm while it is off.
    let escalation = if config.escalation.enabled {
        config.escalation.check()
    } else {
        Ok(())
    };
    // A negative or missing price would make every budget wrong.
    let prices = config
        .budget
        .prices
        .validate()
        .map_err(|e| format!("[budget.prices]: {e}"));
    if let Err(message) = escalation.and(prices) {
        return Err(ConfigError::Invalid {
            path: file.as_ref().map_or_else(
                || "(the defaults and flags)".to_owned(),
                |f| f.display().to_string(),
            ),
            message,
        });
    }
    let root = match &file {
        // Canonical, like `start`: warden refuses links on the paths it writes, and the
        // root's own path is not one of them.
        Some(path) => path.parent().map_or_else(
            || start.clone(),
            |dir| dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
        ),
        None => find_git_root(&start).unwrap_or_else(|| start.clone()),
    };
    Ok(LoadedConfig {
        config,
        root,
        file,
        unknown_keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorktreeMode;

    fn parse(text: &str) -> Result<(Config, Vec<String>), String> {
        parse_config(text, Path::new("/repo/warden.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(parse(""), Ok((Config::default(), Vec::new())));
    }

    #[test]
    fn reads_every_section() {
        let (config, unknown) = parse(
            "[dispatch]\nmax_workers = 4\nworktree = \"git\"\ncommand = [\"agent\", \"{task}\"]\n\
             [thresholds]\nstall_after = \"20m\"\n[heartbeat]\ninterval = \"30s\"\n",
        )
        .expect("valid config");
        assert!(unknown.is_empty());
        assert_eq!(config.dispatch.max_workers, 4);
        assert_eq!(config.dispatch.worktree, WorktreeMode::Git);
        assert_eq!(config.dispatch.command, ["agent", "{task}"]);
        assert_eq!(config.thresholds.stall_after, HumanDuration::from_mins(20));
        assert_eq!(config.heartbeat.interval, HumanDuration::from_secs(30));
        // Untouched keys keep their defaults.
        assert_eq!(config.thresholds.stuck_after, HumanDuration::from_hours(4));
    }

    #[test]
    fn unknown_keys_are_reported_not_fatal() {
        let (config, unknown) =
            parse("colour = true\n[dispatch]\nmax_worker = 3\n").expect("still valid");
        assert_eq!(unknown, ["colour", "dispatch.max_worker"]);
        assert_eq!(config.dispatch.max_workers, 2);
    }

    #[test]
    fn invalid_values_name_file_line_and_form() {
        let err = parse("[thresholds]\n\nstall_after = \"ten minutes\"\n").expect_err("invalid");
        assert!(err.contains("/repo/warden.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("like 90s, 15m, 2h"), "{err}");

        let err = parse("[dispatch]\nmax_workers = \"two\"\n").expect_err("invalid");
        assert!(err.contains("line 2"), "{err}");

        let err = parse("[dispatch\n").expect_err("syntax");
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn overrides_beat_the_file() {
        let (mut config, _) = parse("[dispatch]\nmax_workers = 4\n").expect("valid");
        Overrides {
            max_workers: Some(7),
            escalation: Some(true),
            ..Overrides::default()
        }
        .apply(&mut config);
        assert_eq!(config.dispatch.max_workers, 7);
        assert!(config.escalation.enabled);
    }

    #[test]
    fn finds_the_file_in_a_parent_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[dispatch]\nmax_workers = 5\n",
        )
        .expect("write");
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).expect("mkdir");
        let loaded = load(&nested, None, &Overrides::default()).expect("load");
        assert_eq!(loaded.root, dir.path());
        assert_eq!(loaded.config.dispatch.max_workers, 5);
    }
}
