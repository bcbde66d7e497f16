//! Layouts: how workers are placed in tmux and what the supervisor and manager windows are
//! called. Two are built in (`layouts/*.toml`, embedded in the binary); a user adds or
//! replaces one with `<user_dir>/<name>.toml`.
//!
//! Unlike `warden.toml`, an unknown key in a layout is an error, not a warning: a layout is
//! a handful of keys, usually copied from a built-in and edited, so a typo is far likelier
//! than a key from a newer warden, and a silently ignored one would be confusing.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// The built-in layouts, sorted by name.
const BUILTINS: [(&str, &str); 2] = [
    ("compact", include_str!("../layouts/compact.toml")),
    ("default", include_str!("../layouts/default.toml")),
];

/// How worker panes are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WorkerPlacement {
    /// One window per worker, named `<prefix>-<task>`.
    Windows,
    /// Workers tiled as panes in shared windows named `<prefix><n>`.
    Tiled,
}

/// Where a layout was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LayoutSource {
    Builtin,
    File(PathBuf),
}

impl fmt::Display for LayoutSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin => f.write_str("built in"),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A validated layout: every key filled in, window names safe to use as tmux targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) workers: WorkerPlacement,
    /// Tiled only: panes in one worker window before the next is opened. At least 1.
    pub(crate) panes_per_window: u16,
    pub(crate) worker_window_prefix: String,
    pub(crate) supervisor_window: String,
    pub(crate) manager_window: String,
    pub(crate) source: LayoutSource,
}

