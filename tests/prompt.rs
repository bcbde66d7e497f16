//! A job's prompt end to end, on real tmux (a private server per test): rendered into
//! `.warden/jobs/<job>.prompt.md` before the agent starts, and on a retry carrying how the
//! previous attempt ended and the end of its output.

mod support;

use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn a_retry_prompt_carries_the_previous_end_and_output() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"--\", \"{prompt_file}\"]\nmax_workers = 1\nbackoff_initial = \"0\"\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.repo.write(
        "tasks/flaky.md",
        "---\nid: flaky\ntitle: Fix the flaky test\nstatus: ready\nfake: exit 1 0.1\n---\nThe body of the task: make it pass.\n",
    );
    live.up(&[]);
    live.wait_for("two attempts to end", WAIT, |l| {
        let jobs = l.jobs("flaky");
        jobs.len() >= 2 && jobs.iter().take(2).all(Live::ended)
    });
    let jobs = live.jobs("flaky");
    let job = |i: usize| jobs[i]["job"].as_str().expect("job id").to_owned();
    let (first, second) = (job(0), job(1));
    let read = |job: &str| live.repo.read(&format!(".warden/jobs/{job}.prompt.md"));

    let one = read(&first);
    assert!(one.contains("task flaky: Fix the flaky test"), "{one}");
    assert!(one.contains("tasks/flaky.md"), "{one}");
    assert!(one.contains("The body of the task: make it pass."), "{one}");
    assert!(!one.contains("previous attempt"), "{one}");
    assert!(
        !one.contains("fake:"),
        "the front matter is not the body: {one}"
    );

    let two = read(&second);
    assert!(two.contains("This is attempt 2"), "{two}");
    assert!(
        two.contains(&format!("The previous attempt ({first}) ended: exit 1.")),
        "{two}"
    );
    // The tail of the first attempt's output, from the task's log.
    assert!(
        two.contains("giving up on task 'flaky' with exit code 1"),
        "{two}"
    );
    assert!(
        two.contains(&format!("[warden] job {first} exit 1")),
        "{two}"
    );
    // The agent got the file's path as its argument (the fake agent prints it).
    let log = live.repo.read("tasks/logs/dispatch-flaky.log");
    assert!(
        log.contains(&format!(".warden/jobs/{second}.prompt.md")),
        "{log}"
    );
    // Nothing of the second attempt's own output is in its prompt: it was written first.
    assert!(!two.contains(&format!("[warden] job {second}")), "{two}");
}

#[test]
fn a_prompt_argument_too_long_for_tmux_fails_the_launch_not_the_attempt() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\", \"ok\", \"0\", \"--\", \"{prompt}\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.repo.write(
        "tasks/short.md",
        "---\nid: short\nstatus: ready\n---\nA short body.\n",
    );
    live.repo.write(
        "tasks/long.md",
        format!(
            "---\nid: long\nstatus: ready\n---\n{}\n",
            "a long line of the task\n".repeat(800)
        ),
    );
    live.up(&[]);
    live.wait_for("both first jobs to end", WAIT, |l| {
        ["short", "long"]
            .iter()
            .all(|t| l.jobs(t).first().is_some_and(Live::ended))
    });
    let long = &live.jobs("long")[0];
    assert_eq!(long["end"]["kind"], "not_started", "{long}");
    let reason = long["end"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("{prompt_file}"), "{reason}");
    // The short prompt reached its agent as one argument.
    let short = &live.jobs("short")[0];
    assert_eq!(short["end"]["kind"], "exited", "{short}");
    let log = live.repo.read("tasks/logs/dispatch-short.log");
    assert!(
        log.contains("argv[4]='You are working on task short"),
        "{log}"
    );
}
