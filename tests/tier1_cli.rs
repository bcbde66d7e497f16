//! End-to-end tests of Tier 1: the real binary on generated repositories, text and JSON
//! output compared with insta snapshots (the clock pinned, the temp root redacted).

mod support;

use support::{Repo, task};

/// A backlog with a bit of everything: priorities, a dependency chain, a failing task, a
/// stalled worker, a stuck task, an invalid file and a README.
fn busy_repo() -> Repo {
    let repo = Repo::new();
    repo.write("warden.toml", "[dispatch]\nmax_workers = 3\n")
        .write("tasks/README.md", "# Tasks\nNot a task.\n")
        .write_aged("tasks/m1/schema.md", task("id: schema\nstatus: done\npriority: p0\ncompleted_at: 2026-06-01T09:00:00Z"), 300)
        .write_aged("tasks/m1/ingest.md", task("id: ingest\ntitle: Build ingest\nstatus: ready\npriority: p0\ndepends_on: [schema]"), 600)
        .write_aged("tasks/m1/dashboard.md", format!("{}# Dashboard UI\n", task("id: dashboard\nstatus: ready\npriority: p1\ndepends_on: [ingest]")), 600)
        .write_aged("tasks/m1/flaky.md", task("id: flaky\ntitle: Fix flaky tests\nstatus: ready\npriority: p1"), 600)
        .write_aged("tasks/m2/old-low.md", task("id: old-low\ntitle: Old low priority\nstatus: ready\npriority: p3"), 900)
        .write_aged("tasks/m2/migrate.md", task("id: migrate\ntitle: Migrate tables\nstatus: in-progress\nstarted_at: 2026-06-01T02:00:00Z"), 600)
        .write_aged("tasks/m2/report.md", task("id: report\ntitle: Reporting\nstatus: in_progress\nstarted_at: 2026-06-01T11:30:00Z"), 30)
        .write_aged("tasks/m2/ghost-dep.md", task("id: ghost-dep\ntitle: Needs a ghost\nstatus: ready\ndepends_on: [nowhere]"), 60)
        .write_aged("tasks/m2/broken.md", task("id: broken\nstatus: in progres"), 20);
    let register = r#"{
  "format_version": 1,
  "jobs": [
    {"job": "j1", "task": "flaky", "attempt": 1, "argv": ["scripts/dispatch", "flaky"],
     "started_at": "2026-06-01T11:00:00Z", "ended_at": "2026-06-01T11:05:00Z",
     "end": {"kind": "exited", "code": 1}, "log_path": "tasks/logs/dispatch-flaky.log"},
    {"job": "j2", "task": "flaky", "attempt": 2, "argv": ["scripts/dispatch", "flaky"],
     "started_at": "2026-06-01T11:10:00Z", "ended_at": "2026-06-01T11:15:00Z",
     "end": {"kind": "signaled", "signal": "SIGKILL"}, "log_path": "tasks/logs/dispatch-flaky.log"},
    {"job": "j3", "task": "flaky", "attempt": 3, "argv": ["scripts/dispatch", "flaky"],
     "started_at": "2026-06-01T11:20:00Z", "ended_at": "2026-06-01T11:25:00Z",
     "end": {"kind": "exited", "code": 3}, "log_path": "tasks/logs/dispatch-flaky.log"},
    {"job": "j4", "task": "report", "attempt": 1, "argv": ["scripts/dispatch", "report"],
     "pane": "%4", "pid": 4242,
     "started_at": "2026-06-01T11:30:00Z", "last_output_at": "2026-06-01T11:45:00Z",
     "log_path": "tasks/logs/dispatch-report.log"}
  ]
}
"#;
    repo.write(".warden/register.json", register);
    repo
}

