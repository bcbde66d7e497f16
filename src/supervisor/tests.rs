//! The supervisor's decisions on the fake tmux port: each of issue 8's bugs as a test that
//! fails on the old supervisor, and the everyday paths (dispatch, exits, kill, stop).

use crate::register::JobEnd;
use crate::tmux::{FakeTmux, Verb};

use super::protocol::{Refusal, Request, Response};
use super::testing::{Rig, ended, windows_asked};

const CONFIG: &str = "[dispatch]\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n";

#[test]
fn ready_tasks_are_saved_then_launched_then_released() {
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    rig.task("b", "status: ready\npriority: p0");
    rig.tick();
    // One batch, in queue order (priority first).
    assert_eq!(windows_asked(&rig), [vec!["j000001", "j000002"]]);
    let jobs = rig.jobs();
    assert_eq!(
        jobs.iter().map(|j| j.task.as_str()).collect::<Vec<_>>(),
        ["b", "a"]
    );
    assert!(jobs.iter().all(|j| j.pane.is_some()), "{jobs:#?}");
    assert!(rig.released("j000001") && rig.released("j000002"));
    // On disk with their panes, before anything else happens.
    assert_eq!(rig.saved().jobs.len(), 2);
    assert!(rig.saved().jobs.iter().all(|j| j.pane.is_some()));
    // Nothing more to do: no second launch.
    rig.run_for(3);
    assert_eq!(windows_asked(&rig).len(), 1);
}

#[test]
fn an_exit_is_taken_from_the_wrappers_record() {
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    rig.tick();
    rig.record("j000001", Some(JobEnd::Exited { code: 3 }));
    rig.fake.set_dead("j000001", Some(3), None);
    rig.run_for(1);
    assert_eq!(ended(&rig, "j000001"), Some(JobEnd::Exited { code: 3 }));
    assert!(
        rig.codes().contains(&"dispatch_failed".to_owned()),
        "{:?}",
        rig.codes()
    );
}

/// Bug 1: a failed `list-panes` read as "no panes"; jobs became lost and ran again.
#[test]
fn unanswered_tmux_loses_nothing_dispatches_nothing_and_resumes() {
    let mut rig = Rig::new(CONFIG);
    rig.task("long", "status: ready");
    rig.tick();
    assert_eq!(rig.jobs().len(), 1);
    rig.fake
        .fail_always(Verb::ListPanes, FakeTmux::unanswered());
    rig.task("late", "status: ready");
    rig.run_for(4);
    assert!(
        !rig.codes().contains(&"tmux_unreachable".to_owned()),
        "not before 5 s"
    );
    rig.run_for(26);
    let signal = rig
        .snapshot()
        .escalation
        .signals
        .iter()
        .find(|s| s.code.as_str() == "tmux_unreachable")
        .cloned()
        .expect("tmux_unreachable after 5 s");
    assert_eq!(signal.severity, crate::detect::Severity::Critical);
    assert!(
        signal
            .evidence
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("within")),
        "{signal:?}"
    );
    assert!(
        ended(&rig, "j000001").is_none(),
        "not lost: {:#?}",
        rig.jobs()
    );
    assert_eq!(
        rig.jobs().len(),
        1,
        "nothing dispatched while tmux is unknown"
    );
    assert_eq!(windows_asked(&rig).len(), 1);
    // Asked once a second, never more: each unanswered call costs a timeout.
    let lists = rig.fake.count(Verb::ListPanes);
    assert!((30..=32).contains(&lists), "{lists} list-panes in 30 s");
    // Meanwhile the job ended; only its record knows. tmux answers again:
    rig.record("j000001", Some(JobEnd::Exited { code: 0 }));
    rig.fake.heal();
    rig.run_for(1);
    assert_eq!(ended(&rig, "j000001"), Some(JobEnd::Exited { code: 0 }));
    assert!(
        rig.jobs().iter().any(|j| j.task == "late"),
        "dispatch resumed"
    );
    assert!(!rig.codes().contains(&"tmux_unreachable".to_owned()));
}

/// Bug 1, the second half: a live pane that disappears while tmux answers is lost, but only
/// after it stayed missing for a while (a killed pane's wrapper records first).
#[test]
fn a_vanished_pane_is_lost_once_and_never_relaunched_as_the_same_job() {
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    rig.tick();
    rig.record("j000001", None);
    rig.fake.remove_pane("j000001");
    rig.run_for(4);
    assert!(ended(&rig, "j000001").is_none(), "within the grace");
    rig.run_for(2);
    assert!(matches!(ended(&rig, "j000001"), Some(JobEnd::Lost { .. })));
}