/// One row of `list_layouts`: a layout, or why the file of that name could not be used.
#[derive(Debug)]
pub(crate) struct LayoutEntry {
    pub(crate) name: String,
    pub(crate) layout: Result<Layout, LayoutError>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LayoutError {
    #[error("failed to find layout {name:?}; available layouts: {}", available.join(", "))]
    Unknown {
        name: String,
        available: Vec<String>,
    },
    #[error("failed to load layout {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("failed to read layout {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The message carries toml's own "at line L, column C" and a caret excerpt.
    #[error("failed to parse layout {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("failed to list layouts in {path}: {source}")]
    List {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The layout called `name`: `<user_dir>/<name>.toml` if it exists, else the built-in.
pub(crate) fn load_layout(name: &str, user_dir: &Path) -> Result<Layout, LayoutError> {
    check_name(name)?;
    let path = user_dir.join(format!("{name}.toml"));
    match std::fs::read_to_string(&path) {
        Ok(text) => return parse_layout(name, &text, LayoutSource::File(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        // A user file that exists but cannot be read must not quietly fall back to the
        // built-in: the user would be looking at a layout they did not ask for.
        Err(source) => return Err(LayoutError::Read { path, source }),
    }
    match BUILTINS.iter().find(|(builtin, _)| *builtin == name) {
        Some((_, text)) => parse_layout(name, text, LayoutSource::Builtin),
        None => Err(LayoutError::Unknown {
            name: name.to_owned(),
            available: available_names(user_dir),
        }),
    }
}

/// Every layout by name: the built-ins and each `*.toml` in `user_dir` (a user file replaces
/// the built-in of the same name), sorted. A user file that cannot be read or parsed is
/// listed with its error. A missing `user_dir` is fine; one that cannot be listed is an
/// error.
pub(crate) fn list_layouts(user_dir: &Path) -> Result<Vec<LayoutEntry>, LayoutError> {
    let mut all: BTreeMap<String, Result<Layout, LayoutError>> = BUILTINS
        .iter()
        .map(|(name, text)| {
            let layout = parse_layout(name, text, LayoutSource::Builtin);
            ((*name).to_owned(), layout)
        })
        .collect();
    for (name, path) in user_files(user_dir)? {
        let layout = check_name(&name).and_then(|()| {
            let text = std::fs::read_to_string(&path).map_err(|source| LayoutError::Read {
                path: path.clone(),
                source,
            })?;
            parse_layout(&name, &text, LayoutSource::File(path))
        });
        all.insert(name, layout);
    }
    Ok(all
        .into_iter()
        .map(|(name, layout)| LayoutEntry { name, layout })
        .collect())
}

/// `(name, path)` of every `*.toml` in `user_dir` that is not hidden and not a folder.
fn user_files(user_dir: &Path) -> Result<Vec<(String, PathBuf)>, LayoutError> {
    let list_error = |source| LayoutError::List {
        path: user_dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(user_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(list_error(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(list_error)?.path();
        if path.extension().is_none_or(|ext| ext != "toml") || path.is_dir() {
            continue;
        }
        let Some(stem) = path.file_stem() else {
            continue;
        };
        let name = stem.to_string_lossy().into_owned();
        // Editor droppings such as `.#default.toml`, and files the user hid on purpose.
        if name.starts_with('.') {
            continue;
        }
        files.push((name, path));
    }
    Ok(files)
}

/// Names for the "available layouts" hint; a folder that cannot be listed adds none.
fn available_names(user_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = BUILTINS.iter().map(|(n, _)| (*n).to_owned()).collect();
    names.extend(
        user_files(user_dir)
            .unwrap_or_default()
            .into_iter()
            .map(|(n, _)| n),
    );
    names.sort();
    names.dedup();
    names
}

/// A name picks a file in the user folder, so it must not be able to leave it.
fn check_name(name: &str) -> Result<(), LayoutError> {
    let reason = if name.is_empty() {
        "the name is empty"
    } else if name.contains(['/', '\\', '\0']) || name.starts_with('.') {
        "a layout name is a file name without `.toml`, not a path"
    } else if name.contains('\u{fffd}') {
        "the file name is not valid UTF-8"
    } else {
        return Ok(());
    };
    Err(LayoutError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

/// A layout file as written: every key optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    description: Option<String>,
    workers: Option<WorkerPlacement>,
    panes_per_window: Option<PanesPerWindow>,
    worker_window_prefix: Option<WindowName>,
    supervisor_window: Option<Spanned<WindowName>>,
    manager_window: Option<Spanned<WindowName>>,
}

/// Checked while deserialising so that toml reports the value's line and column.
#[derive(Debug)]
struct PanesPerWindow(u16);

impl<'de> Deserialize<'de> for PanesPerWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u16::deserialize(deserializer)? {
            0 => Err(serde::de::Error::custom(
                "`panes_per_window` must be at least 1",
            )),
            n => Ok(Self(n)),
        }
    }
}

/// A tmux window name (or prefix of one) that can be used in a target: tmux reads `:` and
/// `.` in `session:window.pane` as separators.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WindowName(String);

impl<'de> Deserialize<'de> for WindowName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        let problem = if name.trim().is_empty() {
            Some("is blank")
        } else if name.contains([':', '.']) {
            Some("contains ':' or '.', which tmux reads as separators in a target")
        } else if name.chars().any(char::is_control) {
            Some("contains a control character")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(serde::de::Error::custom(format!(
                "window name {name:?} {problem}"
            ))),
            None => Ok(Self(name)),
        }
    }
}

/// Parses and validates a layout's text. Pure: `source` only names it in the result and
/// in errors.
fn parse_layout(name: &str, text: &str, source: LayoutSource) -> Result<Layout, LayoutError> {
    let path = match &source {
        LayoutSource::Builtin => PathBuf::from(format!("layouts/{name}.toml")),
        LayoutSource::File(path) => path.clone(),
    };
    let parse_error = |message: String| LayoutError::Parse {
        path: path.clone(),
        message,
    };
    let file: LayoutFile =
        toml::from_str(text).map_err(|e| parse_error(e.to_string().trim_end().to_owned()))?;
    let window = |spanned: Option<Spanned<WindowName>>, default: &str| match spanned {
        Some(s) => (s.get_ref().0.clone(), Some(s.span())),
        None => (default.to_owned(), None),
    };
    let (supervisor_window, supervisor_span) = window(file.supervisor_window, "warden");
    let (manager_window, manager_span) = window(file.manager_window, "manager");
    // Two windows of one name would make every target by name ambiguous.
    if supervisor_window == manager_window {
        let at = manager_span
            .or(supervisor_span)
            .map(|span| position(text, span.start))
            .unwrap_or_default();
        return Err(parse_error(format!(
            "{at}`supervisor_window` and `manager_window` are both {manager_window:?}; \
             the two windows need different names"
        )));
    }
    Ok(Layout {
        name: name.to_owned(),
        description: file.description.unwrap_or_default(),
        workers: file.workers.unwrap_or(WorkerPlacement::Windows),
        panes_per_window: file.panes_per_window.map_or(4, |p| p.0),
        worker_window_prefix: file
            .worker_window_prefix
            .map_or_else(|| "w".to_owned(), |p| p.0),
        supervisor_window,
        manager_window,
        source,
    })
}

/// "at line L, column C: " for a byte offset, in the words toml uses for its own errors.
fn position(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("at line {line}, column {column}: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Layout, String> {
        parse_layout(
            "mine",
            text,
            LayoutSource::File(PathBuf::from("/repo/.warden/layouts/mine.toml")),
        )
        .map_err(|e| e.to_string())
    }

    fn write(dir: &Path, file: &str, text: &str) {
        std::fs::write(dir.join(file), text).expect("write layout");
    }

    #[test]
    fn builtins_parse_and_say_what_the_docs_say() {
        let dir = tempfile::tempdir().expect("tempdir");
        let default = load_layout("default", dir.path()).expect("default");
        assert_eq!(default.workers, WorkerPlacement::Windows);
        assert_eq!(default.source, LayoutSource::Builtin);
        assert_eq!(default.description, "one window per worker");
        let compact = load_layout("compact", dir.path()).expect("compact");
        assert_eq!(compact.workers, WorkerPlacement::Tiled);
        assert_eq!(compact.panes_per_window, 4);
        for layout in [&default, &compact] {
            assert_eq!(layout.worker_window_prefix, "w");
            assert_eq!(layout.supervisor_window, "warden");
            assert_eq!(layout.manager_window, "manager");
            assert!(!layout.description.is_empty());
        }
        // The built-in names are sorted, as `list_layouts` promises.
        assert!(BUILTINS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn every_key_is_optional() {
        let layout = parse("").expect("empty is valid");
        assert_eq!(
            layout,
            Layout {
                name: "mine".to_owned(),
                description: String::new(),
                workers: WorkerPlacement::Windows,
                panes_per_window: 4,
                worker_window_prefix: "w".to_owned(),
                supervisor_window: "warden".to_owned(),
                manager_window: "manager".to_owned(),
                source: LayoutSource::File(PathBuf::from("/repo/.warden/layouts/mine.toml")),
            }
        );
        let layout = parse(
            "description = \"big screen\"\nworkers = \"tiled\"\npanes_per_window = 9\n\
             worker_window_prefix = \"agents\"\nsupervisor_window = \"sup\"\n\
             manager_window = \"boss\"\n",
        )
        .expect("valid");
        assert_eq!(layout.description, "big screen");
        assert_eq!(layout.workers, WorkerPlacement::Tiled);
        assert_eq!(layout.panes_per_window, 9);
        assert_eq!(layout.worker_window_prefix, "agents");
        assert_eq!(layout.supervisor_window, "sup");
        assert_eq!(layout.manager_window, "boss");
    }

    #[test]
    fn invalid_layouts_name_the_file_the_line_and_the_problem() {
        let cases = [
            ("workers = \"tile\"\n", "line 1", "tile"),
            ("\n\npanes_per_window = 0\n", "line 3", "at least 1"),
            ("panes_per_window = -2\n", "line 1", "-2"),
            ("panes_per_window = 70000\n", "line 1", "70000"),
            ("panes_per_window = \"4\"\n", "line 1", "expected u16"),
            (
                "workers = \"tiled\"\npanes_per_windw = 2\n",
                "line 2",
                "panes_per_windw",
            ),
            ("[workers]\n", "line 1", "workers"),
            ("workers = \n", "line 1", ""),
            ("supervisor_window = \"a:b\"\n", "line 1", "separators"),
            ("manager_window = \"v1.2\"\n", "line 1", "separators"),
            ("worker_window_prefix = \"\"\n", "line 1", "is blank"),
            ("manager_window = \"  \"\n", "line 1", "is blank"),
            (
                "manager_window = \"a\\tb\"\n",
                "line 1",
                "control character",
            ),
            (
                "supervisor_window = \"x\"\n\nmanager_window = \"x\"\n",
                "line 3, column 18",
                "need different names",
            ),
            (
                "supervisor_window = \"manager\"\n",
                "line 1",
                "both \"manager\"",
            ),
        ];
        for (text, line, problem) in cases {
            let err = parse(text).expect_err(text);
            assert!(
                err.starts_with("failed to parse layout /repo/.warden/layouts/mine.toml: "),
                "{text:?}: {err}"
            );
            assert!(err.contains(line), "{text:?} should report {line}: {err}");
            assert!(
                err.contains(problem),
                "{text:?} should say {problem}: {err}"
            );
        }
    }

    #[test]
    fn a_user_file_wins_over_the_builtin() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "default.toml", "workers = \"tiled\"\n");
        write(dir.path(), "wide.toml", "panes_per_window = 6\n");
        let default = load_layout("default", dir.path()).expect("user default");
        assert_eq!(default.workers, WorkerPlacement::Tiled);
        assert_eq!(
            default.source,
            LayoutSource::File(dir.path().join("default.toml"))
        );
        let wide = load_layout("wide", dir.path()).expect("user layout");
        assert_eq!(wide.panes_per_window, 6);
        assert_eq!(wide.name, "wide");
        // The other built-in is still there.
        assert_eq!(
            load_layout("compact", dir.path()).map(|l| l.source).ok(),
            Some(LayoutSource::Builtin)
        );
    }

    #[test]
    fn a_broken_user_file_does_not_fall_back_to_the_builtin() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "default.toml", "workers = 3\n");
        let err = load_layout("default", dir.path()).expect_err("broken");
        assert!(matches!(err, LayoutError::Parse { .. }), "{err}");
        std::fs::create_dir(dir.path().join("odd.toml")).expect("mkdir");
        let err = load_layout("odd", dir.path()).expect_err("a folder");
        assert!(matches!(err, LayoutError::Read { .. }), "{err}");
    }

    #[test]
    fn unknown_and_invalid_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "wide.toml", "");
        let err = load_layout("wdie", dir.path())
            .expect_err("unknown")
            .to_string();
        assert_eq!(
            err,
            "failed to find layout \"wdie\"; available layouts: compact, default, wide"
        );
        // A missing folder still lists the built-ins.
        let err = load_layout("x", &dir.path().join("nope")).expect_err("unknown");
        assert!(
            err.to_string()
                .ends_with("available layouts: compact, default")
        );
        for name in ["", "../default", "a/b", ".hidden", "a\\b"] {
            let err = load_layout(name, dir.path()).expect_err(name);
            assert!(
                matches!(err, LayoutError::InvalidName { .. }),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn lists_builtins_and_user_files_sorted_with_errors_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = |entries: &[LayoutEntry]| -> Vec<String> {
            entries.iter().map(|e| e.name.clone()).collect()
        };
        let only_builtins = list_layouts(&dir.path().join("missing")).expect("no folder is fine");
        assert_eq!(names(&only_builtins), ["compact", "default"]);

        write(dir.path(), "default.toml", "description = \"mine\"\n");
        write(dir.path(), "aaa.toml", "workers = \"tiled\"\n");
        write(dir.path(), "broken.toml", "workers = \n");
        write(dir.path(), "notes.md", "not a layout");
        write(dir.path(), ".#default.toml", "editor lock");
        std::fs::create_dir(dir.path().join("folder.toml")).expect("mkdir");
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("dangling.toml"))
            .expect("symlink");

        let entries = list_layouts(dir.path()).expect("listable");
        assert_eq!(
            names(&entries),
            ["aaa", "broken", "compact", "dangling", "default"]
        );
        let by_name = |n: &str| &entries.iter().find(|e| e.name == n).expect(n).layout;
        assert_eq!(
            by_name("aaa").as_ref().map(|l| l.workers).ok(),
            Some(WorkerPlacement::Tiled)
        );
        assert!(matches!(by_name("broken"), Err(LayoutError::Parse { .. })));
        assert!(matches!(by_name("dangling"), Err(LayoutError::Read { .. })));
        assert_eq!(
            by_name("default")
                .as_ref()
                .map(|l| l.description.as_str())
                .ok(),
            Some("mine")
        );
        assert_eq!(
            by_name("compact").as_ref().map(|l| l.source.clone()).ok(),
            Some(LayoutSource::Builtin)
        );
    }

    #[test]
    fn a_user_dir_that_is_a_file_cannot_be_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "layouts", "");
        let err = list_layouts(&dir.path().join("layouts")).expect_err("not a folder");
        assert!(
            err.to_string().starts_with("failed to list layouts in "),
            "{err}"
        );
    }

    #[test]
    fn positions_count_lines_and_characters() {
        assert_eq!(position("a = 1\nb = 2\n", 6), "at line 2, column 1: ");
        assert_eq!(position("é = \"x\"", 5), "at line 1, column 5: ");
    }
}
