//! The supervisor end to end: real tmux on a private server per test, real processes (the
//! scripted fake agent), polling with deadlines.

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use nix::sys::signal::Signal;
use support::guards::send;
use support::live::{Live, end_of, record_ended};

const WAIT: Duration = Duration::from_secs(30);

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .expect("a timestamp")
}

#[test]
fn exit_codes_and_signals_are_exact() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 8\n[heartbeat]\ninterval = \"1s\"\n",
    );
    let cases = [
        ("ok", "ok 0.2", "exit 0"),
        ("one", "exit 1 0.2", "exit 1"),
        ("three", "exit 3 0.2", "exit 3"),
        ("kill", "signal KILL 0.2", "signal SIGKILL"),
        ("segv", "signal SEGV 0.2", "signal SIGSEGV"),
        ("term", "signal TERM 0.2", "signal SIGTERM"),
    ];
    for (id, behaviour, _) in cases {
        live.task(id, &format!("status: ready\nfake: {behaviour}"));
    }
    live.up(&[]);
    live.wait_for("every job to end", WAIT, |l| {
        cases
            .iter()
            .all(|(id, _, _)| l.jobs(id).first().is_some_and(Live::ended))
    });
    for (id, _, want) in cases {
        let jobs = live.jobs(id);
        assert_eq!(end_of(&jobs[0]), want, "{id}: {:#}", jobs[0]);
    }
    // tmux agrees once it has reaped the panes: the wrapper leaves the way its child did.
    // tmux 3.3a may not reap a pane until its server gets a SIGCHLD, so nudge it as the
    // supervisor does, until every pane shows a status.
    let rows = || {
        String::from_utf8_lossy(
            &live
                .tmux(&[
                    "list-panes",
                    "-s",
                    "-F",
                    "#{@warden_job}\t#{pane_dead_status}\t#{pane_dead_signal}",
                ])
                .stdout,
        )
        .into_owned()
    };
    let server_pid =
        String::from_utf8_lossy(&live.tmux(&["display-message", "-p", "#{pid}"]).stdout)
            .trim()
            .to_owned();
    live.wait_for("tmux to reap every worker pane", WAIT, |_| {
        let _ = std::process::Command::new("kill")
            .args(["-CHLD", &server_pid])
            .status();
        rows()
            .lines()
            .filter(|l| l.starts_with('j'))
            .all(|l| !l.ends_with("\t\t"))
    });
    let panes = rows();
    let mut compared = 0;
    for (id, _, want) in cases {
        let job = live.jobs(id)[0]["job"].as_str().expect("job").to_owned();
        let Some(row) = panes.lines().find(|l| l.starts_with(&format!("{job}\t"))) else {
            continue;
        };
        let fields: Vec<&str> = row.split('\t').collect();
        let tmux_says = match (fields[1], fields[2]) {
            ("", "") => continue,
            (code, "") => format!("exit {code}"),
            (_, "9") => "signal SIGKILL".to_owned(),
            (_, "11") => "signal SIGSEGV".to_owned(),
            (_, "15") => "signal SIGTERM".to_owned(),
            (_, other) => format!("signal {other}"),
        };
        assert_eq!(
            tmux_says, want,
            "{id}: tmux's pane status disagrees with the record"
        );
        compared += 1;
    }
    assert_eq!(compared, cases.len(), "every pane compared:\n{panes}");
}

#[test]
fn many_workers_start_in_one_round() {
    // Enough workers, with long argv, that one tmux command list would be too long.
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{task_file}\", \"{worktree}\", \"{job}\"]\nmax_workers = 24\n[heartbeat]\ninterval = \"1s\"\n",
    );
    let ids: Vec<String> = (0..24)
        .map(|i| format!("task-with-a-rather-long-name-{i:02}"))
        .collect();
    for id in &ids {
        live.task(id, "status: ready\nfake: silent 30");
    }
    live.up(&[]);
    live.wait_for("24 workers in panes", WAIT, |l| {
        ids.iter().all(|t| {
            l.jobs(t)
                .first()
                .is_some_and(|j| j["pane"].is_string() && !Live::ended(j))
        })
    });
}

#[test]
fn git_worktrees_are_made_per_task_and_agree_with_the_register() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nworktree = \"git\"\nbranch_prefix = \"agent/\"\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("wt", "status: ready\nfake: ok 0.2");
    live.commit_empty();
    live.up(&[]);
    live.wait_for("the job to end", WAIT, |l| {
        l.jobs("wt").first().is_some_and(Live::ended)
    });
    let job = &live.jobs("wt")[0];
    assert_eq!(end_of(job), "exit 0");
    assert_eq!(job["worktree"], ".worktrees/wt");
    assert!(live.repo.path(".worktrees/wt/.git").exists());
    assert!(
        live.git(&["worktree", "list", "--porcelain"])
            .contains("branch refs/heads/agent/wt")
    );
    let log = live.run(&["logs", "wt"]);
    assert!(log.stdout.contains("finished task 'wt'"), "{}", log.stdout);
    // The worktree has its register entry: no register_mismatch about it.
    live.wait_for("a fresh snapshot", WAIT, |l| !l.snapshot().is_null());
    assert!(
        !live
            .signal_codes()
            .iter()
            .any(|(code, _)| code == "register_mismatch"),
        "{:?}",
        live.signal_codes()
    );
}

