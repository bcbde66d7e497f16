//! Shell completions and the man page, generated from the command line's definition.

mod support;

use support::Repo;

#[test]
fn completions_for_each_shell_name_the_commands() {
    let repo = Repo::new();
    for shell in ["bash", "zsh", "fish"] {
        let run = repo.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for command in ["heartbeat", "up", "escalate", "doctor"] {
            assert!(
                run.stdout.contains(command),
                "{shell} completions mention {command}"
            );
        }
    }
    let bad = repo.run(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "an unknown shell is a usage error");
}

#[test]
fn the_committed_man_page_is_the_generated_one() {
    let repo = Repo::new();
    let run = repo.run(&["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(".TH warden 1"), "{}", run.stdout);
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/warden.1"))
        .expect("docs/warden.1");
    assert_eq!(
        run.stdout, committed,
        "regenerate it: cargo run -- man > docs/warden.1"
    );
}

/// A log line of `warden tasks` run on a terminal (a pty), with or without `NO_COLOR`.
fn log_on_a_terminal(no_color: bool) -> String {
    let repo = Repo::new();
    repo.write("warden.toml", "typo_key = 1\n");
    let mut cmd = repo.command(&["tasks"]);
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    cmd.env("TERM", "xterm-256color");
    let mut session =
        rexpect::session::spawn_command(cmd, Some(15_000)).expect("warden tasks in a pty");
    session.exp_eof().expect("its output")
}

#[test]
fn no_color_means_no_escapes_in_logs() {
    // On a terminal the log is coloured, so the test can see colour when there is some...
    let coloured = log_on_a_terminal(false);
    assert!(coloured.contains("unknown key `typo_key`"), "{coloured:?}");
    assert!(
        coloured.contains('\u{1b}'),
        "a terminal without NO_COLOR gets colour: {coloured:?}"
    );
    // ... and NO_COLOR takes it away on that same terminal.
    let plain = log_on_a_terminal(true);
    assert!(plain.contains("unknown key `typo_key`"), "{plain:?}");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
}

#[test]
fn reload_without_a_supervisor_says_so() {
    let repo = support::Repo::new();
    let run = repo.run(&["reload"]);
    assert_eq!(run.code, 7, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("no supervisor is running"),
        "{}",
        run.stderr
    );
}

#[test]
fn warden_alone_prints_a_short_overview() {
    let repo = support::Repo::new();
    let run = repo.run(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Everyday:"), "{}", run.stdout);
    assert!(run.stdout.contains("warden up --attach"), "{}", run.stdout);
    assert!(run.stdout.lines().count() < 30, "short: {}", run.stdout);
}

/// Each command's `--json` names the version of its shape (docs/json-outputs.md).
#[test]
fn every_json_output_carries_a_format_version() {
    let repo = Repo::new();
    repo.write(
        "warden.toml",
        "[dispatch]\ncommand = [\"sh\", \"-c\", \"true\"]\n",
    );
    for command in [
        &["doctor", "--json"][..],
        &["layouts", "--json"],
        &["escalations", "--json"],
        &["jobs", "--json"],
        &["config", "--json"],
        &["tasks", "--json"],
        &["check", "--json"],
    ] {
        let run = repo.run(command);
        let value: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{command:?}: {e}\n{}\n{}", run.stdout, run.stderr));
        assert_eq!(value["format_version"], 1, "{command:?}: {}", run.stdout);
    }
}
