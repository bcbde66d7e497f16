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

#[test]
fn demo_keep_leaves_a_session_to_attach_to() {
    let warden = env!("CARGO_BIN_EXE_warden");
    let clean = |cmd: &mut Command| {
        cmd.env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env_remove("WARDEN_FAKE_NOW")
            .env_remove("WARDEN_TMUX_SOCKET")
            .env("SHELL", "/bin/sh");
    };
    let mut demo = Command::new(warden);
    demo.args(["demo", "--keep"]);
    clean(&mut demo);
    let out = demo.output().expect("run warden demo --keep");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}");
    let dir = stdout
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("/tmp/warden-demo-"))
        })
        .expect("the demo names its repository")
        .to_owned();
    assert!(stdout.contains("attach:"), "{stdout}");
    // Whatever happens below, stop the session and remove the repository.
    struct Cleanup(String, &'static str);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new(self.1)
                .args(["-C", &self.0, "down", "--kill-workers", "--timeout", "2s"])
                .output();
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(dir.clone(), warden);

    // The silent worker is still running: attach to it, see its output, detach.
    let mut attach = Command::new(warden);
    attach
        .args(["-C", &dir, "attach", "quiet"])
        .env("TERM", "xterm-256color");
    clean(&mut attach);
    let mut session = rexpect::session::spawn_command(attach, Some(15_000)).expect("spawn attach");
    assert!(
        session.exp_string("going quiet").is_ok(),
        "the worker's output is on screen"
    );
    session.send_control('b').expect("prefix");
    session.send("d").expect("detach");
    session.flush().expect("flush");
    assert!(session.exp_string("[detached").is_ok(), "detached");
    let down = Command::new(warden)
        .args(["-C", &dir, "down", "--kill-workers", "--timeout", "2s"])
        .output()
        .expect("down");
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
}

#[test]
fn the_readme_names_the_two_commands_and_ci_runs_them() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let ci =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect(".ci/run");
    for command in ["cargo run --locked --release -- demo", "scripts/test"] {
        assert!(
            readme.contains(&format!("```sh\n{command}\n```")),
            "README shows `{command}` as a command block"
        );
        assert!(
            ci.lines().any(|l| l.trim() == command),
            ".ci/run runs `{command}` as written"
        );
    }
    let test = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test"))
        .expect("scripts/test");
    assert!(
        test.lines()
            .any(|l| l.trim() == r#"exec cargo test --locked "$@""#),
        "scripts/test ends in cargo test --locked"
    );
}
