//! Hostile paths (issue 9, items 8 to 10): links planted where warden writes, a socket
//! folder another user made, and who may read what warden writes.
//!
//! Every planted link points at a file or folder outside the repository whose content must
//! be unchanged afterwards. The tests run as root here, so none of them relies on a
//! permission check: a folder "of another user" is one chowned to 65534 (`nobody`).

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::Repo;
use support::live::Live;

const WAIT: Duration = Duration::from_secs(30);

const BASE: &str = "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n";

/// A folder outside the repository, holding `keys` (think `~/.ssh/authorized_keys`).
struct Outside {
    dir: tempfile::TempDir,
}

const KEYS: &str = "ssh-ed25519 AAAA... the only key\n";

impl Outside {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("keys"), KEYS).expect("keys");
        Self { dir }
    }

    fn keys(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Every name in the folder, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("list outside")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// The folder holds `keys` only, with its content unchanged.
    fn assert_untouched(&self, link: &str) {
        assert_eq!(
            std::fs::read_to_string(self.keys()).expect("read keys"),
            KEYS,
            "{link} was a link to {}, and warden wrote through it",
            self.keys().display()
        );
        assert_eq!(
            self.names(),
            ["keys"],
            "{link} was a link to {}, and warden wrote into it",
            self.path().display()
        );
    }
}

fn symlink(target: &Path, link: &Path) {
    if let Some(dir) = link.parent() {
        std::fs::create_dir_all(dir).expect("link's folder");
    }
    std::os::unix::fs::symlink(target, link).expect("plant the link");
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn make_executable(path: &Path) {
    set_mode(path, 0o755);
}

// ---------------------------------------------------------------------------------------
// Item 8: writes never follow links

/// `tasks/logs/dispatch-<task>.log` linked to an outside file: the launch fails before the
/// pane is made (tmux's `cat >> log` would follow the link), so the agent never starts,
/// the job is `not_started` (not an attempt) and the outside file is unchanged.
#[test]
fn a_dispatch_log_linked_outside_is_refused_and_its_target_unchanged() {
    let outside = Outside::new();
    let live = Live::new(BASE);
    live.task("t", "status: ready\nfake: ok 0.2");
    let log = live.repo.path("tasks/logs/dispatch-t.log");
    symlink(&outside.keys(), &log);
    live.up(&[]);
    live.wait_for("the first job of t to end", WAIT, |l| {
        l.jobs("t").first().is_some_and(Live::ended)
    });
    outside.assert_untouched("tasks/logs/dispatch-t.log");
    let job = &live.jobs("t")[0];
    assert_eq!(job["end"]["kind"], "not_started", "{job:#}");
    let reason = job["end"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(&log.display().to_string()) && reason.contains("symbolic link"),
        "the reason names the log and says why: {reason}"
    );
    live.wait_for("launch_failed for t", WAIT, |l| {
        l.signal_codes()
            .contains(&("launch_failed".to_owned(), "t".to_owned()))
    });
    assert!(
        std::fs::symlink_metadata(&log).is_ok_and(|m| m.file_type().is_symlink()),
        "the link is left for the operator to look at"
    );
}

/// `.worktrees/<task>` linked to an outside folder that looks like a worktree: the agent
/// must not be started there.
#[test]
fn a_worktree_linked_outside_is_refused_and_the_agent_never_runs_there() {
    let outside = Outside::new();
    // It looks like a worktree already, so today's check reuses it.
    std::fs::write(outside.path().join(".git"), "gitdir: /nowhere\n").expect(".git");
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/here\"]\nworktree = \"git\"\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.repo
        .write_aged("scripts/here", "#!/bin/sh\necho here > agent-was-here\n", 0);
    make_executable(&live.repo.path("scripts/here"));
    live.task("t", "status: ready");
    // `worktree = "git"` needs a first commit (`warden up` checks it first).
    live.commit_empty();
    symlink(outside.path(), &live.repo.path(".worktrees/t"));
    live.up(&[]);
    live.wait_for("the first job of t to end", WAIT, |l| {
        l.jobs("t").first().is_some_and(Live::ended)
    });
    assert_eq!(
        outside.names(),
        [".git", "keys"],
        ".worktrees/t was a link to {}, and the agent ran there",
        outside.path().display()
    );
    let job = &live.jobs("t")[0];
    assert_eq!(job["end"]["kind"], "not_started", "{job:#}");
    assert!(
        job["end"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(".worktrees/t") && r.contains("symbolic link")),
        "{job:#}"
    );
}

/// A linked `.warden`, `.warden/jobs`, `tasks/logs` or snapshot folder: `warden up` refuses
/// to start, naming the link, and nothing is written through it.
#[test]
fn up_refuses_a_linked_state_jobs_logs_or_snapshot_folder() {
    for rel in [
        ".warden",
        ".warden/jobs",
        "tasks/logs",
        "tasks/logs/task_manager",
    ] {
        let outside = Outside::new();
        let live = Live::new(BASE);
        live.task("t", "status: ready\nfake: ok 0.2");
        let link = live.repo.path(rel);
        symlink(outside.path(), &link);
        let up = live.run(&["up"]);
        assert_ne!(
            up.code,
            0,
            "warden up started although {rel} is a link to {}:\n{}{}",
            outside.path().display(),
            up.stdout,
            up.stderr
        );
        assert!(
            up.stderr.contains(&link.display().to_string()) && up.stderr.contains("symbolic link"),
            "the error names {rel}: {}",
            up.stderr
        );
        assert!(
            !live.server_alive(),
            "{rel}: no tmux server is started for a refused start"
        );
        outside.assert_untouched(rel);
    }
}

/// `warden heartbeat --once` (no supervisor) with the snapshot folder linked outside.
#[test]
fn heartbeat_refuses_a_linked_snapshot_folder() {
    let outside = Outside::new();
    let repo = Repo::new();
    repo.write("tasks/a.md", support::task("id: a\nstatus: ready"));
    symlink(outside.path(), &repo.path("tasks/logs/task_manager"));
    let run = repo.run(&["heartbeat", "--once"]);
    outside.assert_untouched("tasks/logs/task_manager");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("tasks/logs/task_manager") && run.stderr.contains("symbolic link"),
        "{}",
        run.stderr
    );
}

