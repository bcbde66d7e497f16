//! The task store: walks `tasks/**/*.md`, parses each file, and caches the result by path,
//! mtime and size so a rescan of a large backlog only re-reads the files that changed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use super::model::{InvalidTask, Task, TaskFields};
use super::parse::{ParseError, parse_task};

/// Files above this size are refused unread: a task file is prose, and reading a stray
/// multi-gigabyte file into memory would stall every heartbeat.
pub(crate) const MAX_TASK_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("failed to read tasks folder {path}: {source}")]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
enum Outcome {
    Task(TaskFields),
    NotATask,
    Invalid(ParseError),
}

#[derive(Debug, Clone)]
struct CacheEntry {
    mtime: SystemTime,
    size: u64,
    outcome: Outcome,
}

/// Everything one scan found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Backlog {
    /// Valid tasks, sorted by path.
    pub(crate) tasks: Vec<Task>,
    /// Files that could not be read as tasks, sorted by path.
    pub(crate) invalid: Vec<InvalidTask>,
    /// Markdown files seen, and how many of them had to be read and parsed this time.
    pub(crate) files_seen: usize,
    pub(crate) files_parsed: usize,
}

/// A cached view of the tasks folder.
#[derive(Debug)]
pub(crate) struct TaskStore {
    root: PathBuf,
    tasks_dir: PathBuf,
    /// Folders never descended into (logs, snapshots, worktrees, state) even when they sit
    /// under the tasks folder, as `tasks/logs` does by default.
    excluded: HashSet<PathBuf>,
    cache: HashMap<PathBuf, CacheEntry>,
}

fn to_utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

impl TaskStore {
    /// `tasks_dir` and `excluded` are absolute; paths in results are relative to `root`.
    pub(crate) fn new(root: PathBuf, tasks_dir: PathBuf, excluded: Vec<PathBuf>) -> Self {
        Self {
            root,
            tasks_dir,
            excluded: excluded.into_iter().collect(),
            cache: HashMap::new(),
        }
    }

