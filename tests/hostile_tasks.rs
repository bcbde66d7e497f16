//! Hostile task folders: files that are not regular files, folders that cannot be listed,
//! ids that `check` must refuse because dispatch could not run them, and ids that must
//! not share a worktree. Every run that could hang has a deadline.

mod support;

use std::time::Duration;

use support::live::{Live, output_within};
use support::{Repo, Run, plant_non_regular, task, unlistable_folder};

const WAIT: Duration = Duration::from_secs(30);

/// `warden ARGS` in `repo`, killed after 20 s: a hang fails the test instead of blocking it.
fn run_bounded(repo: &Repo, args: &[&str]) -> Run {
    let (out, took) = output_within(repo.command(args), Duration::from_secs(20));
    Run::from(out.unwrap_or_else(|| panic!("warden {args:?} hung; killed after {took:?}")))
}

/// `(path, line, message)` of each `error[task_invalid]` line `warden check` printed.
fn check_problems(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("error[task_invalid]: "))
        .map(str::to_owned)
        .collect()
}

/// A FIFO, a symlink loop, a link to a device and a link to a `/proc` file, beside a good
/// task and a link to a good task file.
fn repo_with_non_regular_files() -> Repo {
    let repo = Repo::new();
    repo.write("tasks/good.md", task("id: good\nstatus: ready"))
        .write("shared/linked.md", task("id: linked\nstatus: ready"));
    let tasks = repo.path("tasks");
    plant_non_regular(&tasks);
    std::os::unix::fs::symlink("/proc/self/status", tasks.join("status.md")).expect("proc");
    std::os::unix::fs::symlink("../shared/linked.md", tasks.join("linked.md")).expect("link");
    repo
}

#[test]
fn check_reports_fifos_loops_devices_and_proc_files_in_bounded_time() {
    let repo = repo_with_non_regular_files();
    let run = run_bounded(&repo, &["check"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let problems = check_problems(&run);
    let mut paths: Vec<&str> = problems
        .iter()
        .filter_map(|p| p.split_once(": ").map(|(path, _)| path))
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "tasks/loop.md",
            "tasks/status.md",
            "tasks/x.md",
            "tasks/zero.md"
        ],
        "{}",
        run.stdout
    );
    for p in &problems {
        assert!(p.contains(": not a regular file"), "{p}");
    }
    assert!(
        run.stdout.contains("2 tasks: 4 problems"),
        "the other tasks are read: {}",
        run.stdout
    );
    // The same verdicts from the other read-only commands, in bounded time.
    let tasks = run_bounded(&repo, &["tasks", "--json"]);
    assert_eq!(tasks.code, 0, "{}", tasks.stderr);
    let beat = run_bounded(&repo, &["heartbeat", "--once", "--json", "--no-write"]);
    assert_eq!(beat.code, 0, "{}", beat.stderr);
    let value: serde_json::Value = serde_json::from_str(&beat.stdout).expect("json");
    assert_eq!(value["counts"]["invalid"], 4, "{}", beat.stdout);
}

