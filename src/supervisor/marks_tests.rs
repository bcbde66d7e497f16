//! What tmux shows of the jobs, on the fake port: each worker window's mark as it launches,
//! waits and ends, compact panes' titles, and `status-right` set only when it changes.

use crate::agent::{AgentKind, AgentRecord, AgentState, agent_path};
use crate::register::JobEnd;
use crate::tmux::{Call, FakeTmux, STATE_OPTION, Scope, TITLE_OPTION, Verb};

use super::testing::Rig;

const CONFIG: &str = "[dispatch]\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n";

/// The pane of the task's first job.
fn pane(rig: &Rig, task: &str) -> String {
    rig.jobs()
        .into_iter()
        .find(|j| j.task == task)
        .and_then(|j| j.pane)
        .expect("a job with a pane")
}

fn job(rig: &Rig, task: &str) -> String {
    rig.jobs()
        .into_iter()
        .find(|j| j.task == task)
        .map(|j| j.job)
        .expect("a job")
}

fn window_mark(rig: &Rig, task: &str) -> Option<String> {
    rig.fake
        .option(Scope::Window(&pane(rig, task)), STATE_OPTION)
}

/// Every value `status-right` was set to, in order.
fn status_rights(rig: &Rig) -> Vec<String> {
    rig.fake
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::SetOptions { options } => options
                .into_iter()
                .find(|o| o.name == "status-right")
                .map(|o| o.value),
            _ => None,
        })
        .collect()
}

#[test]
fn a_window_is_marked_running_then_with_how_its_job_ended() {
    let mut rig = Rig::new(CONFIG);
    for task in ["ok", "bad", "killed"] {
        rig.task(task, "status: ready");
    }
    rig.tick();
    for task in ["ok", "bad", "killed"] {
        assert_eq!(window_mark(&rig, task).as_deref(), Some("run"), "{task}");
    }
    // The launch's marks are one tmux call.
    let marks: Vec<usize> = rig
        .fake
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::SetOptions { options } if options.iter().any(|o| o.name == STATE_OPTION) => {
                Some(options.len())
            }
            _ => None,
        })
        .collect();
    assert_eq!(marks, [3]);
    let ends = [
        ("ok", JobEnd::Exited { code: 0 }),
        ("bad", JobEnd::Exited { code: 3 }),
        (
            "killed",
            JobEnd::Signaled {
                signal: "SIGKILL".into(),
            },
        ),
    ];
    for (task, end) in ends {
        let job = job(&rig, task);
        rig.record(&job, Some(end));
        rig.fake.set_dead(&job, Some(0), None);
    }
    rig.run_for(1);
    assert_eq!(window_mark(&rig, "ok").as_deref(), Some("✓"));
    assert_eq!(window_mark(&rig, "bad").as_deref(), Some("✗ 3"));
    assert_eq!(window_mark(&rig, "killed").as_deref(), Some("✗ SIGKILL"));
    // Names stay the job's own: nothing is renamed.
    let names: Vec<String> = rig
        .fake
        .panes()
        .into_iter()
        .map(|p| p.window_name)
        .collect();
    assert!(names.contains(&"w-bad".to_owned()), "{names:?}");
}

#[test]
fn a_waiting_agent_marks_its_window_until_it_works_again() {
    let mut rig = Rig::new(
        "[dispatch]\nagent = \"claude\"\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n",
    );
    rig.task("asks", "status: ready");
    rig.tick();
    let job = job(&rig, "asks");
    let path = agent_path(&rig.sup.state.paths.jobs, &job);
    let save = |state| {
        let record = AgentRecord::new(&job, AgentKind::Claude, state, chrono::Utc::now());
        std::fs::write(&path, serde_json::to_vec(&record).expect("json")).expect("record");
    };
    save(AgentState::WaitingInput);
    rig.run_for(1);
    assert_eq!(window_mark(&rig, "asks").as_deref(), Some("wait"));
    assert!(
        status_rights(&rig)
            .last()
            .is_some_and(|s| s.contains("1 waiting")),
        "{:?}",
        status_rights(&rig)
    );
    // A new file (another inode) so the reader sees the change whatever the mtime says.
    std::fs::remove_file(&path).expect("rm");
    save(AgentState::Working);
    rig.run_for(1);
    assert_eq!(window_mark(&rig, "asks").as_deref(), Some("run"));
}

#[test]
fn compact_panes_are_titled_with_their_task_and_state() {
    let mut rig = Rig::new(CONFIG);
    rig.sup.state.layout = crate::layout::load_layout("compact", &rig.sup.state.paths.user_layouts)
        .expect("compact layout");
    rig.task("a", "status: ready");
    rig.task("b", "status: ready");
    rig.tick();
    for task in ["a", "b"] {
        let pane = pane(&rig, task);
        assert_eq!(
            rig.fake.option(Scope::Pane(&pane), TITLE_OPTION),
            Some(format!("{task} run"))
        );
        assert_eq!(
            rig.fake
                .option(Scope::Window(&pane), "pane-border-status")
                .as_deref(),
            Some("top")
        );
        // The window holds several workers: it has no mark of its own.
        assert_eq!(rig.fake.option(Scope::Window(&pane), STATE_OPTION), None);
    }
    let job = job(&rig, "b");
    rig.record(&job, Some(JobEnd::Exited { code: 1 }));
    rig.run_for(1);
    assert_eq!(
        rig.fake
            .option(Scope::Pane(&pane(&rig, "b")), TITLE_OPTION)
            .as_deref(),
        Some("b ✗ 1")
    );
}

#[test]
fn status_right_is_set_only_when_the_counts_change() {
    let mut rig = Rig::new(CONFIG);
    rig.task("a", "status: ready");
    rig.tick();
    rig.run_for(5);
    assert_eq!(status_rights(&rig), ["1/4 running"]);
    let job = job(&rig, "a");
    rig.record(&job, Some(JobEnd::Exited { code: 0 }));
    rig.run_for(3);
    let set = status_rights(&rig);
    assert_eq!(set.first().map(String::as_str), Some("1/4 running"));
    assert!(set.len() >= 2, "{set:?}");
    assert!(set[1].starts_with("0/4 running"), "{set:?}");
    assert!(set.windows(2).all(|w| w[0] != w[1]), "{set:?}");
}

#[test]
fn counts_tmux_did_not_take_are_set_again() {
    let mut rig = Rig::new(CONFIG);
    rig.fake.fail(Verb::SetOptions, FakeTmux::refused("no"));
    rig.tick();
    rig.run_for(2);
    assert_eq!(status_rights(&rig), ["0/4 running", "0/4 running"]);
    assert_eq!(
        rig.fake.option(Scope::Global, "status-right").as_deref(),
        Some("0/4 running")
    );
}
