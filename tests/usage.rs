//! What agents spend: tokens from the transcript the fake agent writes (as Claude Code
//! does, each response on several lines), or the result object `claude -p` prints, priced
//! by `[budget.prices]`, per job, per task and per hour, kept across a restart; and budgets
//! that stop dispatch, never a running agent. Real tmux on a private server.

mod support;

use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(40);

fn config(budget: &str) -> String {
    format!(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{{task}}\"]\nagent = \"claude\"\nmax_workers = 3\n\
         backoff_initial = \"1s\"\nbackoff_max = \"1s\"\n\
         [heartbeat]\ninterval = \"1s\"\n[thresholds]\nconfirm_within = \"5m\"\n\
         [budget]\n{budget}\n\
         [budget.prices]\n\"claude-sonnet-4\" = {{ input = 3.0, output = 15.0, cache_read = 0.3, cache_creation = 3.75 }}\n"
    )
}

fn task_usage(live: &Live, task: &str) -> serde_json::Value {
    live.snapshot()["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["id"] == task).cloned())
        .map(|t| t["usage"].clone())
        .unwrap_or_default()
}

fn has(live: &Live, code: &str, subject: &str) -> bool {
    live.signal_codes()
        .contains(&(code.to_owned(), subject.to_owned()))
}

#[test]
fn usage_is_counted_per_job_task_and_hour_and_survives_a_restart() {
    let live = Live::new(&config(""));
    // Two responses (each written as two transcript lines with the same ids) and a cache.
    live.task(
        "a",
        "status: ready\nfake: hooks start prompt usage:1000:200 usage:500:100:4000 stop",
    )
    // `claude -p --output-format json`: its result object, with the agent's own USD.
    .task("b", "status: ready\nfake: result 100 50 0.0123");
    live.up(&[]);
    live.wait_for("both tasks' usage", WAIT, |l| {
        task_usage(l, "a")["tokens"]["input"] == 1500 && !task_usage(l, "b").is_null()
    });
    let a = task_usage(&live, "a");
    assert_eq!(a["tokens"]["output"], 300, "{a:#}");
    assert_eq!(a["tokens"]["cache_read"], 4000, "{a:#}");
    // (1500 x 3 + 300 x 15 + 4000 x 0.3) / 1e6
    let usd = a["usd"].as_f64().expect("priced");
    assert!((usd - 0.0102).abs() < 1e-9, "{a:#}");
    let b = task_usage(&live, "b");
    assert_eq!(b["usd"].as_f64(), Some(0.0123), "{b:#}");
    assert_eq!(b["tokens"]["input"], 100, "{b:#}");
    let hour = &live.snapshot()["usage"]["hour"];
    assert_eq!(hour["tokens"]["input"], 1600, "{hour:#}");
    let status = live.run(&["status"]).stdout;
    assert!(status.contains("this hour"), "{status}");
    let jobs = live.run(&["jobs", "a"]).stdout;
    assert!(jobs.contains("5800 tok $0.0102"), "{jobs}");
    // A new supervisor reads what was counted; nothing is counted twice.
    assert_eq!(live.run(&["down"]).code, 0);
    live.up(&[]);
    live.wait_for("a pass of the new supervisor", WAIT, |l| {
        l.snapshot()["generated_at"] != serde_json::Value::Null && l.supervisor_pid().is_some()
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(task_usage(&live, "a")["tokens"]["input"], 1500);
    assert_eq!(live.snapshot()["usage"]["hour"]["tokens"]["input"], 1600);
}

#[test]
fn budgets_stop_dispatch_and_never_an_agent() {
    let live = Live::new(&config(
        "max_tokens_per_task = 1000\nmax_usd_per_hour = 0.02",
    ));
    // Over its own budget, then failing: not run again until `warden retry`.
    live.task(
        "big",
        "status: ready\nfake: hooks start prompt usage:2000:0 stop exit:1",
    )
    // Spends past the hour's budget and goes on running.
    .task(
        "spender",
        "status: ready\nfake: hooks start prompt usage:10000:1000 stop hang",
    );
    live.up(&[]);
    live.wait_for("both budget signals", WAIT, |l| {
        has(l, "budget_exceeded", "big") && has(l, "budget_exceeded", "")
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        live.jobs("big").len(),
        1,
        "big was dispatched again over its budget"
    );
    // Nothing new starts while the hour's budget is spent; the spender still runs.
    live.task("next", "status: ready\nfake: ok 0");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        live.jobs("next").is_empty(),
        "dispatched over the hour's budget"
    );
    assert!(
        !Live::ended(&live.jobs("spender")[0]),
        "a spending agent was stopped"
    );
}
