//! Issue 9's cases at once, on real tmux: one repository, at a path holding `#(touch PWNED)`,
//! whose tasks folder holds a FIFO, a symlink loop, a link to a device, a folder that cannot
//! be listed, ids `check` must refuse (a NUL, an escape, 9,000 bytes), an id ending in `;`,
//! two long ids that share their first 80 characters (with git worktrees), a title full of
//! terminal escapes, a task whose dispatch log is a link to a file outside, and an agent whose
//! child leaves with `setsid`. Two `warden up`s and a cron pass race to start it, and a
//! SIGHUP brings an overflowing duration. The supervisor runs through all of it: the good
//! tasks run once each, every bad one is a signal naming it, nothing outside the repository
//! changes, nothing runs from the path, the state is private, the reports show no control
//! characters, and `down --kill-workers` stops everything.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::guards::Escaped;
use support::live::{Live, process_alive};
use support::{plant_non_regular, unlistable_folder};

const WAIT: Duration = Duration::from_secs(60);

const CONFIG: &str = "[dispatch]\ncommand = [\"scripts/agent\", \"--\", \"{task}\"]\nworktree = \"git\"\nmax_workers = 8\n[heartbeat]\ninterval = \"1s\"\n";

/// The fake agent, except for task `escapee`: a child in a session of its own that records
/// its pid, then a long wait.
const AGENT: &str = "#!/bin/sh\nif [ \"$WARDEN_TASK\" = escapee ]; then\n  setsid sh -c 'echo $$ > \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec sleep 300' \"$WARDEN_ROOT/escaped.pid\" &\n  exec sleep 300\nfi\nexec \"$WARDEN_ROOT/scripts/fake-agent\" \"$@\"\n";

const KEYS: &str = "ssh-ed25519 AAAA... the only key\n";
const EVIL_TITLE: &str = r#""\e]52;c;cHduZWQ=\a\e[2Jtitle\rover\x9b31m""#;

fn long_ids() -> [String; 2] {
    [
        format!("{}-one", "a".repeat(80)),
        format!("{}-two", "a".repeat(80)),
    ]
}

/// The good tasks: each must run once and exit 0.
fn good_ids() -> Vec<String> {
    let mut ids = vec!["semi;".to_owned(), "titled".to_owned()];
    ids.extend(long_ids());
    ids
}

fn write_task(live: &Live, file: &str, front: &str) {
    live.repo
        .write_aged(&format!("tasks/{file}"), format!("---\n{front}\n---\n"), 0);
}

