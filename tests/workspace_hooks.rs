//! The workspace hooks around a job (`[workspace]`): `after_create` once per new worktree (a
//! failure is a failed launch, tried again), `before_run` before each attempt (a failure is
//! that attempt's, and the agent never runs), `after_run` after each attempt whatever its
//! end, and `warden clean` with `before_remove`. Real tmux on a private server, real git.

mod support;

use std::time::Duration;

use support::live::{Live, end_of};

const WAIT: Duration = Duration::from_secs(40);

fn config(workspace: &str) -> String {
    format!(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nworktree = \"git\"\nmax_workers = 2\n\
         backoff_initial = \"1s\"\nbackoff_max = \"1s\"\n\
         [heartbeat]\ninterval = \"1s\"\n[workspace]\n{workspace}\n"
    )
}

fn read(live: &Live, rel: &str) -> String {
    std::fs::read_to_string(live.repo.path(rel)).unwrap_or_default()
}

#[test]
fn after_create_runs_once_per_worktree_and_a_failure_is_not_an_attempt() {
    // Fails until `allow` exists in the repository; counts its runs there.
    let live = Live::new(&config(
        "after_create = [\"sh\", \"-c\", \"echo run >> \\\"$WARDEN_ROOT/after_create.count\\\"; test -f \\\"$WARDEN_ROOT/allow\\\" || exit 3; echo ready > installed.txt\"]",
    ));
    live.commit_empty();
    live.task("t", "status: ready\nfake: exit 1 0.2");
    live.up(&[]);
    live.wait_for("a launch that failed in after_create", WAIT, |l| {
        l.jobs("t")
            .first()
            .is_some_and(|j| end_of(j) == "not_started")
    });
    let first = &live.jobs("t")[0];
    assert!(
        first["end"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("after_create exited with code 3")),
        "{first:#}"
    );
    assert_eq!(first["attempt"], 1);
    std::fs::write(live.repo.path("allow"), "").expect("allow");
    // Tried again; then the agent runs (and fails, so a retry runs in the same worktree).
    live.wait_for("two attempts that ran their agent", WAIT, |l| {
        l.jobs("t").iter().filter(|j| end_of(j) == "exit 1").count() >= 2
    });
    assert_eq!(
        read(&live, ".worktrees/t/installed.txt").trim(),
        "ready",
        "it ran in the worktree"
    );
    // Two failing runs before `allow` at most, then exactly one that succeeded: the retry
    // in the same worktree did not run it again.
    let runs = read(&live, "after_create.count").lines().count();
    let failed_launches = live
        .jobs("t")
        .iter()
        .filter(|j| end_of(j) == "not_started")
        .count();
    assert_eq!(runs, failed_launches + 1, "{:#?}", live.jobs("t"));
}

#[test]
fn before_run_fails_the_attempt_and_after_run_always_runs() {
    let live = Live::new(&config(
        "before_run = [\"sh\", \"-c\", \"echo checking; test -f ok\"]\n\
         after_run = [\"sh\", \"-c\", \"echo \\\"$WARDEN_JOB_END\\\" >> \\\"$WARDEN_ROOT/after_run.log\\\"\"]",
    ));
    live.commit_empty();
    live.task("t", "status: ready\nfake: ok 0");
    live.up(&[]);
    live.wait_for("an attempt failed by before_run", WAIT, |l| {
        l.jobs("t").first().is_some_and(|j| end_of(j) == "exit 1")
    });
    let log = live.run(&["logs", "t"]).stdout;
    assert!(log.contains("[warden] before_run: sh -c"), "{log}");
    assert!(log.contains("checking"), "{log}");
    assert!(log.contains("the agent is not started"), "{log}");
    assert!(!log.contains("[fake-agent]"), "the agent never ran:\n{log}");
    live.wait_for("after_run after the failed attempt", WAIT, |l| {
        read(l, "after_run.log").contains("exit 1")
    });
    // Once the check passes, the agent runs, and after_run hears its end too.
    std::fs::write(live.repo.path(".worktrees/t/ok"), "").expect("ok");
    live.wait_for("an attempt that ran", WAIT, |l| {
        l.jobs("t").iter().any(|j| end_of(j) == "exit 0")
    });
    live.wait_for("after_run after the good attempt", WAIT, |l| {
        read(l, "after_run.log").contains("exit 0")
    });
    // Each attempt has a window of its own: the task, then `#<attempt>`.
    let windows =
        String::from_utf8_lossy(&live.tmux(&["list-windows", "-F", "#{window_name}"]).stdout)
            .into_owned();
    assert!(windows.lines().any(|w| w == "w-t"), "{windows}");
    assert!(windows.lines().any(|w| w == "w-t#2"), "{windows}");
}

#[test]
fn clean_removes_finished_worktrees_after_before_remove_and_keeps_changed_ones() {
    let live = Live::new(&config(""));
    // before_remove writes where it ran into a file of the repository (given as its $0).
    let marker = live.repo.path("removed-from.txt");
    let hook = format!(
        "before_remove = [\"sh\", \"-c\", \"pwd >> \\\"$0\\\"\", \"{}\"]",
        marker.display()
    );
    live.repo.write_aged("warden.toml", config(&hook), 0);
    live.commit_empty();
    live.task("done", "status: ready\nfake: ok 0")
        .task("dirty", "status: ready\nfake: ok 0");
    live.up(&[]);
    live.wait_for("both jobs ended", WAIT, |l| {
        ["done", "dirty"]
            .iter()
            .all(|t| l.jobs(t).first().is_some_and(Live::ended))
    });
    live.task("done", "status: completed")
        .task("dirty", "status: completed");
    std::fs::write(live.repo.path(".worktrees/dirty/wip.txt"), "half done").expect("wip");
    let run = live.run(&["clean"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("removed  .worktrees/done"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("kept     .worktrees/dirty: uncommitted changes"),
        "{}",
        run.stdout
    );
    assert!(!live.repo.path(".worktrees/done").exists());
    assert!(live.repo.path(".worktrees/dirty/wip.txt").exists());
    let ran_in = std::fs::read_to_string(&marker).expect("before_remove ran");
    assert!(ran_in.trim().ends_with(".worktrees/done"), "{ran_in}");
    let forced = live.run(&["clean", "--force"]);
    assert_eq!(forced.code, 0, "{}\n{}", forced.stdout, forced.stderr);
    assert!(
        !live.repo.path(".worktrees/dirty").exists(),
        "{}",
        forced.stdout
    );
}
