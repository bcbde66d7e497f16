//! Runs that cross a line: a task edited to completed, cancelled or blocked under its job
//! (`task_ineligible`, and with `on_ineligible = "stop"` the job stopped), and a job past
//! `max_runtime` (`job_overtime`, and with `on_overtime = "stop"` stopped). Real tmux on a
//! private server per test, polling with deadlines.

mod support;

use std::time::Duration;

use support::live::{Live, end_of};

const WAIT: Duration = Duration::from_secs(40);

fn config(dispatch: &str) -> String {
    format!(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 2\n{dispatch}\n\
         [heartbeat]\ninterval = \"1s\"\n[thresholds]\nmismatch_grace = \"1s\"\n"
    )
}

fn has(live: &Live, code: &str, subject: &str) -> bool {
    live.signal_codes()
        .contains(&(code.to_owned(), subject.to_owned()))
}

#[test]
fn a_task_completed_under_its_job_is_said_by_default_and_stopped_when_asked() {
    let live = Live::new(&config("on_ineligible = \"stop\""));
    let watch = Live::new(&config(""));
    for l in [&live, &watch] {
        l.task("t", "status: ready\nfake: silent 60");
        l.up(&[]);
        l.wait_for("the worker", WAIT, |l| !l.jobs("t").is_empty());
        // A person marks the task done while its agent still runs.
        l.task("t", "status: completed\nfake: silent 60");
    }
    live.wait_for("the job stopped", WAIT, |l| Live::ended(&l.jobs("t")[0]));
    let job = &live.jobs("t")[0];
    assert_eq!(end_of(job), "signal SIGTERM", "{job:#}");
    assert_eq!(job["stopped"], true, "stopped, not failed: {job:#}");
    assert!(
        !live
            .signal_codes()
            .iter()
            .any(|(c, _)| c == "dispatch_interrupted"),
        "{:?}",
        live.signal_codes()
    );
    // Without `stop`, it is only said, and the job runs on.
    let id = watch.jobs("t")[0]["job"].as_str().expect("job").to_owned();
    watch.wait_for("task_ineligible", WAIT, |l| has(l, "task_ineligible", &id));
    assert!(!Live::ended(&watch.jobs("t")[0]));
}

#[test]
fn a_job_past_max_runtime_is_said_and_stopped_when_asked() {
    let live = Live::new(&config("max_runtime = \"2s\"\non_overtime = \"stop\""));
    live.task("long", "status: ready\nfake: silent 60");
    live.up(&[]);
    live.wait_for("job_overtime", WAIT, |l| {
        let jobs = l.jobs("long");
        jobs.first()
            .and_then(|j| j["job"].as_str())
            .is_some_and(|id| has(l, "job_overtime", id) || Live::ended(&jobs[0]))
    });
    live.wait_for("the job stopped", WAIT, |l| Live::ended(&l.jobs("long")[0]));
    let job = &live.jobs("long")[0];
    assert_eq!(end_of(job), "signal SIGTERM", "{job:#}");
    // A failed attempt, so backoff and max_attempts apply: it does not run over and over.
    assert!(job["stopped"].is_null(), "{job:#}");
    live.wait_for("dispatch_interrupted for the stopped attempt", WAIT, |l| {
        has(l, "dispatch_interrupted", "long")
    });
}
