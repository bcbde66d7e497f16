//! What agents are doing, end to end: the scripted fake agent runs its hooks from the
//! settings file warden wrote for its job, `warden hook` saves each event, and the
//! supervisor turns them into states, signals, window marks and notifications. Real tmux on
//! a private server per test, real processes, polling with deadlines.

mod support;

use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(40);

/// A config whose jobs run Claude-style hooks, with thresholds of a few seconds, and a
/// notifier that appends `<state> <task> <message>` to `notified.txt`.
fn config(max_workers: u32) -> String {
    format!(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{{task}}\"]\nagent = \"claude\"\nmax_workers = {max_workers}\n\
         [heartbeat]\ninterval = \"1s\"\n\
         [thresholds]\nstall_after = \"4s\"\nwaiting_input_after = \"2s\"\nagent_idle_after = \"2s\"\nconfirm_within = \"3s\"\nreview_after = \"2s\"\n\
         [escalation]\nnotify_command = [\"sh\", \"-c\", \"printf '%s %s %s\\\\n' \\\"$WARDEN_AGENT_STATE\\\" \\\"$WARDEN_TASK\\\" \\\"$1\\\" >> notified.txt\", \"notify\"]\n"
    )
}

/// The snapshot's worker entry for a task's first job.
fn worker(live: &Live, task: &str) -> serde_json::Value {
    let snapshot = live.snapshot();
    snapshot["workers"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["task"] == task).cloned())
        .unwrap_or(serde_json::Value::Null)
}

fn agent_state(live: &Live, task: &str) -> String {
    worker(live, task)["agent"]["state"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn job_of(live: &Live, task: &str) -> String {
    live.jobs(task)
        .first()
        .and_then(|j| j["job"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn has_signal(live: &Live, code: &str, task: &str) -> bool {
    let job = job_of(live, task);
    live.signal_codes()
        .iter()
        .any(|(c, subject)| c == code && (subject == &job || subject == task))
}

fn live_pid(live: &Live, task: &str) -> bool {
    worker(live, task)["pid"].is_u64()
}

/// `name mark` for each window (the mark is the window's `@warden_state`).
fn window_marks(live: &Live) -> String {
    String::from_utf8_lossy(
        &live
            .tmux(&[
                "list-windows",
                "-a",
                "-F",
                "#{window_name} #{@warden_state}",
            ])
            .stdout,
    )
    .into_owned()
}

fn notified(live: &Live) -> String {
    std::fs::read_to_string(live.repo.path("notified.txt")).unwrap_or_default()
}

#[test]
fn hooks_say_what_each_agent_is_doing() {
    let live = Live::new(&config(6));
    // A spinner over a hung request: output goes on, hook events stopped.
    let spinner = "print:1 sleep:0.3 ".repeat(80);
    live.task(
        "asks",
        "status: ready\nfake: hooks start prompt tool permission hang",
    )
    .task(
        "done",
        "status: ready\nfake: hooks start prompt tool stop hang",
    )
    .task(
        "limited",
        "status: ready\nfake: hooks start prompt ratelimit hang",
    )
    .task(
        "broken",
        "status: ready\nfake: hooks start prompt error:server_error hang",
    )
    .task("mute", "status: ready\nfake: silent 60")
    .task(
        "spins",
        &format!("status: ready\nfake: hooks start prompt tool {spinner}"),
    );
    live.up(&[]);
    live.wait_for("every agent's state", WAIT, |l| {
        // The permission step is a PermissionRequest, then its Notification.
        agent_state(l, "asks") == "waiting_input"
            && worker(l, "asks")["agent"]["last_event"] == "Notification"
            && agent_state(l, "done") == "idle"
            && agent_state(l, "limited") == "rate_limited"
            && agent_state(l, "broken") == "error"
            && agent_state(l, "mute") == "starting"
            && agent_state(l, "spins") == "working"
    });
    let asks = worker(&live, "asks");
    assert_eq!(asks["agent"]["kind"], "claude", "{asks:#}");
    assert_eq!(asks["agent"]["last_event"], "Notification", "{asks:#}");
    assert!(
        asks["agent"]["notification"]
            .as_str()
            .is_some_and(|n| n.contains("permission")),
        "{asks:#}"
    );
    assert!(asks["agent"]["session_id"].is_string(), "{asks:#}");
    // Each signal, once its threshold passes.
    live.wait_for("the agents' signals", WAIT, |l| {
        has_signal(l, "agent_waiting_input", "asks")
            && has_signal(l, "agent_idle", "done")
            && has_signal(l, "agent_error", "broken")
            && has_signal(l, "dispatch_unconfirmed", "mute")
            && has_signal(l, "dispatch_stalled", "spins")
    });
    // Waiting, idle, rate-limited and failed agents are not stalled, though they print
    // nothing; the spinner is, though it prints.
    for quiet in ["asks", "done", "limited", "broken"] {
        assert!(
            !has_signal(&live, "dispatch_stalled", quiet),
            "{quiet}: {:?}",
            live.signal_codes()
        );
    }
    assert!(worker(&live, "spins")["silent_secs"].as_u64().unwrap_or(99) < 4);
    let signals = live.snapshot()["escalation"]["signals"].clone();
    let waiting = signals
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|s| s["code"] == "agent_waiting_input")
                .cloned()
        })
        .expect("agent_waiting_input");
    assert!(
        waiting["message"]
            .as_str()
            .is_some_and(|m| m.contains("Claude needs your permission to use Bash")),
        "{waiting:#}"
    );
    // Each worker's window is marked with its agent's state; its name stays its own.
    let marks = window_marks(&live);
    assert!(marks.contains("w-asks wait\n"), "{marks}");
    assert!(marks.contains("w-limited limit\n"), "{marks}");
    assert!(marks.contains("w-done idle\n"), "{marks}");
    assert!(marks.contains("w-broken error\n"), "{marks}");
    assert!(marks.contains("w-spins run\n"), "{marks}");
    // The notifier heard of each transition a person cares about, with the state and the
    // task in its environment, once each.
    live.wait_for("the notifications", WAIT, |l| {
        let n = notified(l);
        n.contains("waiting_input asks ")
            && n.contains("rate_limited limited ")
            && n.contains("error broken ")
    });
    let n = notified(&live);
    assert_eq!(n.matches("waiting_input asks ").count(), 1, "{n}");
    assert!(
        !n.contains(" done "),
        "an idle agent is no notification: {n}"
    );
    // The text heartbeat shows the states too.
    let status = live.run(&["status"]);
    assert!(status.stdout.contains("waiting"), "{}", status.stdout);
}

#[test]
fn a_clean_exit_with_the_task_undone_awaits_review() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{task}\"]\nmax_workers = 2\n\
         [heartbeat]\ninterval = \"1s\"\n[thresholds]\nreview_after = \"2s\"\n\
         [escalation]\nnotify_command = [\"sh\", \"-c\", \"printf '%s %s\\\\n' \\\"$WARDEN_AGENT_STATE\\\" \\\"$WARDEN_TASK\\\" >> notified.txt\", \"notify\"]\n",
    );
    live.task("finished", "status: ready\nfake: ok 0")
        .task("plain", "status: ready\nfake: silent 60");
    live.up(&[]);
    // A job not expected to report has no agent at all, as before hooks existed.
    live.wait_for("the plain worker", WAIT, |l| !worker(l, "plain").is_null());
    assert!(
        worker(&live, "plain")["agent"].is_null(),
        "{:#}",
        worker(&live, "plain")
    );
    live.wait_for("awaiting_review", WAIT, |l| {
        has_signal(l, "awaiting_review", "finished")
    });
    assert!(
        !has_signal(&live, "register_mismatch", "finished"),
        "{:?}",
        live.signal_codes()
    );
    live.wait_for("the review notification", WAIT, |l| {
        notified(l).contains("awaiting_review finished")
    });
}