    /// Lists `*.md` files below the tasks folder without following symlinked folders (a loop
    /// would never end) and skipping hidden and excluded folders.
    fn walk(&self) -> Result<Vec<(PathBuf, std::fs::Metadata)>, StoreError> {
        let mut files = Vec::new();
        let mut stack = vec![self.tasks_dir.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir == self.tasks_dir => {
                    return Ok(files);
                }
                Err(source) => return Err(StoreError::ReadDir { path: dir, source }),
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                if file_type.is_dir() {
                    if !hidden && !self.excluded.contains(&path) {
                        stack.push(path);
                    }
                    continue;
                }
                if hidden || path.extension().is_none_or(|e| e != "md") {
                    continue;
                }
                // Symlinked files are followed; a dangling link is skipped.
                if let Ok(meta) = std::fs::metadata(&path)
                    && meta.is_file()
                {
                    files.push((path, meta));
                }
            }
        }
        Ok(files)
    }

    fn read_one(path: &Path, rel: &Path, size: u64) -> Outcome {
        if size > MAX_TASK_FILE_BYTES {
            return Outcome::Invalid(ParseError {
                line: None,
                message: format!(
                    "file is {size} bytes, larger than the {MAX_TASK_FILE_BYTES}-byte limit for a task file"
                ),
            });
        }
        match std::fs::read(path) {
            Ok(bytes) => match parse_task(&bytes, rel) {
                Ok(Some(fields)) => Outcome::Task(fields),
                Ok(None) => Outcome::NotATask,
                Err(e) => Outcome::Invalid(e),
            },
            Err(e) => Outcome::Invalid(ParseError {
                line: None,
                message: format!("failed to read: {e}"),
            }),
        }
    }

    /// Scans the folder, re-reading only files whose mtime or size changed since last time.
    pub(crate) fn scan(&mut self) -> Result<Backlog, StoreError> {
        let mut files = self.walk()?;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut backlog = Backlog {
            files_seen: files.len(),
            ..Backlog::default()
        };
        let mut live = HashSet::with_capacity(files.len());
        let mut first_path_of: HashMap<String, PathBuf> = HashMap::new();
        for (path, meta) in files {
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let size = meta.len();
            let rel = path.strip_prefix(&self.root).unwrap_or(&path).to_path_buf();
            let fresh = self
                .cache
                .get(&path)
                .is_some_and(|c| c.mtime == mtime && c.size == size);
            if !fresh {
                backlog.files_parsed += 1;
                let outcome = Self::read_one(&path, &rel, size);
                self.cache.insert(
                    path.clone(),
                    CacheEntry {
                        mtime,
                        size,
                        outcome,
                    },
                );
            }
            let Some(entry) = self.cache.get(&path) else {
                continue;
            };
            let mtime = to_utc(mtime);
            match &entry.outcome {
                Outcome::NotATask => {}
                Outcome::Invalid(e) => backlog.invalid.push(InvalidTask {
                    path: rel.clone(),
                    line: e.line,
                    message: e.message.clone(),
                    mtime,
                }),
                Outcome::Task(fields) => {
                    if let Some(first) = first_path_of.get(&fields.id) {
                        backlog.invalid.push(InvalidTask {
                            path: rel.clone(),
                            line: None,
                            message: format!(
                                "duplicate id {:?}: {} already uses it",
                                fields.id,
                                first.display()
                            ),
                            mtime,
                        });
                    } else {
                        first_path_of.insert(fields.id.clone(), rel.clone());
                        backlog.tasks.push(Task {
                            fields: fields.clone(),
                            path: rel.clone(),
                            mtime,
                        });
                    }
                }
            }
            live.insert(path);
        }
        // Forget deleted files so the cache never outgrows the folder.
        self.cache.retain(|p, _| live.contains(p));
        Ok(backlog)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Status;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    fn store(root: &Path) -> TaskStore {
        TaskStore::new(
            root.to_path_buf(),
            root.join("tasks"),
            vec![root.join("tasks/logs")],
        )
    }

    #[test]
    fn scans_nested_files_and_keeps_going_past_bad_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "tasks/a.md", "---\nid: a\nstatus: ready\n---\n");
        write(root, "tasks/m1/b.md", "---\nid: b\nstatus: done\n---\n");
        write(root, "tasks/README.md", "# Tasks\n");
        write(root, "tasks/bad.md", "---\nid: bad\nstatus: nope\n---\n");
        write(root, "tasks/notes.txt", "---\nid: txt\n---\n");
        write(
            root,
            "tasks/logs/escalations/1/context.md",
            "---\nid: pack\n---\n",
        );
        write(root, "tasks/.hidden/c.md", "---\nid: c\n---\n");
        let backlog = store(root).scan().expect("scan");
        let ids: Vec<_> = backlog.tasks.iter().map(Task::id).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(backlog.tasks[1].status(), Status::Completed);
        assert_eq!(backlog.invalid.len(), 1);
        assert_eq!(backlog.invalid[0].path, Path::new("tasks/bad.md"));
        assert_eq!(backlog.invalid[0].line, Some(3));
    }

    #[test]
    fn duplicate_ids_keep_the_first_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "tasks/a.md", "---\nid: same\n---\n");
        write(root, "tasks/b.md", "---\nid: same\n---\n");
        let backlog = store(root).scan().expect("scan");
        assert_eq!(backlog.tasks.len(), 1);
        assert_eq!(backlog.tasks[0].path, Path::new("tasks/a.md"));
        assert!(backlog.invalid[0].message.contains("duplicate id"));
        assert!(backlog.invalid[0].message.contains("tasks/a.md"));
    }

    #[test]
    fn rescan_reads_only_changed_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "tasks/a.md", "---\nid: a\nstatus: ready\n---\n");
        write(root, "tasks/b.md", "---\nid: b\n---\n");
        let mut store = store(root);
        assert_eq!(store.scan().expect("scan").files_parsed, 2);
        assert_eq!(store.scan().expect("scan").files_parsed, 0);
        // A size change is seen even within the same mtime tick.
        write(root, "tasks/a.md", "---\nid: a\nstatus: in_progress\n---\n");
        let backlog = store.scan().expect("scan");
        assert_eq!(backlog.files_parsed, 1);
        assert_eq!(backlog.tasks[0].status(), Status::InProgress);
        std::fs::remove_file(root.join("tasks/b.md")).expect("rm");
        assert_eq!(store.scan().expect("scan").tasks.len(), 1);
        assert_eq!(store.cache.len(), 1);
    }

    #[test]
    fn missing_tasks_folder_is_an_empty_backlog() {
        let dir = tempfile::tempdir().expect("tempdir");
        let backlog = store(dir.path()).scan().expect("scan");
        assert!(backlog.tasks.is_empty() && backlog.invalid.is_empty());
    }

    #[test]
    fn oversized_file_is_invalid_without_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let big = format!(
            "---\nid: big\n---\n{}",
            "x".repeat(usize::try_from(MAX_TASK_FILE_BYTES).expect("fits"))
        );
        write(root, "tasks/big.md", &big);
        let backlog = store(root).scan().expect("scan");
        assert!(backlog.tasks.is_empty());
        assert!(backlog.invalid[0].message.contains("limit"));
    }
}
