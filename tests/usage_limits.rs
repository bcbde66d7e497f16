//! An agent that hits its usage limit: warden records the reset time, holds new jobs of that
//! agent until then (a hold in `tasks`, `agent_rate_limited`), and with
//! `resume_after_limit` types `continue` at the reset, confirmed by the prompt submission
//! that follows, or `dispatch_unconfirmed`. Real tmux on a private server; the fake agent
//! reports the limit with its reset time as Claude Code does.

mod support;

use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(40);

fn config() -> String {
    "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{task}\"]\nagent = \"claude\"\nmax_workers = 2\nresume_after_limit = true\n\
     [heartbeat]\ninterval = \"1s\"\n[thresholds]\nconfirm_within = \"3s\"\n"
        .to_owned()
}

fn agent(live: &Live, task: &str) -> serde_json::Value {
    live.snapshot()["workers"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["task"] == task).cloned())
        .map(|w| w["agent"].clone())
        .unwrap_or_default()
}

fn task_hold(live: &Live, task: &str) -> String {
    live.snapshot()["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["id"] == task).cloned())
        .and_then(|t| t["hold"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn has(live: &Live, code: &str) -> bool {
    live.signal_codes().iter().any(|(c, _)| c == code)
}

#[test]
fn a_usage_limit_holds_new_jobs_until_its_reset_then_the_agent_is_resumed() {
    let live = Live::new(&config());
    live.task(
        "limited",
        "status: ready\nfake: hooks start prompt ratelimit:5 waitloop",
    );
    live.up(&[]);
    live.wait_for("the agent rate-limited with its reset time", WAIT, |l| {
        let a = agent(l, "limited");
        a["state"] == "rate_limited" && l.jobs("limited").len() == 1
    });
    // Work that becomes ready meanwhile waits for the reset.
    live.task("next", "status: ready\nfake: ok 0");
    live.wait_for("the hold and the signal", WAIT, |l| {
        task_hold(l, "next").contains("usage limit: claude until") && has(l, "agent_rate_limited")
    });
    assert!(live.jobs("next").is_empty(), "dispatched during the limit");
    // At the reset: `continue`, taken by the agent (a prompt submission), and the hold ends.
    live.wait_for("the agent resumed", WAIT, |l| {
        let a = agent(l, "limited");
        a["state"] == "idle" && a["last_event"] == "Stop"
    });
    let record = std::fs::read_to_string(live.repo.path(&format!(
        ".warden/jobs/{}.agent.json",
        live.jobs("limited")[0]["job"].as_str().expect("job")
    )))
    .expect("record");
    let record: serde_json::Value = serde_json::from_str(&record).expect("json");
    assert_eq!(
        record["prompts"], 2,
        "the typed continue was submitted: {record:#}"
    );
    live.wait_for("the waiting task dispatched", WAIT, |l| {
        !l.jobs("next").is_empty()
    });
    assert!(
        !has(&live, "dispatch_unconfirmed"),
        "{:?}",
        live.signal_codes()
    );
    let log = live.run(&["logs", "limited"]).stdout;
    assert!(
        log.contains("got: continue") || log.contains("continue"),
        "{log}"
    );
}

#[test]
fn a_continue_nobody_takes_is_dispatch_unconfirmed() {
    let live = Live::new(&config());
    // `hang`: the agent never reads what is typed.
    live.task(
        "deaf",
        "status: ready\nfake: hooks start prompt ratelimit:2 hang",
    );
    live.up(&[]);
    live.wait_for("dispatch_unconfirmed after the typed continue", WAIT, |l| {
        has(l, "dispatch_unconfirmed")
    });
    let screen = String::from_utf8_lossy(
        &live
            .tmux(&["capture-pane", "-p", "-J", "-t", "w-deaf"])
            .stdout,
    )
    .into_owned();
    assert!(screen.contains("continue"), "{screen}");
}
