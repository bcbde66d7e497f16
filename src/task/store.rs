//! The task store: walks `tasks/**/*.md`, parses each file, and caches the result by path,
//! mtime and size so a rescan of a large backlog only re-reads the files that changed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use super::model::{InvalidTask, Task, TaskFields};
use super::parse::{ParseError, parse_task};
use super::watch::Watcher;

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
    Task(Arc<TaskFields>),
    NotATask,
    Invalid(ParseError),
}

#[derive(Debug, Clone)]
struct CacheEntry {
    mtime: SystemTime,
    size: u64,
    outcome: Outcome,
    /// The scan generation that last saw this file; older entries are forgotten.
    seen: u64,
}

/// Everything one scan found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Backlog {
    /// Valid tasks, sorted by path.
    pub(crate) tasks: Vec<Task>,
    /// Files that could not be read as tasks, sorted by path.
    pub(crate) invalid: Vec<InvalidTask>,
}

/// One scan's result and what it cost.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    /// Shared with the previous scan when no file changed, so a quiet heartbeat copies
    /// nothing.
    pub(crate) backlog: Arc<Backlog>,
    /// Markdown files seen, and how many of them had to be read and parsed this time.
    pub(crate) files_seen: usize,
    pub(crate) files_parsed: usize,
    /// False when the change watcher reported nothing and the folder was not walked at all.
    pub(crate) walked: bool,
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
    generation: u64,
    last: Option<Scan>,
    /// Set after a walk in which every folder got a watch; then a quiet watcher means the
    /// last scan still holds.
    watcher: Option<Watcher>,
    fully_watched: bool,
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
            generation: 0,
            last: None,
            watcher: None,
            fully_watched: false,
        }
    }

    /// Watches the folders for changes from now on, so quiet rescans skip the walk. Worth
    /// it only for a process that scans again and again: closing a watcher with many
    /// watches costs the kernel milliseconds.
    pub(crate) fn watch(&mut self) {
        if self.watcher.is_none() {
            self.watcher = Watcher::new();
            self.fully_watched = false;
        }
    }

    /// Lists `*.md` files below the tasks folder without following symlinked folders (a loop
    /// would never end) and skipping hidden and excluded folders.
    fn walk(&mut self) -> Result<Vec<(PathBuf, std::fs::Metadata)>, StoreError> {
        let mut files = Vec::new();
        let mut stack = vec![self.tasks_dir.clone()];
        let mut all_watched = self.watcher.is_some();
        while let Some(dir) = stack.pop() {
            if let Some(w) = &self.watcher {
                all_watched &= w.watch(&dir);
            }
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir == self.tasks_dir => {
                    // Nothing to watch yet: walk again next time.
                    self.fully_watched = false;
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
                // Symlinked files are followed; a dangling link is skipped. For plain files
                // the entry's own metadata is a cheaper stat relative to the open folder.
                let meta = if file_type.is_symlink() {
                    std::fs::metadata(&path)
                } else {
                    entry.metadata()
                };
                if let Ok(meta) = meta
                    && meta.is_file()
                {
                    files.push((path, meta));
                }
            }
        }
        self.fully_watched = all_watched;
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
                Ok(Some(fields)) => Outcome::Task(Arc::new(fields)),
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
    pub(crate) fn scan(&mut self) -> Result<Scan, StoreError> {
        if self.fully_watched
            && let (Some(watcher), Some(last)) = (&self.watcher, &self.last)
            && watcher.quiet()
        {
            return Ok(Scan {
                files_parsed: 0,
                walked: false,
                ..last.clone()
            });
        }
        // Events that arrive from here on are about this walk or later; drop older ones.
        if let Some(w) = &self.watcher {
            w.quiet();
        }
        let files = self.walk()?;
        self.generation += 1;
        let generation = self.generation;
        let files_seen = files.len();
        let mut files_parsed = 0;
        let mut paths = Vec::with_capacity(files.len());
        for (path, meta) in files {
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let size = meta.len();
            match self.cache.get_mut(&path) {
                Some(entry) if entry.mtime == mtime && entry.size == size => {
                    entry.seen = generation
                }
                _ => {
                    files_parsed += 1;
                    let rel = path.strip_prefix(&self.root).unwrap_or(&path);
                    let outcome = Self::read_one(&path, rel, size);
                    self.cache.insert(
                        path.clone(),
                        CacheEntry {
                            mtime,
                            size,
                            outcome,
                            seen: generation,
                        },
                    );
                }
            }
            paths.push(path);
        }
        // Forget deleted files so the cache never outgrows the folder.
        let before = self.cache.len();
        self.cache.retain(|_, e| e.seen == generation);
        let removed = before != self.cache.len();
        let backlog = match &self.last {
            Some(last) if files_parsed == 0 && !removed => Arc::clone(&last.backlog),
            _ => Arc::new(self.build(paths)),
        };
        let scan = Scan {
            backlog,
            files_seen,
            files_parsed,
            walked: true,
        };
        self.last = Some(scan.clone());
        Ok(scan)
    }

    /// Assembles the backlog from the cache in path order; the first path of a duplicated id
    /// keeps it.
    fn build(&self, mut paths: Vec<PathBuf>) -> Backlog {
        paths.sort_unstable_by(|a, b| {
            a.as_os_str()
                .as_encoded_bytes()
                .cmp(b.as_os_str().as_encoded_bytes())
        });
        let mut backlog = Backlog::default();
        let mut first_path_of: HashMap<&str, &Path> = HashMap::new();
        for path in &paths {
            let Some(entry) = self.cache.get(path) else {
                continue;
            };
            let rel = path.strip_prefix(&self.root).unwrap_or(path);
            let mtime = to_utc(entry.mtime);
            match &entry.outcome {
                Outcome::NotATask => {}
                Outcome::Invalid(e) => backlog.invalid.push(InvalidTask {
                    path: rel.to_path_buf(),
                    line: e.line,
                    message: e.message.clone(),
                    mtime,
                }),
                Outcome::Task(fields) => {
                    if let Some(first) = first_path_of.get(fields.id.as_str()) {
                        backlog.invalid.push(InvalidTask {
                            path: rel.to_path_buf(),
                            line: None,
                            message: format!(
                                "duplicate id {:?}: {} already uses it",
                                fields.id,
                                first.display()
                            ),
                            mtime,
                        });
                    } else {
                        first_path_of.insert(&fields.id, rel);
                        backlog.tasks.push(Task {
                            fields: Arc::clone(fields),
                            path: rel.to_path_buf(),
                            mtime,
                        });
                    }
                }
            }
        }
        backlog
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
        let backlog = store(root).scan().expect("scan").backlog;
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
        let backlog = store(root).scan().expect("scan").backlog;
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
        let scan = store.scan().expect("scan");
        assert_eq!(scan.files_parsed, 1);
        assert_eq!(scan.backlog.tasks[0].status(), Status::InProgress);
        // Nothing changed: the very same backlog is handed out again.
        let again = store.scan().expect("scan");
        assert!(Arc::ptr_eq(&scan.backlog, &again.backlog));
        std::fs::remove_file(root.join("tasks/b.md")).expect("rm");
        assert_eq!(store.scan().expect("scan").backlog.tasks.len(), 1);
        assert_eq!(store.cache.len(), 1);
    }

    #[test]
    fn quiet_folders_are_not_walked_and_every_kind_of_change_is_seen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "tasks/a.md", "---\nid: a\n---\n");
        let mut store = store(root);
        store.watch();
        assert!(store.scan().expect("scan").walked);
        let quiet = store.scan().expect("scan");
        assert!(!quiet.walked, "nothing changed, so no walk");
        assert_eq!(quiet.backlog.tasks.len(), 1);
        // A new file in a new subfolder, then a file in that subfolder edited, then a rename.
        write(root, "tasks/new/b.md", "---\nid: b\n---\n");
        let scan = store.scan().expect("scan");
        assert!(scan.walked);
        assert_eq!(scan.backlog.tasks.len(), 2);
        assert!(!store.scan().expect("scan").walked);
        write(root, "tasks/new/b.md", "---\nid: b\nstatus: ready\n---\n");
        let scan = store.scan().expect("scan");
        assert_eq!(scan.backlog.tasks[1].status(), Status::Ready);
        std::fs::rename(root.join("tasks/new/b.md"), root.join("tasks/new/c.md")).expect("mv");
        let scan = store.scan().expect("scan");
        assert!(scan.walked);
        assert_eq!(scan.backlog.tasks[1].path, Path::new("tasks/new/c.md"));
        // An mtime-only change (touch) is seen too.
        std::fs::File::options()
            .write(true)
            .open(root.join("tasks/a.md"))
            .expect("open")
            .set_modified(std::time::SystemTime::UNIX_EPOCH)
            .expect("touch");
        let scan = store.scan().expect("scan");
        assert!(scan.walked);
        assert_eq!(scan.backlog.tasks[0].mtime, DateTime::<Utc>::UNIX_EPOCH);
    }

    #[test]
    fn missing_tasks_folder_is_an_empty_backlog() {
        let dir = tempfile::tempdir().expect("tempdir");
        let backlog = store(dir.path()).scan().expect("scan").backlog;
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
        let backlog = store(root).scan().expect("scan").backlog;
        assert!(backlog.tasks.is_empty());
        assert!(backlog.invalid[0].message.contains("limit"));
    }
}
