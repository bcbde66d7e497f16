//! `warden demo`: the README's first command, end to end.

use std::process::Command;

#[test]
fn the_demo_shows_the_whole_job_and_cleans_up() {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("demo")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .env_remove("WARDEN_FAKE_NOW")
        .env_remove("WARDEN_TMUX_SOCKET")
        .env("SHELL", "/bin/sh")
        .output()
        .expect("run warden demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "dispatch  setup",
        "exit      flaky",
        ": exit 1",
        "repeated_failure",
        "dispatch_stalled",
        "task_invalid",
        "would_spawn",
        "context.md",
        "== summary",
        "removed the demo's session and repository",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    // The throwaway repository is gone.
    let dir = stdout
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("/tmp/warden-demo-"))
        })
        .expect("the demo names its repository");
    assert!(!std::path::Path::new(dir).exists(), "{dir} was removed");
}
