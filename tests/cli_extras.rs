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

#[test]
fn no_color_means_no_escapes_in_logs() {
    let repo = Repo::new();
    repo.write("warden.toml", "typo_key = 1\n");
    let run = repo.run(&["tasks"]);
    assert!(
        run.stderr.contains("unknown key `typo_key`"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "no colour on a pipe or with NO_COLOR: {:?}",
        run.stderr
    );
}