/// Bug 3: with the register unwritable, two tasks started with nothing on disk.
#[test]
fn no_pane_is_made_until_the_register_entry_is_saved() {
    let mut rig = Rig::new(CONFIG);
    rig.tick();
    // Saving fails: the register's folder is a file now (root cannot be refused a chmod).
    let real = rig.sup.state.paths.register.clone();
    let blocker = rig.root().join("blocker");
    std::fs::write(&blocker, b"").expect("blocker");
    rig.sup.state.paths.register = blocker.join("register.json");
    rig.task("a", "status: ready");
    rig.task("b", "status: ready");
    rig.run_for(3);
    assert!(
        windows_asked(&rig).is_empty(),
        "no pane without a saved entry"
    );
    assert!(rig.jobs().is_empty(), "the unsaved entries were taken back");
    let signal = rig
        .snapshot()
        .escalation
        .signals
        .iter()
        .find(|s| s.code.as_str() == "state_unwritable")
        .cloned()
        .expect("state_unwritable");
    assert_eq!(
        signal.evidence.path.as_deref(),
        Some(std::path::Path::new("blocker/register.json"))
    );
    assert!(
        signal
            .evidence
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("blocker: it is not a folder")),
        "{signal:?}"
    );
    // Saving works again: dispatch resumes by itself, each task once.
    rig.sup.state.paths.register = real;
    rig.run_for(2);
    assert_eq!(windows_asked(&rig), [vec!["j000001", "j000002"]]);
    assert!(!rig.codes().contains(&"state_unwritable".to_owned()));
    assert_eq!(rig.saved().jobs.len(), 2);
}

/// Bug 4: one job tmux refused failed its whole batch, and all were marked lost.
#[test]
fn a_refused_batch_is_retried_job_by_job() {
    let mut rig = Rig::new(CONFIG);
    for t in ["a", "b", "c"] {
        rig.task(t, "status: ready");
    }
    rig.fake.refuse_job("j000002", "command too long");
    rig.tick();
    assert_eq!(
        windows_asked(&rig),
        [
            vec!["j000001", "j000002", "j000003"],
            vec!["j000002"],
            vec!["j000003"]
        ]
    );
    assert!(rig.released("j000001") && rig.released("j000003"));
    assert!(!rig.released("j000002"));
    match ended(&rig, "j000002") {
        Some(JobEnd::NotStarted { reason }) => {
            assert!(reason.contains("command too long"), "{reason}");
        }
        other => panic!("j000002: {other:?}"),
    }
    assert!(ended(&rig, "j000001").is_none() && ended(&rig, "j000003").is_none());
}

/// Bug 5: a full disk failed every launch, each counted as an attempt: every task gave up.
#[test]
fn a_launch_that_fails_before_the_agent_is_not_an_attempt() {
    let mut rig =
        Rig::new("[dispatch]\nmax_workers = 4\nmax_attempts = 2\n[heartbeat]\ninterval = \"1s\"\n");
    rig.task("a", "status: ready");
    // The log cannot be opened: its folder is a file.
    std::fs::write(rig.root().join("tasks/logs"), b"").expect("blocker");
    rig.tick();
    assert!(windows_asked(&rig).is_empty());
    assert!(matches!(
        ended(&rig, "j000001"),
        Some(JobEnd::NotStarted { .. })
    ));
    assert!(
        rig.codes().contains(&"launch_failed".to_owned()),
        "{:?}",
        rig.codes()
    );
    // Held, then tried again with a doubling backoff; never given up.
    rig.run_for(60);
    let tries = rig.jobs().len();
    assert!(
        (3..=5).contains(&tries),
        "5 s, 10 s, 20 s … apart: {tries} tries"
    );
    assert!(!rig.codes().contains(&"dispatch_gave_up".to_owned()));
    assert!(
        rig.jobs().iter().all(|j| j.attempt == 1),
        "no attempt used up"
    );
    // The disk is fine again: attempt 1 runs.
    std::fs::remove_file(rig.root().join("tasks/logs")).expect("unblock");
    rig.run_for(60);
    let live: Vec<_> = rig.jobs().into_iter().filter(|j| j.is_live()).collect();
    assert_eq!(live.len(), 1, "{:#?}", rig.jobs());
    assert_eq!(live[0].attempt, 1);
    assert_eq!(windows_asked(&rig).len(), 1);
}

