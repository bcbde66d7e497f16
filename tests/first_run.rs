//! `warden init`, `warden check` and `warden doctor` on a fresh repository.

mod support;

use support::Repo;

fn git_init(repo: &Repo) {
    let ok = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(repo.root())
        .status()
        .expect("git");
    assert!(ok.success());
}

#[test]
fn init_then_check_and_doctor_pass_and_a_second_init_changes_nothing() {
    let repo = Repo::new();
    git_init(&repo);
    let first = repo.run(&["init", "--justfile"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    for needle in [
        "wrote    warden.toml",
        "wrote    scripts/dispatch",
        "wrote    templates/prompt.md",
        "wrote    .gitignore",
        "wrote    justfile",
    ] {
        assert!(first.stdout.contains(needle), "{needle}: {}", first.stdout);
    }
    for line in [".warden/", "tasks/logs/", ".worktrees/"] {
        assert!(repo.read(".gitignore").lines().any(|l| l == line), "{line}");
    }
    assert!(
        repo.read("justfile")
            .contains("manage:\n    warden up --attach")
    );
    let dispatch = repo.read("scripts/dispatch");
    for example in ["claude -p", "exec claude \"$prompt\"", "codex exec"] {
        assert!(dispatch.contains(example), "{example}");
    }
    let snapshot = |r: &Repo| -> Vec<(String, Vec<u8>)> {
        [
            "warden.toml",
            "scripts/dispatch",
            "templates/prompt.md",
            ".gitignore",
            "justfile",
        ]
        .iter()
        .map(|f| ((*f).to_owned(), std::fs::read(r.path(f)).expect("file")))
        .collect()
    };
    let before = snapshot(&repo);

    let check = repo.run(&["check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    // doctor looks at what scripts/dispatch runs: `claude`. Without it on PATH every task
    // would fail with 127, so doctor fails and says how to install it.
    let bare_path = "/usr/local/bin:/usr/bin:/bin";
    let missing = repo.run_env(&["doctor"], &[("PATH", bare_path)]);
    assert_eq!(missing.code, 3, "{}\n{}", missing.stdout, missing.stderr);
    assert!(
        missing
            .stdout
            .contains("FAIL  scripts/dispatch runs claude, which is not on PATH"),
        "{}",
        missing.stdout
    );
    // With a `claude` on PATH, doctor names it and its version.
    let bin = repo.path("fake-bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::write(
        bin.join("claude"),
        "#!/bin/sh\necho '9.9.9 (Claude Code)'\n",
    )
    .expect("claude");
    std::process::Command::new("chmod")
        .args(["+x", &bin.join("claude").to_string_lossy()])
        .status()
        .expect("chmod");
    let with = format!("{}:{bare_path}", bin.display());
    let doctor = repo.run_env(&["doctor"], &[("PATH", with.as_str())]);
    assert_eq!(doctor.code, 0, "{}\n{}", doctor.stdout, doctor.stderr);
    assert!(
        doctor.stdout.contains("(9.9.9 (Claude Code))"),
        "{}",
        doctor.stdout
    );
    assert!(
        doctor.stdout.contains("a private tmux server starts"),
        "{}",
        doctor.stdout
    );
    assert!(
        doctor.stdout.contains("scripts/dispatch is executable"),
        "{}",
        doctor.stdout
    );

    let second = repo.run(&["init"]);
    assert_eq!(second.code, 0);
    assert!(
        second.stdout.contains("kept     warden.toml"),
        "{}",
        second.stdout
    );
    assert_eq!(snapshot(&repo), before, "a second init changes nothing");

    // --force replaces the two files it owns and still never duplicates the appended lines.
    std::fs::write(repo.path("warden.toml"), "[dispatch]\nmax_workers = 9\n").expect("edit");
    let forced = repo.run(&["init", "--force"]);
    assert!(
        forced.stdout.contains("replaced warden.toml"),
        "{}",
        forced.stdout
    );
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn init_keeps_what_a_repository_already_has() {
    let repo = Repo::new();
    repo.write(".gitignore", "target/\n/.warden/\n")
        .write("justfile", "test:\n    cargo test\n");
    let run = repo.run(&["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        repo.read(".gitignore"),
        "target/\n/.warden/\ntasks/logs/\n.worktrees/\n",
        "the .warden line was there; the others are added"
    );
    assert!(
        repo.read("justfile").starts_with("test:\n    cargo test\n"),
        "the old recipes stay"
    );
    assert!(repo.read("justfile").contains("manage:"));
}

#[test]
fn init_makes_no_justfile_unless_asked() {
    let repo = Repo::new();
    let run = repo.run(&["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!repo.path("justfile").exists(), "{}", run.stdout);
    assert!(run.stdout.contains("skipped  justfile"), "{}", run.stdout);
}

#[test]
fn a_folder_that_does_not_exist_is_an_error_and_is_not_created() {
    let repo = Repo::new();
    let typo = repo.path("no-such-folder");
    let run = repo.run(&["-C", &typo.to_string_lossy(), "init"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no such folder"), "{}", run.stderr);
    assert!(!typo.exists(), "the typo became a folder");
}

#[test]
fn doctor_names_what_is_wrong_and_how_to_fix_it() {
    let repo = Repo::new();
    repo.write(
        "warden.toml",
        "[dispatch]\ncommand = [\"scripts/missing-agent\", \"{task}\"]\n",
    );
    let run = repo.run(&["doctor"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.stdout.contains("FAIL  the dispatch command"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("fix: create it"), "{}", run.stdout);
    assert!(
        run.stdout.contains("warden cannot run here yet"),
        "{}",
        run.stdout
    );
}