/// Builds every case; returns the outside folder (with `keys`) that must stay untouched.
fn hostile(live: &Live) -> tempfile::TempDir {
    live.repo.write_aged("scripts/agent", AGENT, 0);
    std::fs::set_permissions(
        live.repo.path("scripts/agent"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    live.commit_empty();
    write_task(
        live,
        "semi.md",
        "id: \"semi;\"\nstatus: ready\nfake: ok 0.1",
    );
    for (i, id) in long_ids().iter().enumerate() {
        write_task(
            live,
            &format!("long-{i}.md"),
            &format!("id: {id}\nstatus: ready\nfake: ok 0.1"),
        );
    }
    write_task(
        live,
        "titled.md",
        &format!("id: titled\ntitle: {EVIL_TITLE}\nstatus: ready\nfake: ok 0.1"),
    );
    write_task(live, "escapee.md", "id: escapee\nstatus: ready");
    write_task(live, "linked.md", "id: linked\nstatus: ready\nfake: ok 0.1");
    write_task(live, "nul.md", "status: ready\nid: \"a\\u0000b\"");
    write_task(live, "esc.md", "status: ready\nid: \"a\\e[31m\"");
    write_task(
        live,
        "huge.md",
        &format!("status: ready\nid: {}", "x".repeat(9000)),
    );
    let tasks = live.repo.path("tasks");
    plant_non_regular(&tasks);
    std::fs::create_dir_all(tasks.join("deep")).expect("deep");
    unlistable_folder(&tasks.join("deep"));
    let outside = tempfile::tempdir().expect("outside");
    std::fs::write(outside.path().join("keys"), KEYS).expect("keys");
    std::fs::create_dir_all(tasks.join("logs")).expect("logs");
    std::os::unix::fs::symlink(
        outside.path().join("keys"),
        tasks.join("logs/dispatch-linked.log"),
    )
    .expect("link the log");
    outside
}

/// Two `up`s and a cron pass at once: all exit 0 in one line, and one of them started it.
fn race_to_start(live: &Live) {
    let spawn = |args: &[&str]| -> Child {
        live.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn warden")
    };
    let children = vec![
        spawn(&["up"]),
        spawn(&["heartbeat", "--once", "--dispatch-ready"]),
        spawn(&["up"]),
    ];
    let start = Instant::now();
    let mut outs = Vec::new();
    for mut child in children {
        while child.try_wait().expect("try_wait").is_none() {
            if start.elapsed() > WAIT {
                let _ = child.kill();
                panic!("a starting command hung for {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        outs.push(child.wait_with_output().expect("output"));
    }
    let shown: Vec<String> = outs
        .iter()
        .map(|o| {
            format!(
                "{:?} {} {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .collect();
    for o in &outs {
        assert_eq!(o.status.code(), Some(0), "{shown:#?}");
    }
    let ups = [&outs[0], &outs[2]];
    assert_eq!(
        ups.iter()
            .filter(|o| String::from_utf8_lossy(&o.stdout).starts_with("warden is up"))
            .count(),
        1,
        "one `up` started the supervisor: {shown:#?}"
    );
}

/// No control character but the newlines that end lines.
fn assert_safe(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && c.is_control())
        .collect();
    assert!(bad.is_empty(), "{what} printed {bad:?}:\n{text:?}");
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[test]
fn a_hostile_repository_is_supervised_safely_from_up_to_down() {
    let live = Live::in_folder("p#(touch PWNED)q", CONFIG);
    let outside = hostile(&live);
    race_to_start(&live);

    // The good tasks run once each and exit 0; the agent whose child escapes runs.
    live.wait_for("every good task to end", WAIT, |l| {
        good_ids()
            .iter()
            .all(|id| l.jobs(id).first().is_some_and(Live::ended))
    });
    for id in good_ids() {
        let jobs = live.jobs(&id);
        assert_eq!(jobs.len(), 1, "{id:?} ran once: {jobs:#?}");
        assert_eq!(jobs[0]["end"]["kind"], "exited", "{id:?}: {:#}", jobs[0]);
        assert_eq!(jobs[0]["end"]["code"], 0, "{id:?}: {:#}", jobs[0]);
    }
    let long: Vec<serde_json::Value> = long_ids()
        .iter()
        .map(|id| live.jobs(id)[0].clone())
        .collect();
    assert_ne!(
        long[0]["worktree"], long[1]["worktree"],
        "one worktree each"
    );
    assert_ne!(long[0]["log_path"], long[1]["log_path"], "one log each");
    let escaped_pid = live.repo.path("escaped.pid");
    live.wait_for("the escaped child to record its pid", WAIT, |_| {
        read_pid(&escaped_pid).is_some_and(process_alive)
    });
    let escaped = Escaped {
        pid: read_pid(&escaped_pid).expect("pid"),
    };

    // The linked log fails its launch: the agent never ran, and the outside file is as it was.
    live.wait_for("the linked task's launch to fail", WAIT, |l| {
        l.jobs("linked").first().is_some_and(Live::ended)
    });
    assert_eq!(live.jobs("linked")[0]["end"]["kind"], "not_started");
    assert_eq!(
        std::fs::read_to_string(outside.path().join("keys")).expect("keys"),
        KEYS,
        "warden wrote through the linked log"
    );

    // Every bad file or folder is one task_invalid signal naming it; a task written now is
    // still seen and run.
    live.task("late", "status: ready\nfake: ok 0.1");
    live.wait_for("the late task to run", WAIT, |l| {
        l.jobs("late").first().is_some_and(Live::ended)
    });
    let codes = live.signal_codes();
    for path in [
        "tasks/nul.md",
        "tasks/esc.md",
        "tasks/huge.md",
        "tasks/x.md",
        "tasks/loop.md",
        "tasks/zero.md",
    ] {
        assert!(
            codes.contains(&("task_invalid".to_owned(), path.to_owned())),
            "{path}: {codes:?}"
        );
    }
    assert!(
        codes
            .iter()
            .any(|(c, id)| c == "task_invalid" && id.starts_with("tasks/deep/ddd")),
        "the unlistable folder: {codes:?}"
    );
    assert!(
        codes.contains(&("launch_failed".to_owned(), "linked".to_owned())),
        "{codes:?}"
    );

    // Reports show no control characters, and the state is private.
    for args in [&["status"][..], &["tasks"], &["check"]] {
        let run = live.run(args);
        assert_safe(&format!("warden {args:?}"), &run.stdout);
        assert_safe(&format!("warden {args:?} (stderr)"), &run.stderr);
    }
    assert_eq!(live.run(&["check"]).code, 3);
    assert_eq!(mode(&live.repo.path(".warden")), 0o700);
    assert_eq!(mode(&live.repo.path(".warden/register.json")), 0o600);
    let log = live.jobs("titled")[0]["log_path"]
        .as_str()
        .expect("log")
        .to_owned();
    assert_eq!(mode(&live.repo.path(&log)), 0o600);

    // An overflowing duration on SIGHUP: refused, the supervisor keeps going.
    let pid = live.supervisor_pid().expect("supervisor pid");
    live.repo.write_aged(
        "warden.toml",
        CONFIG.replace("interval = \"1s\"", "interval = \"106751991167300d\""),
        0,
    );
    kill(Pid::from_raw(pid), Signal::SIGHUP).expect("SIGHUP");
    let seen = live.snapshot()["generated_at"].clone();
    live.wait_for("a heartbeat after the reload", WAIT, |l| {
        l.snapshot()["generated_at"] != seen
    });
    assert!(process_alive(pid), "the supervisor died of the reload");
    live.repo.write_aged("warden.toml", CONFIG, 0);

    // Nothing ran from the path: no PWNED in the repository, its temp folder or the cwd.
    for dir in [live.repo.temp(), live.repo.root(), Path::new(".")] {
        assert!(
            !dir.join("PWNED").exists(),
            "tmux ran `touch PWNED` in {}",
            dir.display()
        );
    }

    // `down --kill-workers` stops the escaped child too.
    let (down, took) = live.run_within(
        &["down", "--kill-workers", "--timeout", "2s"],
        Duration::from_secs(30),
    );
    let down = down.unwrap_or_else(|| panic!("`warden down --kill-workers` hung for {took:?}"));
    assert_eq!(down.code, 0, "{}{}", down.stdout, down.stderr);
    live.wait_for("the escaped child to be gone", WAIT, |_| {
        !process_alive(escaped.pid)
    });
}