#[test]
fn a_dispatch_request_launches_and_answers_without_stepping_tier2() {
    let mut rig = Rig::new("[escalation]\nenabled = true\n");
    rig.task("a", "status: backlog");
    rig.tick();
    let decisions = |rig: &Rig| {
        rig.sup
            .state
            .managers
            .ledger()
            .map(|l| l.decisions.len())
            .ok()
    };
    let before = decisions(&rig);
    match rig.request(Request::Dispatch { task: "a".into() }) {
        Response::Ok { message } => assert_eq!(message, "dispatched a as j000001"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        rig.request(Request::Dispatch { task: "a".into() }),
        Response::Refused {
            refusal: Refusal::AlreadyRunning { task: "a".into() }
        }
    );
    assert_eq!(
        rig.request(Request::Dispatch {
            task: "nope".into()
        }),
        Response::Refused {
            refusal: Refusal::UnknownTask {
                task: "nope".into(),
                close: Vec::new(),
            }
        }
    );
    assert_eq!(
        before,
        decisions(&rig),
        "a dispatch request never steps Tier 2"
    );
}

#[test]
fn kill_marks_the_job_and_sigkill_follows_the_timeout() {
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    rig.tick();
    let answer = rig.request(Request::Kill {
        task: "a".into(),
        timeout_secs: 3,
    });
    assert!(matches!(answer, Response::Ok { .. }), "{answer:?}");
    assert!(rig.jobs()[0].killed);
    assert!(rig.saved().jobs[0].killed, "saved before the signal");
    assert_eq!(rig.sup.state.stop.kills.len(), 1);
    rig.run_for(3);
    assert!(
        rig.sup.state.stop.kills.is_empty(),
        "SIGKILL sent, then forgotten"
    );
    assert_eq!(
        rig.request(Request::Kill {
            task: "zzz".into(),
            timeout_secs: 1
        }),
        Response::Refused {
            refusal: Refusal::NoWorker { task: "zzz".into() }
        }
    );
}

#[test]
fn down_with_kill_workers_waits_for_the_ends_then_removes_the_server() {
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    rig.tick();
    let answer = rig.request(Request::Stop {
        kill_workers: true,
        timeout_secs: 5,
    });
    assert!(matches!(answer, Response::Ok { .. }));
    assert!(rig.jobs()[0].stopped);
    assert!(!rig.sup.state.passes.done, "waits for the worker");
    rig.record(
        "j000001",
        Some(JobEnd::Signaled {
            signal: "SIGTERM".into(),
        }),
    );
    rig.run_for(1);
    assert!(rig.sup.state.passes.done);
    assert_eq!(rig.fake.count(Verb::KillServer), 1);
    assert!(matches!(
        ended(&rig, "j000001"),
        Some(JobEnd::Signaled { .. })
    ));
}

#[test]
fn alert_operations_are_refused_with_a_reason() {
    let mut rig = Rig::new("[escalation]\nenabled = true\n");
    rig.tick();
    let answer = rig.request(Request::Alert {
        key: "repeated_failure/task:x".into(),
        op: crate::escalate::AlertOp::Resolve,
    });
    assert!(
        matches!(&answer, Response::Refused { refusal: Refusal::Alert { error } } if error.contains("no such alert")),
        "{answer:?}"
    );
}

/// Bug 2: a deleted socket file under a live server; tmux recreates it on SIGUSR1.
#[test]
fn a_deleted_socket_is_recreated_by_signalling_the_live_server() {
    use std::os::unix::process::ExitStatusExt as _;
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    rig.tick();
    // A stand-in for the server: our own child, named `tmux` (its comm is the link's name).
    let bin = rig.root().join("tmux");
    std::os::unix::fs::symlink("/bin/sleep", &bin).expect("link");
    let mut server = std::process::Command::new(&bin)
        .arg("30")
        .spawn()
        .expect("a stand-in server");
    let pid = i32::try_from(server.id()).expect("pid");
    // The stand-in must have exec'd (its comm) before the supervisor looks at it.
    let comm = format!("/proc/{pid}/comm");
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&comm)
        .map(|c| c.trim().to_owned())
        .ok()
        .as_deref()
        != Some("tmux")
    {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the stand-in never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    rig.sup.state.health.server_pid = Some(pid);
    std::fs::remove_file(&rig.sup.state.paths.tmux_socket_file).expect("delete the socket");
    rig.run_for(1);
    let status = server.wait().expect("the stand-in ends");
    assert_eq!(
        status.signal(),
        Some(libc_sigusr1()),
        "SIGUSR1 asks tmux to recreate it"
    );
    assert!(rig.sup.state.health.socket_missing);
    assert!(ended(&rig, "j000001").is_none(), "the worker never notices");
    assert!(
        rig.sup.state.health.tmux_gone.is_none(),
        "a live server is not gone"
    );
}

fn libc_sigusr1() -> i32 {
    nix::sys::signal::Signal::SIGUSR1 as i32
}

/// A message that matters (a new signal announced) stays in the status line; routine ones
/// (a dispatch, an end) take tmux's default time.
#[test]
fn messages_that_matter_stay_up_in_the_status_line() {
    let mut rig = Rig::new(CONFIG);
    rig.task("t", "status: ready");
    rig.tick();
    rig.record("j000001", Some(JobEnd::Exited { code: 3 }));
    rig.fake.set_dead("j000001", Some(3), None);
    rig.run_for(2);
    let shown: Vec<(String, bool)> = rig
        .fake
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            crate::tmux::Call::DisplayMessage { message, held, .. } => Some((message, held)),
            _ => None,
        })
        .collect();
    assert!(
        shown
            .iter()
            .any(|(m, held)| m.contains("dispatch_failed") && *held),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|(m, held)| m.contains("dispatched") && !*held),
        "{shown:#?}"
    );
}
