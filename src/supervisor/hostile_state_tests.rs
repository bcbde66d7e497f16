//! Issue 9 on the fake tmux port: files edited or planted by hand (the register, the ledger,
//! a linked release folder), a manager that cannot start, ids the parser would refuse and a
//! tasks folder that cannot be listed.

use crate::register::JobEnd;

use super::protocol::{Request, Response};
use super::testing::{Rig, ended, windows_asked};

const CONFIG: &str = "[dispatch]\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n";

/// Issue 9, item 13: the register edited by hand while the supervisor runs is read again,
/// never overwritten from memory.
#[test]
fn a_register_edited_by_hand_is_read_again_not_overwritten() {
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    rig.tick();
    let path = rig.sup.state.paths.register.clone();
    let mut edited: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    edited["retries"] = serde_json::json!({ "hand-edit": 7 });
    std::fs::write(&path, serde_json::to_vec_pretty(&edited).expect("json")).expect("edit");
    // The job ends: the supervisor saves, and the hand edit must survive it.
    rig.record("j000001", Some(JobEnd::Exited { code: 0 }));
    rig.run_for(2);
    assert_eq!(ended(&rig, "j000001"), Some(JobEnd::Exited { code: 0 }));
    assert_eq!(rig.saved().retries.get("hand-edit"), Some(&7), "kept");
    // A broken edit is left as it is and stops dispatch.
    std::fs::write(&path, b"{ broken").expect("break it");
    rig.task("b", "status: ready");
    rig.run_for(2);
    assert_eq!(std::fs::read(&path).expect("read"), b"{ broken");
    assert!(
        rig.codes().contains(&"register_corrupt".to_owned()),
        "{:?}",
        rig.codes()
    );
    assert!(!windows_asked(&rig).iter().flatten().any(|j| j == "j000002"));
}

/// Issue 9, items 13 and 14: the ledger edited by hand is read again; an unreadable one is
/// `needs_human` in the snapshot and in `warden status` alike.
#[test]
fn the_ledger_edited_by_hand_is_read_again_and_a_broken_one_needs_a_human() {
    let mut rig = Rig::new("[escalation]\nenabled = true\n[heartbeat]\ninterval = \"1s\"\n");
    rig.run_for(2);
    let path = crate::escalate::ledger_path(&rig.sup.state.paths.state, false);
    let mut edited: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    edited["state"]["silences"] =
        serde_json::json!({ "repeated_failure/task:x": "2099-01-01T00:00:00Z" });
    std::fs::write(&path, serde_json::to_vec_pretty(&edited).expect("json")).expect("edit");
    rig.run_for(2);
    let silences = rig
        .sup
        .state
        .managers
        .ledger()
        .map(|l| l.state.silences.len())
        .unwrap_or(0);
    assert_eq!(silences, 1, "read again");
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    assert!(on_disk["state"]["silences"]["repeated_failure/task:x"].is_string());
    std::fs::write(&path, b"{ broken").expect("break it");
    rig.run_for(2);
    assert!(
        rig.snapshot().escalation.needs_human,
        "the published snapshot"
    );
    match rig.request(Request::Status) {
        Response::Snapshot { snapshot } => {
            assert_eq!(snapshot["escalation"]["needs_human"], true, "warden status");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).expect("read"),
        b"{ broken",
        "left alone"
    );
}

