//! The task store: walks `tasks/**/*.md` (`walk.rs`), reads each file without ever blocking
//! (`read.rs`), parses it, and caches the result by path, mtime and size so a rescan of a
//! large backlog only re-reads the files that changed. A scan never fails: a file or folder
//! that cannot be read is an invalid entry of the backlog.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use super::model::{InvalidTask, Task, TaskFields};
use super::parse::{ParseError, parse_task};
use super::read::read_task_file;
use super::walk::{Verdict, walk};
use super::watch::Watcher;

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
    /// What the walk made of the path: a FIFO with a regular file's mtime and size is not
    /// the file that was read.
    verdict: Verdict,
    outcome: Outcome,
    /// The scan generation that last saw this file; older entries are forgotten.
    seen: u64,
}

/// Everything one scan found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Backlog {
    /// Valid tasks, sorted by path.
    pub(crate) tasks: Vec<Task>,
    /// Files that could not be read as tasks and folders that could not be listed, sorted
    /// by path.
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
    /// The folders the last walk could not list, relative to the root.
    unlistable: Vec<InvalidTask>,
    generation: u64,
    last: Option<Scan>,
    /// Set after a walk in which every folder was listed and got a watch; then a quiet
    /// watcher means the last scan still holds.
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
            unlistable: Vec::new(),
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

    fn read_one(path: &Path, rel: &Path) -> Outcome {
        match read_task_file(path) {
            Ok(bytes) => match parse_task(&bytes, rel) {
                Ok(Some(fields)) => Outcome::Task(Arc::new(fields)),
                Ok(None) => Outcome::NotATask,
                Err(e) => Outcome::Invalid(e),
            },
            Err(e) => Outcome::Invalid(ParseError {
                line: None,
                message: e.to_string(),
            }),
        }
    }

    fn relative<'p>(&self, path: &'p Path) -> &'p Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }

    /// Scans the folder, re-reading only files whose mtime or size changed since last time.
    /// Never fails: a file or folder that cannot be read is an invalid entry of the backlog.
    pub(crate) fn scan(&mut self) -> Scan {
        if self.fully_watched
            && let (Some(watcher), Some(last)) = (&self.watcher, &self.last)
            && watcher.quiet()
        {
            return Scan {
                files_parsed: 0,
                walked: false,
                ..last.clone()
            };
        }
        // Events that arrive from here on are about this walk or later; drop older ones.
        // The changes they announced are what this walk is for, so until it has finished
        // the watcher counts as dirty.
        self.fully_watched = false;
        if let Some(w) = &self.watcher {
            w.quiet();
        }
        let walk = walk(&self.tasks_dir, &self.excluded, self.watcher.as_ref());
        self.generation += 1;
        let generation = self.generation;
        let files_seen = walk.files.len();
        let mut files_parsed = 0;
        let mut paths = Vec::with_capacity(walk.files.len());
        for found in walk.files {
            let path = found.path;
            match self.cache.get_mut(&path) {
                Some(entry)
                    if entry.mtime == found.mtime
                        && entry.size == found.size
                        && entry.verdict == found.verdict =>
                {
                    entry.seen = generation;
                }
                _ => {
                    files_parsed += 1;
                    let outcome = match &found.verdict {
                        Verdict::Read => Self::read_one(&path, self.relative(&path)),
                        Verdict::Refused(why) => Outcome::Invalid(ParseError {
                            line: None,
                            message: why.clone(),
                        }),
                    };
                    self.cache.insert(
                        path.clone(),
                        CacheEntry {
                            mtime: found.mtime,
                            size: found.size,
                            verdict: found.verdict,
                            outcome,
                            seen: generation,
                        },
                    );
                }
            }
            paths.push(path);
        }
        let unlistable: Vec<InvalidTask> = walk
            .unlistable
            .iter()
            .map(|u| InvalidTask {
                path: self.relative(&u.path).to_path_buf(),
                line: None,
                message: format!("cannot be listed: {}", u.error),
                mtime: to_utc(u.mtime),
            })
            .collect();
        // Forget deleted files so the cache never outgrows the folder.
        let before = self.cache.len();
        self.cache.retain(|_, e| e.seen == generation);
        let unchanged =
            files_parsed == 0 && before == self.cache.len() && unlistable == self.unlistable;
        self.unlistable = unlistable;
        let backlog = match &self.last {
            Some(last) if unchanged => Arc::clone(&last.backlog),
            _ => Arc::new(self.build(paths)),
        };
        let scan = Scan {
            backlog,
            files_seen,
            files_parsed,
            walked: true,
        };
        self.last = Some(scan.clone());
        self.fully_watched = walk.complete;
        scan
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
            let rel = self.relative(path);
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
        // A folder that cannot be listed sits among the files, in path order.
        backlog.invalid.extend(self.unlistable.iter().cloned());
        backlog.invalid.sort_by(|a, b| {
            a.path
                .as_os_str()
                .as_encoded_bytes()
                .cmp(b.path.as_os_str().as_encoded_bytes())
        });
        backlog
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