#[test]
fn heartbeat_text() {
    let repo = busy_repo();
    let run = repo.run(&["heartbeat", "--once", "--no-write"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(repo.redact(&run.stdout));
}

#[test]
fn heartbeat_json() {
    let repo = busy_repo();
    let run = repo.run(&["heartbeat", "--once", "--json", "--no-write"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    // The compatibility surface, checked by name before the whole snapshot is compared.
    assert_eq!(value["format_version"], 1);
    assert_eq!(value["escalation"]["required"], true);
    assert_eq!(
        value["counts"]["escalation_signals"],
        value["escalation"]["signals"]
            .as_array()
            .expect("array")
            .len()
    );
    // flaky failed its three attempts: the retry policy holds it back.
    assert_eq!(value["queue"], serde_json::json!(["ingest", "old-low"]));
    let flaky = value["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["id"] == "flaky")
        .expect("flaky");
    let codes = serde_json::json!(["repeated_failure", "dispatch_failed", "dispatch_gave_up"]);
    assert_eq!(flaky["needs_attention"], codes);
    assert_eq!(flaky["escalation_reasons"], codes);
    insta::assert_snapshot!(repo.redact(&run.stdout));
}

#[test]
fn tasks_and_queue() {
    let repo = busy_repo();
    let all = repo.run(&["tasks"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let queue = repo.run(&["tasks", "--queue"]);
    assert_eq!(queue.code, 0, "{}", queue.stderr);
    insta::assert_snapshot!(format!(
        "$ warden tasks\n{}\n$ warden tasks --queue\n{}",
        all.stdout, queue.stdout
    ));
    let json = repo.run(&["tasks", "--queue", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    let ids: Vec<&str> = value["tasks"]
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["ingest", "old-low"]);
}

#[test]
fn heartbeat_writes_latest_and_timestamped_snapshots_and_prunes() {
    let mut repo = Repo::new();
    repo.write("warden.toml", "[heartbeat]\nkeep_snapshots = 2\n")
        .write("tasks/a.md", task("id: a\nstatus: ready"));
    for minute in 0..4 {
        let now = format!("2026-06-01T12:0{minute}:00Z");
        let run = repo.at(&now).run(&["heartbeat", "--once"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let dir = repo.path("tasks/logs/task_manager");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("snapshot dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "20260601T120200.000Z.snapshot.json",
            "20260601T120300.000Z.snapshot.json",
            "latest.snapshot.json"
        ]
    );
    let latest: serde_json::Value =
        serde_json::from_str(&repo.read("tasks/logs/task_manager/latest.snapshot.json"))
            .expect("json");
    assert_eq!(latest["generated_at"], "2026-06-01T12:03:00Z");
    assert_eq!(latest["valid_until"], "2026-06-01T12:03:30Z");
    assert_eq!(
        repo.read("tasks/logs/task_manager/latest.snapshot.json"),
        repo.read("tasks/logs/task_manager/20260601T120300.000Z.snapshot.json")
    );
}

#[test]
fn status_reads_the_latest_snapshot_and_notes_staleness() {
    let mut repo = busy_repo();
    let none = repo.run(&["status"]);
    assert_eq!(none.code, 6, "{}", none.stderr);
    assert!(none.stderr.contains("no snapshot yet"), "{}", none.stderr);

    let beat = repo.run(&["heartbeat", "--once"]);
    assert_eq!(beat.code, 0, "{}", beat.stderr);
    let status = repo.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert_eq!(
        status.stdout, beat.stdout,
        "status renders the same model as the heartbeat"
    );

    let json = repo.run(&["status", "--json"]);
    assert_eq!(
        json.stdout,
        repo.read("tasks/logs/task_manager/latest.snapshot.json")
    );

    let later = repo.at("2026-06-01T13:00:00Z").run(&["status"]);
    assert!(
        later
            .stdout
            .contains("this snapshot is stale (written 1h ago)"),
        "{}",
        later.stdout
    );
}

#[test]
fn without_signals_there_is_no_signals_section() {
    let repo = Repo::new();
    repo.write_aged("tasks/a.md", task("id: a\nstatus: ready"), 1)
        .write_aged("tasks/b.md", task("id: b\nstatus: done"), 1);
    let run = repo.run(&["heartbeat", "--once", "--no-write"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("Escalation signals"), "{}", run.stdout);
    assert!(run.stdout.contains("escalation off"), "{}", run.stdout);
}

#[test]
fn flags_beat_environment_beats_file() {
    let repo = Repo::new();
    repo.write("warden.toml", "[dispatch]\nmax_workers = 4\n")
        .write_aged("tasks/a.md", task("id: a\nstatus: ready"), 600);
    let slots = |run: support::Run| -> String {
        let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        v["escalation"]["signals"]
            .as_array()
            .expect("signals")
            .iter()
            .find(|s| s["code"] == "worker_idle")
            .expect("worker_idle")["message"]
            .as_str()
            .expect("message")
            .to_owned()
    };
    let base = ["heartbeat", "--once", "--json", "--no-write"];
    assert!(slots(repo.run(&base)).starts_with("4 of 4"));
    assert!(slots(repo.run_env(&base, &[("WARDEN_MAX_WORKERS", "6")])).starts_with("6 of 6"));
    let mut with_flag = base.to_vec();
    with_flag.extend(["--max-workers", "7"]);
    assert!(slots(repo.run_env(&with_flag, &[("WARDEN_MAX_WORKERS", "6")])).starts_with("7 of 7"));

    // Boolean overrides work after the command name and before it, and take `=false`.
    for args in [
        vec![
            "heartbeat",
            "--once",
            "--json",
            "--no-write",
            "--escalation",
        ],
        vec![
            "--escalation",
            "heartbeat",
            "--once",
            "--json",
            "--no-write",
        ],
    ] {
        let run = repo.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        assert_eq!(v["escalation"]["enabled"], true, "{args:?}");
    }
    let mut off = base.to_vec();
    off.push("--escalation=false");
    let run = repo.run_env(&off, &[("TASK_MANAGER_ESCALATION", "1")]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(
        v["escalation"]["enabled"], false,
        "the flag beats the environment"
    );
    let esc = repo.run_env(&base, &[("TASK_MANAGER_ESCALATION", "1")]);
    let v: serde_json::Value = serde_json::from_str(&esc.stdout).expect("json");
    assert_eq!(v["escalation"]["enabled"], true);
    let off = repo.run(&base);
    let v: serde_json::Value = serde_json::from_str(&off.stdout).expect("json");
    assert_eq!(v["escalation"]["enabled"], false);
}

#[test]
fn config_is_found_from_a_subfolder() {
    let repo = Repo::new();
    repo.write("warden.toml", "[paths]\ntasks = \"work\"\n")
        .write("work/a.md", task("id: a\nstatus: ready"));
    std::fs::create_dir_all(repo.path("deep/er")).expect("mkdir");
    let mut cmd = repo.command(&["tasks", "--queue"]);
    cmd.current_dir(repo.path("deep/er"));
    let out = cmd.output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("  1  a "), "{stdout}");
}