#[test]
fn a_missing_dispatch_command_is_refused_by_up_then_exit_127() {
    for command in ["\"no-such-agent-xyz\"", "\"./no-such-agent\""] {
        let live = Live::new(&format!(
            "[dispatch]\ncommand = [{command}, \"{{task}}\"]\n[heartbeat]\ninterval = \"1s\"\n"
        ));
        live.task("t", "status: ready");
        // doctor's checks refuse first, with doctor's message and fix, starting nothing.
        let refused = live.run(&["up"]);
        assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
        assert!(
            refused.stderr.contains("FAIL  the dispatch command")
                && refused.stderr.contains("fix: ")
                && refused.stderr.contains("--no-preflight"),
            "{}",
            refused.stderr
        );
        assert!(live.supervisor_pid().is_none(), "a supervisor started");
        assert!(
            !live.tmux(&["has-session"]).status.success(),
            "a session started"
        );
        // Skipped, the job runs and fails as the check said it would.
        live.up(&["--no-preflight"]);
        live.wait_for("the job to end", WAIT, |l| {
            l.jobs("t").first().is_some_and(Live::ended)
        });
        assert_eq!(end_of(&live.jobs("t")[0]), "exit 127", "{command}");
        let log = live.run(&["logs", "t"]);
        assert!(log.stdout.contains("failed to start"), "{}", log.stdout);
    }
}

#[test]
fn silent_workers_stall_and_chatty_ones_do_not() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 2\n[heartbeat]\ninterval = \"1s\"\n[thresholds]\nstall_after = \"3s\"\n",
    );
    live.task("quiet", "status: ready\nfake: silent 60")
        .task("chatty", "status: ready\nfake: chatty 60");
    live.up(&[]);
    live.wait_for(
        "a dispatch_stalled signal for the silent worker",
        WAIT,
        |l| {
            let quiet = l.jobs("quiet");
            let Some(job) = quiet
                .first()
                .and_then(|j| j["job"].as_str().map(str::to_owned))
            else {
                return false;
            };
            l.signal_codes()
                .contains(&("dispatch_stalled".to_owned(), job))
        },
    );
    let chatty = live.jobs("chatty")[0]["job"]
        .as_str()
        .expect("job")
        .to_owned();
    assert!(
        !live
            .signal_codes()
            .contains(&("dispatch_stalled".to_owned(), chatty.clone())),
        "{:?}",
        live.signal_codes()
    );
    let snapshot = live.snapshot();
    let workers = snapshot["workers"].as_array().expect("workers");
    let chatty_worker = workers
        .iter()
        .find(|w| w["job"] == chatty.as_str())
        .expect("chatty worker");
    assert!(
        chatty_worker["silent_secs"].as_u64().expect("secs") < 3,
        "{chatty_worker:#}"
    );
    // The log holds what the workers printed.
    let log = live.run(&["logs", "chatty"]);
    assert!(log.stdout.contains("line 1 of chatter"), "{}", log.stdout);
}

#[test]
fn one_worker_at_a_time_in_priority_and_dependency_order() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 1\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("low", "status: ready\npriority: p3\nfake: ok 0.3")
        .task("high", "status: ready\npriority: p0\nfake: complete 0.3")
        .task("mid", "status: ready\npriority: p1\nfake: ok 0.3")
        .task(
            "after",
            "status: ready\npriority: p2\ndepends_on: [high]\nfake: ok 0.3",
        );
    live.up(&[]);
    let order = ["high", "mid", "after", "low"];
    live.wait_for("all four to run", WAIT, |l| {
        order
            .iter()
            .all(|t| l.jobs(t).first().is_some_and(Live::ended))
    });
    let mut jobs: Vec<serde_json::Value> = order.iter().map(|t| live.jobs(t)[0].clone()).collect();
    jobs.sort_by_key(|j| time(&j["started_at"]));
    let started: Vec<&str> = jobs
        .iter()
        .map(|j| j["task"].as_str().expect("task"))
        .collect();
    assert_eq!(started, order);
    for pair in jobs.windows(2) {
        assert!(
            time(&pair[1]["started_at"]) >= time(&pair[0]["ended_at"]),
            "max_workers = 1 overlapped: {pair:#?}"
        );
    }
}

