//! Where each value of the effective configuration came from: its default, a line of the
//! file, an environment variable or a flag (`warden config`). Pure: the config, the file's
//! text and the overrides clap saw in, one entry per leaf key out.
//!
//! The file's lines come from toml's own spans (`toml::de::DeTable`), so the line is the
//! one the parser read, whatever the file's layout (dotted keys, inline tables).

use std::path::{Path, PathBuf};

use serde::Serialize;
use toml::de::{DeTable, DeValue};

use super::model::Config;

/// Where one value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum Source {
    /// No one set it: the default in `model.rs`.
    Default,
    /// Set in the config file, at this line (1-based).
    File { file: PathBuf, line: usize },
    /// Set by this environment variable (which backs a flag).
    Env { name: String },
    /// Set by this flag on the command line.
    Flag { name: String },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File { file, line } => write!(f, "{}:{line}", file.display()),
            Self::Env { name } => write!(f, "env:{name}"),
            Self::Flag { name } => write!(f, "flag:{name}"),
        }
    }
}

/// One leaf key of the effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Entry {
    /// Dotted, each part quoted as TOML would when it is not a bare key.
    pub(crate) key: String,
    pub(crate) value: toml::Value,
    pub(crate) source: Source,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ProvenanceError {
    #[error("failed to show the configuration: {0}")]
    Encode(#[from] toml::ser::Error),
    #[error("failed to parse config {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

/// `claude-opus-4` stays bare; `claude.v4` becomes `"claude.v4"`.
fn key_part(part: &str) -> String {
    let bare = !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        part.to_owned()
    } else {
        toml::Value::String(part.to_owned()).to_string()
    }
}

/// Every leaf under `value` with its path; an empty table is a leaf (`prices = {}`).
fn leaves(path: &mut Vec<String>, value: &toml::Value, out: &mut Vec<(Vec<String>, toml::Value)>) {
    match value {
        toml::Value::Table(t) if !t.is_empty() => {
            for (k, v) in t {
                path.push(k.clone());
                leaves(path, v, out);
                path.pop();
            }
        }
        _ => out.push((path.clone(), value.clone())),
    }
}

/// The byte offset of `path`'s key in the file, if the file sets it.
fn key_offset(table: &DeTable<'_>, path: &[String]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    let (key, value) = table.get_key_value(first.as_str())?;
    if rest.is_empty() {
        return Some(key.span().start);
    }
    match value.get_ref() {
        DeValue::Table(inner) => key_offset(inner, rest),
        _ => None,
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Each leaf of `config` with its source. `file`: the config file's path and text;
/// `overridden`: the keys a flag or an environment variable set (they win over the file).
pub(crate) fn provenance(
    config: &Config,
    file: Option<(&Path, &str)>,
    overridden: &[(&str, Source)],
) -> Result<Vec<Entry>, ProvenanceError> {
    let effective = toml::Value::try_from(config)?;
    let parsed = match file {
        Some((path, text)) => Some(DeTable::parse(text).map(|t| (path, text, t)).map_err(|e| {
            ProvenanceError::Parse {
                path: path.to_path_buf(),
                message: e.to_string().trim_end().to_owned(),
            }
        })?),
        None => None,
    };
    let mut found = Vec::new();
    leaves(&mut Vec::new(), &effective, &mut found);
    Ok(found
        .into_iter()
        .map(|(path, value)| {
            let key = path
                .iter()
                .map(|p| key_part(p))
                .collect::<Vec<_>>()
                .join(".");
            let source = overridden
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, s)| s.clone())
                .or_else(|| {
                    let (file, text, table) = parsed.as_ref()?;
                    let offset = key_offset(table.get_ref(), &path)?;
                    Some(Source::File {
                        file: file.to_path_buf(),
                        line: line_of(text, offset),
                    })
                })
                .unwrap_or(Source::Default);
            Entry { key, value, source }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{OVERRIDE_KEYS, Overrides, parse_config};

    fn entries(text: &str, overridden: &[(&str, Source)]) -> Vec<Entry> {
        let path = Path::new("/repo/warden.toml");
        let (config, _) = parse_config(text, path).expect("valid");
        provenance(&config, Some((path, text)), overridden).expect("provenance")
    }

    fn source_of(entries: &[Entry], key: &str) -> Source {
        entries
            .iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .source
            .clone()
    }

    fn file(line: usize) -> Source {
        Source::File {
            file: PathBuf::from("/repo/warden.toml"),
            line,
        }
    }

    #[test]
    fn each_key_names_the_line_that_set_it_or_its_default() {
        let text = "# a comment\n[dispatch]\n\nmax_workers = 4\nworktree = \"git\"\n\
                    [heartbeat]\ninterval = \"30s\"\n[budget.prices.\"claude.v4\"]\ninput = 3.0\noutput = 15.0\n";
        let e = entries(text, &[]);
        assert_eq!(source_of(&e, "dispatch.max_workers"), file(4));
        assert_eq!(source_of(&e, "dispatch.worktree"), file(5));
        assert_eq!(source_of(&e, "heartbeat.interval"), file(7));
        assert_eq!(
            source_of(&e, "budget.prices.\"claude.v4\".output"),
            file(10)
        );
        assert_eq!(source_of(&e, "dispatch.branch_prefix"), Source::Default);
        assert_eq!(source_of(&e, "thresholds.stall_after"), Source::Default);
        let interval = e
            .iter()
            .find(|e| e.key == "heartbeat.interval")
            .expect("key");
        assert_eq!(interval.value, toml::Value::String("30s".into()));
    }

    #[test]
    fn dotted_keys_and_inline_tables_have_their_lines_too() {
        let e = entries(
            "dispatch.max_workers = 3\n\nthresholds = { stall_after = \"20m\",\n  stuck_after = \"1h\" }\n",
            &[],
        );
        assert_eq!(source_of(&e, "dispatch.max_workers"), file(1));
        assert_eq!(source_of(&e, "thresholds.stall_after"), file(3));
        assert_eq!(source_of(&e, "thresholds.stuck_after"), file(4));
    }

    #[test]
    fn an_override_beats_the_file_and_empty_tables_are_listed() {
        let flag = Source::Flag {
            name: "--max-workers".into(),
        };
        let e = entries(
            "[dispatch]\nmax_workers = 4\n",
            &[("dispatch.max_workers", flag.clone())],
        );
        assert_eq!(source_of(&e, "dispatch.max_workers"), flag);
        assert_eq!(source_of(&e, "budget.prices"), Source::Default);
        // Without a file every key is a default.
        let none = provenance(&Config::default(), None, &[]).expect("provenance");
        assert!(none.iter().all(|e| e.source == Source::Default));
        assert!(none.len() > 50, "{}", none.len());
    }

    /// The table of keys the overrides set agrees with what `Overrides::apply` changes.
    #[test]
    fn every_override_sets_the_key_it_names() {
        for (id, key) in OVERRIDE_KEYS {
            let mut o = Overrides::default();
            match id {
                "max_workers" => o.max_workers = Some(99),
                "interval" => o.interval = Some(crate::config::HumanDuration::from_secs(99)),
                "escalation" => o.escalation = Some(true),
                "dry_run" => o.dry_run = Some(true),
                "mark_started_on_dispatch" => o.mark_started_on_dispatch = Some(true),
                other => panic!("an override this test does not know: {other}"),
            }
            let mut config = Config::default();
            o.apply(&mut config);
            let before = provenance(&Config::default(), None, &[]).expect("before");
            let after = provenance(&config, None, &[]).expect("after");
            let changed: Vec<&str> = after
                .iter()
                .zip(&before)
                .filter(|(a, b)| a.value != b.value)
                .map(|(a, _)| a.key.as_str())
                .collect();
            assert_eq!(changed, [key], "{id}");
        }
    }
}