#[test]
fn what_hooks_saved_while_the_supervisor_was_down_is_not_lost() {
    let live = Live::new(&config(1));
    // Its hooks start 6 s after the agent does: by then the supervisor is down.
    live.task(
        "later",
        "status: ready\nfake: hooks sleep:6 start prompt tool stop end hang",
    );
    live.up(&[]);
    live.wait_for("the worker's agent running", WAIT, |l| {
        live_pid(l, "later") && agent_state(l, "later") == "starting"
    });
    // The supervisor stops; the worker and its hooks go on.
    let down = live.run(&["down"]);
    assert_eq!(down.code, 0, "{}\n{}", down.stdout, down.stderr);
    let job = job_of(&live, "later");
    let record = live.repo.path(&format!(".warden/jobs/{job}.agent.json"));
    assert!(
        !record.exists(),
        "the hooks ran before the supervisor was down"
    );
    live.wait_until("the hooks to save the session's end", WAIT, |_| {
        std::fs::read_to_string(&record).is_ok_and(|t| t.contains("\"ended\""))
    });
    // A new supervisor reads what was saved meanwhile.
    live.up(&[]);
    live.wait_for("the ended state from the saved record", WAIT, |l| {
        agent_state(l, "later") == "ended"
    });
    let w = worker(&live, "later");
    assert_eq!(w["agent"]["last_event"], "SessionEnd", "{w:#}");
    assert!(
        !has_signal(&live, "dispatch_unconfirmed", "later"),
        "{:?}",
        live.signal_codes()
    );
}