#[test]
fn an_unlistable_folder_is_one_problem_and_hides_nothing_else() {
    let repo = Repo::new();
    repo.write("tasks/a.md", task("id: a\nstatus: ready"))
        .write("tasks/m1/b.md", task("id: b\nstatus: ready"));
    let bad = unlistable_folder(&repo.path("tasks/m1"));
    let rel = bad
        .strip_prefix(repo.root())
        .expect("under the root")
        .to_string_lossy()
        .into_owned();

    let check = run_bounded(&repo, &["check"]);
    assert_eq!(check.code, 3, "{}\n{}", check.stdout, check.stderr);
    let problems = check_problems(&check);
    assert_eq!(problems.len(), 1, "{}", check.stdout);
    assert!(
        problems[0].starts_with(&format!("{rel}: cannot be listed: ")),
        "{}",
        problems[0]
    );
    assert!(
        check.stdout.contains("2 tasks: 1 problem"),
        "{}",
        check.stdout
    );

    let tasks = run_bounded(&repo, &["tasks", "--queue", "--json"]);
    assert_eq!(tasks.code, 0, "{}", tasks.stderr);
    let value: serde_json::Value = serde_json::from_str(&tasks.stdout).expect("json");
    let ids: Vec<&str> = value["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, ["a", "b"]);

    let beat = run_bounded(&repo, &["heartbeat", "--once", "--json", "--no-write"]);
    assert_eq!(beat.code, 0, "{}", beat.stderr);
    let value: serde_json::Value = serde_json::from_str(&beat.stdout).expect("json");
    let signal = value["escalation"]["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .find(|s| s["code"] == "task_invalid")
        .expect("a task_invalid signal for the folder");
    assert_eq!(signal["evidence"]["path"], rel.as_str());
    assert_eq!(signal["subject"]["id"], rel.as_str());
}

#[test]
fn check_refuses_ids_dispatch_could_not_run_with_file_and_line() {
    let repo = Repo::new();
    repo.write("tasks/good.md", task("id: \"semi;\"\nstatus: ready"))
        .write("tasks/nul.md", task("status: ready\nid: \"a\\u0000b\""))
        .write("tasks/esc.md", task("status: ready\nid: \"a\\e[31m\""))
        .write(
            "tasks/long.md",
            task(&format!("status: ready\nid: {}", "x".repeat(9000))),
        )
        .write("tasks/tab\there.md", task("status: ready"));
    let run = run_bounded(&repo, &["check"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let problems = check_problems(&run);
    let find = |prefix: &str| {
        problems
            .iter()
            .find(|p| p.starts_with(prefix))
            .unwrap_or_else(|| panic!("no problem starting {prefix:?} in {problems:?}"))
    };
    assert!(find("tasks/nul.md:3: ").contains("control character"));
    assert!(find("tasks/esc.md:3: ").contains("control character"));
    assert!(find("tasks/long.md:3: ").contains("200-byte limit"));
    // The file name is shown escaped: a tab in a report would break its columns.
    assert!(find("tasks/tab\\there.md: ").contains("file name"));
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(run.stdout.contains("1 task: 4 problems"), "{}", run.stdout);
}

#[test]
fn an_id_ending_in_a_semicolon_dispatches_and_runs() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{task}\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.repo.write_aged(
        "tasks/semi.md",
        "---\nid: \"semi;\"\nstatus: ready\nfake: ok 0.1\n---\n",
        0,
    );
    live.up(&[]);
    live.wait_for("the job to end", WAIT, |l| {
        l.jobs("semi;").first().is_some_and(Live::ended)
    });
    let job = &live.jobs("semi;")[0];
    assert_eq!(job["end"]["kind"], "exited", "{job}");
    assert_eq!(job["end"]["code"], 0, "{job}");
    let log = live.run(&["logs", "semi;"]);
    assert!(log.stdout.contains("argv[2]='semi;'"), "{}", log.stdout);
    assert!(
        log.stdout.contains("finished task 'semi;'"),
        "{}",
        log.stdout
    );
}

#[test]
fn long_ids_sharing_a_beginning_get_their_own_worktree_branch_and_log() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nworktree = \"git\"\nmax_workers = 2\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.commit_empty();
    let ids = [
        format!("{}-one", "a".repeat(80)),
        format!("{}-two", "a".repeat(80)),
    ];
    for (i, id) in ids.iter().enumerate() {
        live.repo.write_aged(
            &format!("tasks/t{i}.md"),
            format!("---\nid: {id}\nstatus: ready\nfake: ok 0.1\n---\n"),
            0,
        );
    }
    live.up(&[]);
    live.wait_for("both jobs to end", WAIT, |l| {
        ids.iter()
            .all(|id| l.jobs(id).first().is_some_and(Live::ended))
    });
    let jobs: Vec<serde_json::Value> = ids.iter().map(|id| live.jobs(id)[0].clone()).collect();
    for job in &jobs {
        assert_eq!(job["end"]["code"], 0, "{job}");
    }
    assert_ne!(jobs[0]["worktree"], jobs[1]["worktree"]);
    assert_ne!(jobs[0]["log_path"], jobs[1]["log_path"]);
    let list = live.git(&["worktree", "list", "--porcelain"]);
    let branches: Vec<&str> = list
        .lines()
        .filter_map(|l| l.strip_prefix("branch refs/heads/task/"))
        .collect();
    assert_eq!(branches.len(), 2, "{list}");
    assert_ne!(branches[0], branches[1]);
    for (id, job) in ids.iter().zip(&jobs) {
        let log = live
            .repo
            .read(job["log_path"].as_str().expect("a log path"));
        assert!(log.contains(&format!("finished task '{id}'")), "{log}");
        let other = ids.iter().find(|o| *o != id).expect("the other id");
        assert!(!log.contains(other.as_str()), "one log per task: {log}");
    }
}

#[test]
fn a_supervisor_over_non_regular_files_keeps_working_and_stops_on_down() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    let tasks = live.repo.path("tasks");
    plant_non_regular(&tasks);
    live.task("ok", "status: ready\nfake: ok 0.1");
    live.up(&[]);
    live.wait_for("the job to end", WAIT, |l| {
        l.jobs("ok").first().is_some_and(Live::ended)
    });
    live.wait_for("a task_invalid signal for each file", WAIT, |l| {
        let codes = l.signal_codes();
        ["tasks/x.md", "tasks/loop.md", "tasks/zero.md"]
            .iter()
            .all(|p| codes.contains(&("task_invalid".to_owned(), (*p).to_owned())))
    });
    let (down, took) = live.run_within(&["down"], Duration::from_secs(20));
    let down = down.unwrap_or_else(|| panic!("warden down hung for {took:?}"));
    assert_eq!(down.code, 0, "{}\n{}", down.stdout, down.stderr);
}
