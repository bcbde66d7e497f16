//! Tier 2 end to end on private tmux servers: a task that keeps failing brings in a manager
//! (a scripted fake one) with a context pack; one-shot mode records the one-shot's exit code;
//! dry-run decides exactly as live does and spawns nothing.

mod support;

use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(40);

fn config(extra: &str) -> String {
    format!(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nbackoff_initial = \"1s\"\nbackoff_max = \"1s\"\n\
         [heartbeat]\ninterval = \"1s\"\n[escalation]\nenabled = true\nhold = \"1s\"\n{extra}"
    )
}

fn ledger(live: &Live, dry: bool) -> serde_json::Value {
    let name = if dry {
        ".warden/ledger.dry-run.json"
    } else {
        ".warden/ledger.json"
    };
    let text = std::fs::read_to_string(live.repo.path(name)).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

fn actions(live: &Live, dry: bool) -> Vec<serde_json::Value> {
    ledger(live, dry)["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn windows(live: &Live) -> Vec<String> {
    String::from_utf8_lossy(&live.tmux(&["list-windows", "-F", "#{window_name}"]).stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_failing_task_brings_in_a_manager_window_with_its_pack() {
    let live = Live::new(&config(
        "manager_command = [\"scripts/fake-agent\", \"silent\", \"60\", \"--\", \"{prompt_file}\", \"{pack_dir}\"]\n",
    ));
    live.task("flaky", "status: ready\nfake: exit 1 0.1");
    live.up(&[]);
    live.wait_for("a manager window", WAIT, |l| {
        windows(l).iter().any(|w| w == "manager")
    });
    let action = &actions(&live, false)[0];
    assert_eq!(action["mode"], "window");
    let pack = std::path::PathBuf::from(action["pack_dir"].as_str().expect("pack dir"));
    assert!(
        pack.starts_with(live.repo.path("tasks/logs/task_manager/escalations")),
        "{}",
        pack.display()
    );
    let context = std::fs::read_to_string(pack.join("context.md")).expect("context.md");
    assert!(context.contains("repeated_failure/task:flaky"), "{context}");
    assert!(context.contains("warden ack"), "{context}");
    assert!(pack.join("tasks/flaky.md").exists());
    let log = std::fs::read_to_string(pack.join("logs/flaky.log")).expect("log tail");
    assert!(
        log.contains("giving up on task 'flaky' with exit code 1"),
        "{log}"
    );
    // The manager got the pack's path as its argument.
    live.wait_for("the manager to print its argv", WAIT, |l| {
        String::from_utf8_lossy(&l.tmux(&["capture-pane", "-p", "-t", "manager"]).stdout)
            .contains("context.md")
    });
    live.wait_for("the action to be recorded as spawned", WAIT, |l| {
        actions(l, false)[0]["phase"] == "spawned"
    });
    // One manager, never one per heartbeat.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(actions(&live, false).len(), 1, "{:#}", ledger(&live, false));
    assert_eq!(windows(&live).iter().filter(|w| *w == "manager").count(), 1);
    // The snapshot carries the alerts and what is left of the budget.
    let snapshot = live.snapshot();
    assert_eq!(snapshot["escalation"]["budget_left"], 2);
    assert_eq!(snapshot["escalation"]["live_managers"][0], action["id"]);
    let list = live.run(&["escalations"]);
    assert!(list.stdout.contains("spawned"), "{}", list.stdout);
    // Words a person reads, not type names.
    assert!(
        list.stdout.contains("manager e0001 (window) running"),
        "{}",
        list.stdout
    );
    for debug in ["Firing", "Window", "Spawned", "Intent", "Ended"] {
        assert!(!list.stdout.contains(debug), "{debug} in:\n{}", list.stdout);
    }
}

#[test]
fn the_manager_finds_its_pack_and_the_warden_that_brought_it_in() {
    // Issue 9, item 16: the manager runs in the repository, so the pack names its own
    // folder; `warden` (started here by an absolute path) comes first on the manager's PATH.
    let live = Live::new(&config(
        "manager_command = [\"sh\", \"-c\", \"{ command -v warden; printf '%s\\\\n' \\\"$WARDEN_BIN\\\"; } > \\\"$WARDEN_PACK_DIR/which.txt\\\"; sleep 60\"]\n",
    ));
    live.task("flaky", "status: ready\nfake: exit 1 0.1");
    live.up(&[]);
    live.wait_for("the manager to write which.txt", WAIT, |l| {
        actions(l, false)
            .first()
            .and_then(|a| a["pack_dir"].as_str().map(std::path::PathBuf::from))
            .is_some_and(|p| {
                std::fs::read_to_string(p.join("which.txt")).is_ok_and(|t| t.lines().count() == 2)
            })
    });
    let pack = std::path::PathBuf::from(
        actions(&live, false)[0]["pack_dir"]
            .as_str()
            .expect("pack dir")
            .to_owned(),
    );
    let which = std::fs::read_to_string(pack.join("which.txt")).expect("which.txt");
    let bin = env!("CARGO_BIN_EXE_warden");
    assert_eq!(which.lines().collect::<Vec<_>>(), [bin, bin], "{which}");
    let context = std::fs::read_to_string(pack.join("context.md")).expect("context.md");
    assert!(
        context.contains(&format!("This pack is the folder `{}`", pack.display())),
        "{context}"
    );
}

#[test]
fn one_shot_mode_records_the_exit_code() {
    let live = Live::new(&config(
        "mode = \"oneshot\"\noneshot_command = [\"scripts/fake-agent\", \"exit\", \"4\", \"--\", \"{prompt_file}\"]\n",
    ));
    live.task("flaky", "status: ready\nfake: exit 1 0.1");
    live.up(&[]);
    live.wait_for("the one-shot to end", WAIT, |l| {
        actions(l, false)
            .first()
            .is_some_and(|a| a["phase"] == "ended")
    });
    let action = &actions(&live, false)[0];
    assert_eq!(action["mode"], "oneshot");
    assert_eq!(action["exit"], "exit 4", "{action:#}");
    let pack = std::path::PathBuf::from(action["pack_dir"].as_str().expect("pack dir"));
    let output = std::fs::read_to_string(pack.join("output.log")).expect("the one-shot's output");
    assert!(output.contains("giving up on task"), "{output}");
}

#[test]
fn dry_run_decides_like_live_and_spawns_nothing() {
    let fake = "manager_command = [\"scripts/fake-agent\", \"silent\", \"60\"]\n";
    let dry = Live::new(&config(&format!("dry_run = true\n{fake}")));
    let wet = Live::new(&config(fake));
    for l in [&dry, &wet] {
        l.task("flaky", "status: ready\nfake: exit 1 0.1");
        l.up(&[]);
    }
    let decisions = |l: &Live, d: bool| -> Vec<serde_json::Value> {
        ledger(l, d)["decisions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|x| x["decision"]["kind"] == "spawn")
            .map(|x| x["decision"].clone())
            .collect()
    };
    // The intent is saved before the spawn and the decision record right after it: wait for
    // the records themselves.
    wet.wait_for("the live spawn decision", WAIT, |l| {
        !decisions(l, false).is_empty()
    });
    dry.wait_for("the dry-run decision", WAIT, |l| {
        !decisions(l, true).is_empty()
    });
    assert_eq!(
        decisions(&dry, true),
        decisions(&wet, false),
        "the same decision, action id and keys included"
    );
    let outcome = |l: &Live, d: bool| {
        ledger(l, d)["decisions"].as_array().and_then(|a| {
            a.iter()
                .find(|x| x["decision"]["kind"] == "spawn")
                .map(|x| x["outcome"].clone())
        })
    };
    assert_eq!(outcome(&dry, true), Some(serde_json::json!("would_spawn")));
    assert_eq!(outcome(&wet, false), Some(serde_json::json!("spawn")));
    assert!(
        !windows(&dry).iter().any(|w| w == "manager"),
        "dry-run spawned nothing: {:?}",
        windows(&dry)
    );
    assert!(
        !dry.repo.path(".warden/ledger.json").exists(),
        "dry-run never touches the live ledger"
    );
    let pack = dry
        .repo
        .path("tasks/logs/task_manager/escalations/dry-run-e0001/context.md");
    assert!(pack.exists(), "dry-run still renders the pack");
}

#[test]
fn a_supervisor_killed_every_two_seconds_never_exceeds_the_budget() {
    let live = Live::new(&config(
        "budget_per_hour = 3\nmin_spacing = \"1s\"\ncooldown = \"0s\"\nmanager_command = [\"scripts/fake-agent\", \"ok\", \"0.2\"]\n",
    ));
    // Eight tasks that fail until warden gives up on each: a steady stream of new critical
    // alerts, and managers that end at once, so only the budget stands between them and a storm.
    for i in 0..8 {
        live.task(&format!("f{i}"), "status: ready\nfake: exit 1 0.1");
    }
    live.up(&[]);
    let start = std::time::Instant::now();
    let mut kills = 0;
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_secs(2));
        if let Some(pid) = live.supervisor_pid() {
            let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
            if proc_dir.exists() {
                let ok = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status()
                    .expect("kill");
                assert!(ok.success());
                kills += 1;
                // Gone, or a zombie its tmux server has not reaped yet.
                live.wait_for("the killed supervisor to be gone", WAIT, |_| {
                    std::fs::read_to_string(proc_dir.join("stat")).map_or(true, |stat| {
                        stat.rsplit_once(") ")
                            .is_some_and(|(_, rest)| rest.starts_with('Z'))
                    })
                });
            }
        }
        live.up(&[]);
    }
    assert!(kills >= 20, "the supervisor was killed {kills} times");
    live.wait_for("a last pass", WAIT, |l| {
        l.snapshot()["escalation"]["budget_left"].is_u64()
    });
    let l = ledger(&live, false);
    assert!(l.is_object(), "the ledger is readable after every kill");
    let spawned: Vec<&serde_json::Value> = l["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .filter(|d| d["decision"]["kind"] == "spawn")
        .collect();
    let acts = actions(&live, false);
    assert!(!acts.is_empty(), "something escalated: {l:#}");
    // A kill between a spawn's intent and its pane fails that spawn before anything ran,
    // and such a spawn gives its budget back (`spawn_failed`): it is not a manager.
    let never_started = |a: &&serde_json::Value| {
        a["phase"] == "failed"
            && a["error"]
                .as_str()
                .is_some_and(|e| e.contains("before the manager started"))
    };
    let given_back = acts.iter().filter(never_started).count();
    let managers = acts.len() - given_back;
    assert!(
        managers <= 3,
        "never more managers than the budget: {managers} (and {given_back} given back)\n{l:#}"
    );
    assert!(spawned.len() <= 3 + given_back, "{spawned:#?}");
    assert!(l["state"]["spawns"].as_array().expect("spawn log").len() <= 3);
    let mut ids: Vec<&str> = acts.iter().map(|a| a["id"].as_str().expect("id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), acts.len(), "no action recorded twice");
    for a in &acts {
        let phase = a["phase"].as_str().expect("phase");
        assert!(
            ["spawned", "ended", "failed"].contains(&phase),
            "no intent left unsettled: {a:#}"
        );
    }
}

#[test]
fn a_missing_manager_command_is_a_recorded_failure_not_a_crash() {
    let live = Live::new(&config(
        "manager_command = [\"no-such-manager-xyz\", \"{prompt_file}\"]\n",
    ));
    live.task("flaky", "status: ready\nfake: exit 1 0.1");
    live.up(&[]);
    live.wait_for("the failed escalation in the ledger", WAIT, |l| {
        actions(l, false)
            .first()
            .is_some_and(|a| a["phase"] == "failed")
    });
    let action = &actions(&live, false)[0];
    assert!(
        action["error"]
            .as_str()
            .is_some_and(|e| e.contains("could not be started")),
        "{action:#}"
    );
    let pid = live.supervisor_pid().expect("pid");
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the supervisor is still running"
    );
    let list = live.run(&["escalations"]);
    assert!(list.stdout.contains("failed"), "{}", list.stdout);
}

#[test]
fn with_escalation_off_new_signals_are_still_announced_once() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_attempts = 1\n[heartbeat]\ninterval = \"1s\"\n\
         [escalation]\nnotify_command = [\"sh\", \"-c\", \"printf '%s\\\\n' \\\"$0\\\" >> notified.txt\"]\n",
    );
    live.task("broken", "status: ready\nfake: exit 2 0.1");
    live.up(&[]);
    let notified =
        |l: &Live| std::fs::read_to_string(l.repo.path("notified.txt")).unwrap_or_default();
    live.wait_for("the failure announced", WAIT, |l| {
        notified(l).contains("dispatch_failed")
    });
    std::thread::sleep(Duration::from_secs(3));
    let text = notified(&live);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("dispatch_failed"))
            .count(),
        1,
        "announced once:\n{text}"
    );
    assert!(
        !live.repo.path(".warden/ledger.json").exists(),
        "Tier 2 stayed off"
    );
    assert!(!windows(&live).iter().any(|w| w == "manager"));
}
