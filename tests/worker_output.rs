//! A worker's output end to end: `warden logs --follow` on a running job, and a dead pane
//! that stays readable until its screen is saved. Real tmux on a private server per test.

mod support;

use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn logs_follow_prints_new_output() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("talk", "status: ready\nfake: chatty");
    live.up(&[]);
    live.wait_for("the log to exist", WAIT, |l| {
        l.repo.path("tasks/logs/dispatch-talk.log").exists()
    });
    let mut child = live
        .command(&["logs", "talk", "--follow"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("warden logs -f");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + WAIT;
    let mut seen = String::new();
    while !seen.contains("line 40 of chatter") {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                assert!(!line.contains('\u{1b}'), "escapes are stripped: {line:?}");
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(_) => panic!("`warden logs -f` stopped printing; got:\n{seen}"),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn dead_panes_stay_readable_then_their_screen_is_saved() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nkeep_dead_panes = \"2s\"\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("done", "status: ready\nfake: exit 4 0.1");
    live.up(&[]);
    live.wait_for("the job to end", WAIT, |l| {
        l.jobs("done").first().is_some_and(Live::ended)
    });
    let job = live.jobs("done")[0]["job"]
        .as_str()
        .expect("job")
        .to_owned();
    let has_pane = |l: &Live| {
        String::from_utf8_lossy(&l.tmux(&["list-panes", "-s", "-F", "#{@warden_job}"]).stdout)
            .lines()
            .any(|x| x == job)
    };
    assert!(has_pane(&live), "the dead pane stays for a while");
    live.wait_for("the pane to be reaped", WAIT, |l| !has_pane(l));
    let screen = live
        .repo
        .read(&format!("tasks/logs/dispatch-done.{job}.screen.txt"));
    assert!(
        screen.contains("giving up on task 'done' with exit code 4"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("[warden] job {job} exit 4")),
        "{screen}"
    );
}

/// A job that ends between two heartbeats: its last output is read once more as it ends,
/// so it is the time of what it printed two seconds in, not its header's.
#[test]
fn a_short_jobs_last_output_is_its_real_last_output() {
    let live = Live::new(
        "[dispatch]\ncommand = [\"sh\", \"-c\", \"sleep 2; echo done\"]\n[heartbeat]\ninterval = \"1h\"\n",
    );
    live.task("short", "status: ready");
    live.up(&[]);
    live.wait_for("the job to end", WAIT, |l| {
        l.jobs("short").first().is_some_and(Live::ended)
    });
    let job = &live.jobs("short")[0];
    let time = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(job[field].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{field}: {e}: {job}"))
    };
    // `done` was written at least 2 s after the job started (however slow the machine).
    assert!(
        time("last_output_at") >= time("started_at") + chrono::TimeDelta::seconds(2),
        "{job}"
    );
    assert!(time("last_output_at") <= time("ended_at"), "{job}");
}
