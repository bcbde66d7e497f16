//! `warden logs` shows a terminal agent's output the way a person saw it (through a
//! terminal emulator); `--raw` keeps the bytes.

mod support;

use support::Repo;

#[test]
fn logs_render_what_the_terminal_showed_and_raw_keeps_the_bytes() {
    let repo = Repo::new();
    repo.write("tasks/t.md", "---\nid: t\nstatus: ready\n---\n");
    // What Claude Code's TUI wrote into a pane: words placed by cursor moves, a spinner
    // redrawn in place.
    repo.write(
        "tasks/logs/dispatch-t.log",
        "=== warden: j000001 attempt 1 of t started 2026-06-01T12:00:00Z ===\n\
         Stub\x1b[8Gmodel\x1b[14Ghere.\r\nthinking |\rthinking /\rdone      \r\n",
    );
    let shown = repo.run(&["logs", "t"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains("Stub   model here."),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.lines().any(|l| l == "done"),
        "{}",
        shown.stdout
    );
    assert!(!shown.stdout.contains("thinking"), "{}", shown.stdout);
    assert!(!shown.stdout.contains('\x1b'), "{:?}", shown.stdout);
    let raw = repo.run(&["logs", "t", "--raw"]);
    assert!(raw.stdout.contains("\x1b[8G"), "{:?}", raw.stdout);
}