#[test]
fn failures_back_off_then_give_up_until_retry() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_attempts = 3\nbackoff_initial = \"1s\"\nbackoff_max = \"2s\"\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("flaky", "status: ready\nfake: exit 1");
    live.up(&[]);
    live.wait_for("three failed attempts", WAIT, |l| {
        l.jobs("flaky").len() == 3 && l.jobs("flaky").iter().all(Live::ended)
    });
    let jobs = live.jobs("flaky");
    let gap = |a: &serde_json::Value, b: &serde_json::Value| {
        time(&b["started_at"]) - time(&a["ended_at"])
    };
    assert!(
        gap(&jobs[0], &jobs[1]) >= chrono::TimeDelta::seconds(1),
        "first backoff"
    );
    assert!(
        gap(&jobs[1], &jobs[2]) >= chrono::TimeDelta::seconds(2),
        "second backoff doubles"
    );
    live.wait_for("the dispatch_gave_up signal", WAIT, |l| {
        l.signal_codes()
            .contains(&("dispatch_gave_up".to_owned(), "flaky".to_owned()))
    });
    std::thread::sleep(Duration::from_secs(3)); // longer than any backoff: still no fourth attempt
    assert_eq!(live.jobs("flaky").len(), 3);
    let retry = live.run(&["retry", "flaky"]);
    assert_eq!(retry.code, 0, "{}", retry.stderr);
    live.wait_for("a fourth attempt after retry", WAIT, |l| {
        l.jobs("flaky").len() == 4
    });
    assert_eq!(live.jobs("flaky")[3]["attempt"], 4);
}

#[test]
fn a_killed_supervisor_loses_nothing_and_repeats_nothing() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("short", "status: ready\nfake: ok 1.5")
        .task("long", "status: ready\nfake: ok 5");
    live.up(&[]);
    live.wait_for("both workers to start", WAIT, |l| {
        l.jobs("short").len() == 1
            && l.jobs("long").len() == 1
            && l.jobs("short")[0]["pid"].is_u64()
    });
    let pid = live.supervisor_pid().expect("supervisor pid");
    send(pid, Signal::SIGKILL);
    // While no supervisor runs, the short job ends; only its wrapper's record knows how.
    let short_job = live.jobs("short")[0]["job"]
        .as_str()
        .expect("job")
        .to_owned();
    let record = live.repo.path(&format!(".warden/jobs/{short_job}.json"));
    live.wait_for("the short job to end unsupervised", WAIT, |_| {
        record_ended(&record)
    });
    assert!(
        !Live::ended(&live.jobs("short")[0]),
        "nobody recorded it in the register yet"
    );
    live.up(&[]);
    live.wait_for("the exit recorded after restart", WAIT, |l| {
        l.jobs("short").first().is_some_and(Live::ended)
    });
    assert_eq!(end_of(&live.jobs("short")[0]), "exit 0");
    live.wait_for("the long job, re-adopted, to end", WAIT, |l| {
        l.jobs("long").first().is_some_and(Live::ended)
    });
    assert_eq!(end_of(&live.jobs("long")[0]), "exit 0");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(live.jobs("short").len(), 1, "no task dispatched twice");
    assert_eq!(live.jobs("long").len(), 1, "no task dispatched twice");
}

#[test]
fn down_kill_workers_leaves_no_process_behind() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("a", "status: ready\nfake: chatty")
        .task("b", "status: ready\nfake: chatty");
    live.up(&[]);
    live.wait_for("two workers with pids", WAIT, |l| {
        ["a", "b"]
            .iter()
            .all(|t| l.jobs(t).first().is_some_and(|j| j["pid"].is_u64()))
    });
    let panes = live.tmux(&["list-panes", "-s", "-F", "#{pane_pid}"]);
    let mut pids: Vec<i32> = String::from_utf8_lossy(&panes.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    pids.extend(
        ["a", "b"]
            .iter()
            .filter_map(|t| live.jobs(t)[0]["pid"].as_i64())
            .map(|p| i32::try_from(p).expect("pid")),
    );
    let supervisor = live.supervisor_pid().expect("supervisor");
    pids.push(supervisor);
    let down = live.run(&["down", "--kill-workers", "--timeout", "2s"]);
    assert_eq!(down.code, 0, "{}\n{}", down.stdout, down.stderr);
    live.wait_for("every process to be gone", WAIT, |_| {
        pids.iter()
            .all(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
    });
    assert!(!live.server_alive(), "the session's server is gone");
    assert!(!live.socket_file().exists(), "and so is its socket file");
    for t in ["a", "b"] {
        let end = end_of(&live.jobs(t)[0]);
        assert!(
            end.starts_with("signal SIGTERM") || end.starts_with("signal SIGKILL"),
            "{t}: {end}"
        );
    }
}

#[test]
fn hostile_task_ids_pass_through_unchanged() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{task}\", \"{job}\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    let id = "it's a \"$(touch pwned)\" `touch pwned2`; ✓ {job}";
    live.repo.write_aged(
        "tasks/hostile.md",
        format!(
            "---\nid: '{}'\nstatus: ready\nfake: ok 0.1\n---\n",
            id.replace('\'', "''")
        ),
        0,
    );
    live.up(&[]);
    live.wait_for("the job to end", WAIT, |l| {
        l.jobs(id).first().is_some_and(Live::ended)
    });
    let job = &live.jobs(id)[0];
    assert_eq!(end_of(job), "exit 0");
    assert_eq!(
        job["argv"][2], id,
        "the id arrives as one argument, unexpanded"
    );
    let log = live.run(&["logs", id]);
    assert!(
        log.stdout.contains(&format!("argv[2]='{id}'")),
        "{}",
        log.stdout
    );
    assert!(
        !live.repo.path("pwned").exists() && !live.repo.path("pwned2").exists(),
        "nothing ran"
    );
}

