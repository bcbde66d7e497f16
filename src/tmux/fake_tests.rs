//! The recording fake's own tests: its pane table, scripted failures and refusals.

use std::path::Path;

use super::error::TmuxError;
use super::fake::*;
use super::fake_call::{Call, Verb};
use super::port::{Spawn, TmuxPort, WindowSpec};

const ARGV: &[String] = &[];

fn spec<'a>(name: &'a str, job: &'a str) -> WindowSpec<'a> {
    WindowSpec {
        name,
        spawn: Spawn {
            argv: ARGV,
            cwd: Path::new("/"),
            env: &[],
        },
        job: Some(job),
        pipe: None,
    }
}

#[test]
fn windows_are_recorded_and_listed() {
    let tmux = FakeTmux::with_session("s");
    let batch = tmux.new_windows("s", &[spec("a", "j1"), spec("b", "j2")]);
    assert!(batch.error.is_none());
    let ids: Vec<_> = batch.made.iter().map(|p| p.pane_id.as_str()).collect();
    assert_eq!(ids, ["%0", "%1"]);
    let rows = tmux.list_panes("s").expect("listed");
    assert_eq!(rows[1].job.as_deref(), Some("j2"));
    assert_eq!(rows[1].window_name, "b");
    assert_ne!(rows[0].window_id, rows[1].window_id);
    let pane = tmux
        .split_window(&rows[1].window_id, &spec("", "").spawn, Some("j3"), None)
        .expect("split");
    assert_eq!(pane.window_id, rows[1].window_id);
    tmux.set_dead("j1", Some(3), None);
    tmux.kill_pane("%1").expect("killed");
    let rows = tmux.list_panes("s").expect("listed");
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].dead, rows[0].dead_status), (true, Some(3)));
    assert_eq!(tmux.count(Verb::ListPanes), 2);
    assert!(matches!(&tmux.calls()[0], Call::NewWindows { windows, .. } if windows.len() == 2));
}

#[test]
fn a_refused_job_stops_the_batch_there() {
    let tmux = FakeTmux::with_session("s");
    tmux.refuse_job("j2", "command too long");
    let batch = tmux.new_windows("s", &[spec("a", "j1"), spec("b", "j2"), spec("c", "j3")]);
    assert_eq!(batch.made.len(), 1);
    assert!(matches!(batch.error, Some(TmuxError::Refused { .. })));
    assert!(tmux.new_window("s", &spec("b", "j2")).is_err());
    assert!(tmux.new_window("s", &spec("c", "j3")).is_ok());
}

#[test]
fn failures_are_scripted() {
    let tmux = FakeTmux::with_session("s");
    tmux.fail(Verb::ListPanes, FakeTmux::unanswered());
    assert!(tmux.list_panes("s").is_err_and(|e| e.is_unanswered()));
    assert!(tmux.list_panes("s").is_ok());
    tmux.fail_always(Verb::HasSession, FakeTmux::unanswered());
    assert!(tmux.has_session("s").is_err());
    assert!(tmux.has_session("s").is_err());
    tmux.heal();
    assert_eq!(tmux.has_session("s").ok(), Some(true));
    assert_eq!(tmux.has_session("other").ok(), Some(false));
    assert!(matches!(
        tmux.list_panes("other"),
        Err(TmuxError::NoSession { .. })
    ));
    tmux.kill_server().expect("killed");
    assert!(tmux.list_panes("s").is_err_and(|e| e.is_unanswered()));
    assert_eq!(tmux.has_session("s").ok(), Some(false));
    for e in [FakeTmux::no_session("s"), FakeTmux::refused("no")] {
        assert!(!e.is_unanswered(), "{e}");
    }
}

#[test]
fn the_pane_table_can_be_set_and_edited() {
    let tmux = FakeTmux::new();
    let session = tmux
        .start_session("s", "warden", &spec("", "").spawn, (80, 24))
        .expect("started");
    let mut row = tmux.panes()[0].clone();
    assert_eq!(
        (row.pane_id.as_str(), row.job.as_deref()),
        (session.pane_id.as_str(), None)
    );
    row.pane_id = "%9".to_owned();
    row.job = Some("j9".to_owned());
    tmux.set_panes(vec![tmux.panes()[0].clone(), row]);
    tmux.set_screen("%9", "hello");
    assert_eq!(tmux.capture_pane("%9").ok().as_deref(), Some("hello"));
    tmux.remove_pane("j9");
    assert!(matches!(
        tmux.capture_pane("%9"),
        Err(TmuxError::Refused { .. })
    ));
    assert!(
        tmux.attach(&session.pane_id, super::AttachHow::Replace)
            .is_ok()
    );
    assert_eq!(
        tmux.calls().last(),
        Some(&Call::Attach {
            pane: session.pane_id.clone(),
            how: super::AttachHow::Replace
        })
    );
}

#[test]
fn options_are_recorded_and_kept_by_where_they_go() {
    use super::fake_call::SetCall;
    use super::port::{OptionSet, Scope};
    let tmux = FakeTmux::with_session("s");
    let made = tmux
        .new_windows("s", &[spec("a", "j1")])
        .made
        .pop()
        .expect("made");
    let second = tmux
        .split_window(&made.window_id, &spec("", "").spawn, Some("j2"), None)
        .expect("split");
    let set = |scope, name, value| OptionSet { scope, name, value };
    tmux.set_options(&[
        set(Scope::Global, "status-right", "1/4 running"),
        set(Scope::Window(&made.pane_id), "@warden_state", "wait"),
        set(Scope::Pane(&second.pane_id), "@warden_title", "b run"),
    ])
    .expect("set");
    assert_eq!(
        tmux.option(Scope::Global, "status-right").as_deref(),
        Some("1/4 running")
    );
    // A window option, seen from any pane of the window; a pane option from that pane only.
    assert_eq!(
        tmux.option(Scope::Window(&second.pane_id), "@warden_state")
            .as_deref(),
        Some("wait")
    );
    assert_eq!(
        tmux.option(Scope::Pane(&made.pane_id), "@warden_title"),
        None
    );
    assert!(matches!(
        tmux.calls().last(),
        Some(Call::SetOptions { options }) if options[1] == SetCall {
            scope: format!("window {}", made.pane_id),
            name: "@warden_state".into(),
            value: "wait".into(),
        }
    ));
    // A pane that is gone is refused, as tmux does.
    let gone = set(Scope::Window("%99"), "@warden_state", "run");
    assert!(matches!(
        tmux.set_options(&[gone]),
        Err(TmuxError::Refused { .. })
    ));
}
