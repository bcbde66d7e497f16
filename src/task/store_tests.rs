use super::*;
use crate::task::Status;
use crate::task::read::MAX_TASK_FILE_BYTES;
use crate::task::testing::unlistable_folder;

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
    let backlog = store(root).scan().backlog;
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
    let backlog = store(root).scan().backlog;
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
    assert_eq!(store.scan().files_parsed, 2);
    assert_eq!(store.scan().files_parsed, 0);
    // A size change is seen even within the same mtime tick.
    write(root, "tasks/a.md", "---\nid: a\nstatus: in_progress\n---\n");
    let scan = store.scan();
    assert_eq!(scan.files_parsed, 1);
    assert_eq!(scan.backlog.tasks[0].status(), Status::InProgress);
    // Nothing changed: the very same backlog is handed out again.
    let again = store.scan();
    assert!(Arc::ptr_eq(&scan.backlog, &again.backlog));
    std::fs::remove_file(root.join("tasks/b.md")).expect("rm");
    assert_eq!(store.scan().backlog.tasks.len(), 1);
    assert_eq!(store.cache.len(), 1);
}

#[test]
fn quiet_folders_are_not_walked_and_every_kind_of_change_is_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "tasks/a.md", "---\nid: a\n---\n");
    let mut store = store(root);
    store.watch();
    assert!(store.scan().walked);
    let quiet = store.scan();
    assert!(!quiet.walked, "nothing changed, so no walk");
    assert_eq!(quiet.backlog.tasks.len(), 1);
    // A new file in a new subfolder, then a file in that subfolder edited, then a rename.
    write(root, "tasks/new/b.md", "---\nid: b\n---\n");
    let scan = store.scan();
    assert!(scan.walked);
    assert_eq!(scan.backlog.tasks.len(), 2);
    assert!(!store.scan().walked);
    write(root, "tasks/new/b.md", "---\nid: b\nstatus: ready\n---\n");
    let scan = store.scan();
    assert_eq!(scan.backlog.tasks[1].status(), Status::Ready);
    std::fs::rename(root.join("tasks/new/b.md"), root.join("tasks/new/c.md")).expect("mv");
    let scan = store.scan();
    assert!(scan.walked);
    assert_eq!(scan.backlog.tasks[1].path, Path::new("tasks/new/c.md"));
    // An mtime-only change (touch) is seen too.
    std::fs::File::options()
        .write(true)
        .open(root.join("tasks/a.md"))
        .expect("open")
        .set_modified(std::time::SystemTime::UNIX_EPOCH)
        .expect("touch");
    let scan = store.scan();
    assert!(scan.walked);
    assert_eq!(scan.backlog.tasks[0].mtime, DateTime::<Utc>::UNIX_EPOCH);
}

#[test]
fn missing_tasks_folder_is_an_empty_backlog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backlog = store(dir.path()).scan().backlog;
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
    let backlog = store(root).scan().backlog;
    assert!(backlog.tasks.is_empty());
    assert!(backlog.invalid[0].message.contains("limit"));
}

/// The invalid entries of a backlog as (path, message).
fn invalid(backlog: &Backlog) -> Vec<(String, String)> {
    backlog
        .invalid
        .iter()
        .map(|i| (i.path.to_string_lossy().into_owned(), i.message.clone()))
        .collect()
}

#[test]
fn reading_a_fifo_never_blocks() {
    // The walk's stat can say "regular file" and the path be a FIFO by the time it is
    // opened; the read itself must not wait for a writer.
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("x.md");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).expect("mkfifo");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(TaskStore::read_one(&fifo, Path::new("tasks/x.md")));
    });
    let outcome = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("reading a FIFO blocked");
    match outcome {
        Outcome::Invalid(e) => assert!(e.message.contains("not a regular file"), "{e:?}"),
        other => panic!("a FIFO read as {other:?}"),
    }
}

#[test]
fn fifos_devices_loops_and_proc_files_are_invalid_not_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "tasks/a.md", "---\nid: a\nstatus: ready\n---\n");
    let tasks = root.join("tasks");
    nix::unistd::mkfifo(
        &tasks.join("fifo.md"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .expect("mkfifo");
    std::os::unix::fs::symlink("loop.md", tasks.join("loop.md")).expect("loop");
    std::os::unix::fs::symlink("/dev/zero", tasks.join("zero.md")).expect("zero");
    std::os::unix::fs::symlink("/proc/self/status", tasks.join("proc.md")).expect("proc");
    // A link to a regular file is a task like any other.
    write(root, "elsewhere/b.md", "---\nid: b\n---\n");
    std::os::unix::fs::symlink(root.join("elsewhere/b.md"), tasks.join("b.md")).expect("link");
    let mut store = store(root);
    let backlog = store.scan().backlog;
    let ids: Vec<_> = backlog.tasks.iter().map(Task::id).collect();
    assert_eq!(ids, ["a", "b"]);
    let found = invalid(&backlog);
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "tasks/fifo.md",
            "tasks/loop.md",
            "tasks/proc.md",
            "tasks/zero.md"
        ],
        "{found:?}"
    );
    for (path, message) in &found {
        assert!(message.contains("not a regular file"), "{path}: {message}");
    }
    // The cache keeps the verdicts: a second scan reads nothing and says the same.
    let again = store.scan();
    assert_eq!(again.files_parsed, 0);
    assert_eq!(invalid(&again.backlog), found);
}

#[test]
fn an_unlistable_folder_is_invalid_and_everything_else_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "tasks/a.md", "---\nid: a\nstatus: ready\n---\n");
    write(root, "tasks/deep/b.md", "---\nid: b\n---\n");
    let bad = unlistable_folder(&root.join("tasks/deep"));
    assert!(
        std::fs::read_dir(&bad).is_err(),
        "the folder must not be listable"
    );
    let scan = store(root).scan();
    let ids: Vec<_> = scan.backlog.tasks.iter().map(Task::id).collect();
    assert_eq!(ids, ["a", "b"]);
    let found = invalid(&scan.backlog);
    assert_eq!(found.len(), 1, "{found:?}");
    let rel = bad.strip_prefix(root).expect("under root");
    assert_eq!(found[0].0, rel.to_string_lossy());
    assert!(
        found[0].1.starts_with("cannot be listed: "),
        "{}",
        found[0].1
    );
}

#[test]
fn a_change_seen_by_a_failed_walk_is_not_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "tasks/a.md", "---\nid: a\nstatus: ready\n---\n");
    let mut store = store(root);
    store.watch();
    assert_eq!(store.scan().backlog.tasks.len(), 1);
    assert!(!store.scan().walked, "quiet: no walk");
    // A folder that cannot be listed and a new ready task appear together.
    unlistable_folder(&root.join("tasks"));
    write(root, "tasks/new.md", "---\nid: new\nstatus: ready\n---\n");
    let first = store.scan();
    assert!(first.walked);
    let second = store.scan();
    assert!(
        second.walked,
        "a folder that cannot be listed leaves the watcher dirty"
    );
    assert!(
        second.backlog.tasks.iter().any(|t| t.id() == "new"),
        "the new task is invisible"
    );
    assert_eq!(second.backlog.invalid.len(), 1);
}