#[test]
fn mark_started_on_dispatch_changes_only_two_lines() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    let before = "---\r\nid: m\r\ntitle: Keep me  # exactly\r\nstatus: ready\r\nfake: ok 0.2\r\n---\r\nstatus: the body is not front matter\r\n";
    live.repo.write_aged("tasks/m.md", before, 0);
    live.up(&["--mark-started-on-dispatch"]);
    live.wait_for("the job to end", WAIT, |l| {
        l.jobs("m").first().is_some_and(Live::ended)
    });
    let after = live.repo.read("tasks/m.md");
    let started: Vec<&str> = after
        .split("\r\n")
        .filter(|l| l.starts_with("started_at: "))
        .collect();
    assert_eq!(started.len(), 1, "{after:?}");
    assert!(
        started[0]["started_at: ".len()..]
            .parse::<DateTime<Utc>>()
            .is_ok(),
        "{after:?}"
    );
    // Without the one added line, the file is the old one with only the status changed,
    // byte for byte (CRLF, the comment, the body's own `status:` line all kept).
    let without: Vec<&str> = after
        .split("\r\n")
        .filter(|l| !l.starts_with("started_at: "))
        .collect();
    assert_eq!(
        without.join("\r\n"),
        before.replace("status: ready\r\n", "status: in_progress\r\n")
    );
}

#[test]
fn status_kill_and_dispatch_over_the_control_socket() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("busy", "status: ready\nfake: chatty");
    live.up(&[]);
    live.wait_for("the worker to start", WAIT, |l| {
        l.jobs("busy").first().is_some_and(|j| j["pid"].is_u64())
    });
    let status = live.run(&["status", "--json"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(v["workers"][0]["task"], "busy");

    let kill = live.run(&["kill", "busy", "--timeout", "2s"]);
    assert_eq!(kill.code, 0, "{}", kill.stderr);
    live.wait_for("the killed job to end", WAIT, |l| {
        l.jobs("busy").first().is_some_and(Live::ended)
    });
    assert_eq!(end_of(&live.jobs("busy")[0]), "signal SIGTERM");
    assert_eq!(live.jobs("busy")[0]["killed"], true);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        live.jobs("busy").len(),
        1,
        "a killed task is not redispatched by itself"
    );

    let unknown = live.run(&["dispatch", "no-such-task"]);
    assert_eq!(
        unknown.code, 9,
        "an unknown task has its own code: {}",
        unknown.stderr
    );
    assert!(
        unknown.stderr.contains("no task \"no-such-task\""),
        "{}",
        unknown.stderr
    );
    let idle = live.run(&["kill", "busy"]);
    assert_eq!(idle.code, 12, "a refused request: {}", idle.stderr);
    assert!(
        idle.stderr.contains("busy has no running worker"),
        "{}",
        idle.stderr
    );

    let again = live.run(&["dispatch", "busy"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    live.wait_for("a second job", WAIT, |l| l.jobs("busy").len() == 2);

    let second_up = live.run(&["up"]);
    assert_eq!(second_up.code, 0);
    assert!(
        second_up.stdout.contains("already running"),
        "{}",
        second_up.stdout
    );
    let second_supervisor = live.run(&["supervise"]);
    assert_eq!(second_supervisor.code, 8, "a held lock has its own code");
    assert!(
        second_supervisor
            .stderr
            .contains("another supervisor is running"),
        "{}",
        second_supervisor.stderr
    );
}

#[test]
fn dispatch_without_a_supervisor_is_a_clear_error() {
    let live = Live::new("");
    live.task("t", "status: ready");
    let run = live.run(&["dispatch", "t"]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(
        run.stderr.contains("no supervisor is running"),
        "{}",
        run.stderr
    );
}