/// `warden init` with `scripts/` linked to an outside folder writes nothing there.
#[test]
fn init_refuses_a_linked_scripts_folder() {
    let outside = Outside::new();
    let repo = Repo::new();
    symlink(outside.path(), &repo.path("scripts"));
    let run = repo.run(&["init"]);
    outside.assert_untouched("scripts");
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("scripts") && run.stderr.contains("symbolic link"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Item 9: the socket folder of a deep repository

/// A state folder deep enough that its sockets move to the fallback folder.
fn deep_state() -> String {
    format!("deep/{}/.warden", "d".repeat(90))
}

/// The jobs of `task` in the register of the deep state folder.
fn deep_jobs(live: &Live, task: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(live.repo.path(&format!("{}/register.json", deep_state())))
        .unwrap_or_default();
    let register: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    register["jobs"]
        .as_array()
        .map(|a| a.iter().filter(|j| j["task"] == task).cloned().collect())
        .unwrap_or_default()
}

/// The fallback socket folder (`WARDEN_SOCKET_DIR` here, `/tmp/warden-<uid>` for real) is
/// used only when it is ours and 0700: one made by someone else first, or opened up to
/// others, is refused by the supervisor and by the client, naming it.
#[test]
fn a_socket_folder_not_ours_or_not_private_is_refused() {
    let base = tempfile::tempdir().expect("tempdir");
    let sockets = base.path().join("warden-sockets");
    let live = Live::new(&format!("{BASE}[paths]\nstate = \"{}\"\n", deep_state()));
    live.task("t", "status: ready\nfake: silent 60");
    let run = |args: &[&str]| {
        support::Run::from(
            live.command(args)
                .env("WARDEN_SOCKET_DIR", &sockets)
                .output()
                .expect("run warden"),
        )
    };
    let shown = sockets.display().to_string();
    // `warden up` refuses the folder, naming it and what is wrong (`needle`), and starts
    // nothing.
    let up_refused = |why: &str, needle: &str| {
        let up = run(&["up"]);
        assert_ne!(
            up.code, 0,
            "warden up used a socket folder of {why}:\n{}{}",
            up.stdout, up.stderr
        );
        assert!(
            up.stderr.contains(&shown) && up.stderr.contains(needle),
            "{}",
            up.stderr
        );
        assert!(!live.server_alive(), "nothing started");
    };

    // Made first by someone, open to everyone.
    std::fs::create_dir(&sockets).expect("mkdir");
    set_mode(&sockets, 0o777);
    up_refused("mode 0777", "0777");

    // Private, but another user's.
    if is_root() {
        set_mode(&sockets, 0o700);
        std::os::unix::fs::chown(&sockets, Some(65534), Some(65534)).expect("chown");
        up_refused("uid 65534", "65534");
    }

    // Not there: warden makes it, 0700, and uses it.
    std::fs::remove_dir(&sockets).expect("rmdir");
    let up = run(&["up"]);
    assert_eq!(up.code, 0, "{}{}", up.stdout, up.stderr);
    assert_eq!(mode(&sockets), 0o700, "warden made its socket folder 0700");
    live.wait_for("t to have a worker", WAIT, |l| {
        deep_jobs(l, "t").first().is_some_and(|j| j["pid"].is_u64())
    });

    // Opened up while the supervisor runs: the client no longer talks through it.
    set_mode(&sockets, 0o777);
    let kill = run(&["kill", "t"]);
    set_mode(&sockets, 0o700);
    assert_ne!(
        kill.code, 0,
        "warden kill talked through a socket folder of mode 0777:\n{}{}",
        kill.stdout, kill.stderr
    );
    assert!(kill.stderr.contains(&shown), "{}", kill.stderr);
    assert_ne!(
        deep_jobs(&live, "t")[0]["killed"],
        true,
        "the request never reached the supervisor"
    );
    let down = run(&["down", "--kill-workers", "--timeout", "2s"]);
    assert_eq!(down.code, 0, "{}{}", down.stdout, down.stderr);
}

// ---------------------------------------------------------------------------------------
// Item 10: who may read what warden writes

/// After a dispatch: the state folder and every folder warden made are 0700; the
/// register, the job records, the lock, the dispatch log and the snapshots are 0600.
#[test]
fn state_logs_and_snapshots_are_private_after_a_dispatch() {
    let live = Live::new(BASE);
    live.task("t", "status: ready\nfake: ok 0.2");
    live.up(&[]);
    live.wait_for("the first job of t to end", WAIT, |l| {
        l.jobs("t").first().is_some_and(Live::ended)
    });
    live.wait_for("a snapshot", WAIT, |l| !l.snapshot().is_null());
    let root = live.repo.root();
    let mut want: Vec<(PathBuf, u32)> = vec![
        (root.join(".warden"), 0o700),
        (root.join(".warden/jobs"), 0o700),
        (root.join(".warden/register.json"), 0o600),
        (root.join(".warden/register.json.bak"), 0o600),
        (root.join(".warden/supervisor.lock"), 0o600),
        (root.join(".warden/layout"), 0o600),
        (root.join(".warden/warden.sock"), 0o600),
        (root.join(".warden/reports.sock"), 0o600),
        (root.join("tasks/logs"), 0o700),
        (root.join("tasks/logs/dispatch-t.log"), 0o600),
        (root.join("tasks/logs/task_manager"), 0o700),
    ];
    for dir in [".warden/jobs", "tasks/logs/task_manager"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("list") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                want.push((path, 0o600));
            }
        }
    }
    assert!(
        want.iter()
            .any(|(p, _)| p.ends_with("latest.snapshot.json")),
        "a snapshot was written"
    );
    let wrong: Vec<String> = want
        .iter()
        .filter(|(p, m)| mode(p) != *m)
        .map(|(p, m)| {
            format!(
                "{}: {:04o}, want {m:04o}",
                p.strip_prefix(root).unwrap_or(p).display(),
                mode(p)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "modes:\n{}", wrong.join("\n"));
}
