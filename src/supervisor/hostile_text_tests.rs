//! Text from task files never reaches tmux raw: the supervisor's status-line messages
//! (dispatches, job ends, announcements) and the windows it makes quote task ids, which may
//! hold escape sequences and newlines.

use crate::register::JobEnd;
use crate::tmux::Call;

use super::testing::Rig;

const CONFIG: &str = "[dispatch]\nmax_workers = 4\n[heartbeat]\ninterval = \"1s\"\n";
const EVIL_SHOWN: &str = r"evil\e]0;pwned\x07\e[31mRED\nnext\u{9b}2J";

fn controls(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_control()).collect()
}

#[test]
fn an_id_with_control_characters_is_refused_before_tmux_sees_it() {
    let mut rig = Rig::new(CONFIG);
    std::fs::write(
        rig.root().join("tasks/evil.md"),
        "---\nid: \"evil\\e]0;pwned\\a\\e[31mRED\\nnext\\x9b2J\"\nstatus: ready\n---\n",
    )
    .expect("task");
    rig.tick();
    assert!(rig.jobs().is_empty(), "not dispatched");
    assert!(
        rig.codes().contains(&"task_invalid".to_owned()),
        "{:?}",
        rig.codes()
    );
    for call in rig.fake.calls() {
        assert!(
            controls(&format!("{call:?}")).is_empty(),
            "tmux was handed control characters: {call:?}"
        );
    }
}

/// A register from an older warden (or edited by hand) can still name a task id the parser
/// now refuses; the messages about its job show it escaped.
#[test]
fn status_line_messages_and_window_names_have_no_control_characters() {
    let mut rig = Rig::new(CONFIG);
    rig.task("evil", "status: ready");
    rig.tick();
    assert_eq!(rig.jobs().len(), 1, "dispatched");
    let evil = "evil\u{1b}]0;pwned\u{7}\u{1b}[31mRED\nnext\u{9b}2J";
    if let Ok(register) = rig.sup.state.jobs.register.as_mut() {
        register.jobs[0].task = evil.to_owned();
    }
    rig.record("j000001", Some(JobEnd::Exited { code: 3 }));
    rig.fake.set_dead("j000001", Some(3), None);
    rig.run_for(2);
    let calls = rig.fake.calls();
    let messages: Vec<&str> = calls
        .iter()
        .filter_map(|c| match c {
            Call::DisplayMessage { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    // The dispatch, the job's end, and the dispatch_failed announcement.
    assert!(messages.len() >= 3, "{messages:#?}");
    for m in &messages {
        assert!(controls(m).is_empty(), "display-message got {m:?}");
    }
    assert!(
        messages.iter().any(|m| m.contains(EVIL_SHOWN)),
        "{messages:#?}"
    );
    for call in &calls {
        if let Call::NewWindows { windows, .. } = call {
            for w in windows {
                assert!(controls(&w.name).is_empty(), "window name {:?}", w.name);
            }
        }
    }
}