/// Issue 9, item 15: a manager that cannot be started gives its budget back, leaves its
/// alerts to be escalated again, and tells a person; it is not tried at every pass.
#[test]
fn a_manager_that_cannot_start_gives_its_budget_back() {
    let mut rig = Rig::new(
        "[heartbeat]\ninterval = \"1s\"\n[escalation]\nenabled = true\nhold = \"1s\"\nmin_spacing = \"10m\"\nescalate_severity = \"warning\"\n",
    );
    // A warning that escalates (at this `escalate_severity`): a missing dependency.
    rig.task("a", "status: ready\ndepends_on: [ghost]");
    rig.fake.refuse_job("e0001", "command too long");
    rig.run_for(4);
    let ledger = rig.sup.state.managers.ledger().expect("ledger");
    let action = ledger.actions.first().expect("a spawn was decided");
    assert_eq!(action.id, "e0001");
    assert_eq!(action.phase, crate::escalate::Phase::Failed, "{action:?}");
    assert!(ledger.state.spawns.is_empty(), "the budget is given back");
    assert!(ledger.state.needs_human, "a person is told");
    let alert = &ledger.state.alerts["dependency_missing/task:a"];
    assert!(alert.escalated.is_none(), "it can be escalated again");
    assert_eq!(rig.snapshot().escalation.budget_left, Some(3));
    assert!(rig.snapshot().escalation.needs_human);
    // Not tried again at every pass: the spacing holds it back.
    rig.run_for(30);
    let attempts = rig
        .sup
        .state
        .managers
        .ledger()
        .map(|l| l.actions.len())
        .unwrap_or(0);
    assert_eq!(attempts, 1, "no storm of failing spawns");
}

#[test]
fn the_launcher_refuses_an_id_the_parser_would_refuse() {
    use std::sync::Arc;

    use super::action::LaunchOutcome;
    use super::launch::Launcher;
    use super::testing::{Shared, job};
    use crate::task::Status;

    let rig = Rig::new(CONFIG);
    let id = "a\u{0}b";
    let mut task = crate::task::testing::task("a", Status::Ready, chrono::Utc::now());
    let fields = Arc::make_mut(&mut task.fields);
    fields.id = id.to_owned();
    fields.title = id.to_owned();
    let record = job("j000001", id);
    let port = Shared(std::rc::Rc::clone(&rig.fake));
    let state = &rig.sup.state;
    let outcomes = Launcher {
        paths: &state.paths,
        config: &state.config,
        port: &port,
        layout: &state.layout,
        exe: &state.exe,
        jobs: &[],
    }
    .launch(&[(&record, &task)]);
    match &outcomes[..] {
        [LaunchOutcome::Failed(why)] => assert!(why.contains("control character"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(windows_asked(&rig).is_empty(), "tmux was not asked");
    assert!(
        !rig.root().join("tasks/logs").exists(),
        "no log was started"
    );
}

#[test]
fn a_folder_that_cannot_be_listed_hides_no_new_task() {
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: backlog");
    rig.tick();
    assert!(windows_asked(&rig).is_empty());
    // The watcher sees both changes at once; the pass that finds the folder unlistable must
    // neither fail nor leave the new task for a walk that never comes.
    crate::task::testing::unlistable_folder(&rig.root().join("tasks"));
    rig.task("new", "status: ready");
    rig.run_for(3);
    assert_eq!(windows_asked(&rig), [vec!["j000001"]]);
    assert!(
        rig.codes().contains(&"task_invalid".to_owned()),
        "{:?}",
        rig.codes()
    );
}

/// Issue 9, item 8: a go file's folder planted as a link to an outside folder. The launch
/// fails before the pane is made; nothing is written outside.
#[test]
fn a_release_folder_linked_outside_is_refused_and_nothing_is_written_there() {
    let out = tempfile::tempdir().expect("tempdir");
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    let release = rig.sup.state.paths.jobs.join("j000001.release");
    std::fs::create_dir_all(&rig.sup.state.paths.jobs).expect("jobs");
    std::os::unix::fs::symlink(out.path(), &release).expect("plant");
    rig.tick();
    assert_eq!(
        std::fs::read_dir(out.path()).expect("list").count(),
        0,
        "the go file was made through the linked release folder"
    );
    assert!(
        windows_asked(&rig).is_empty(),
        "no pane for a refused launch"
    );
    assert!(
        matches!(ended(&rig, "j000001"), Some(JobEnd::NotStarted { reason }) if reason.contains("j000001.release")),
        "{:?}",
        ended(&rig, "j000001")
    );
}
