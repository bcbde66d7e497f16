//! `--color auto|always|never`, NO_COLOR and TERM=dumb, on the real binary: colour on the
//! cells it belongs to, and never in JSON, in a snapshot file or where it was turned off.

mod support;

use support::{Repo, task};

const ESC: char = '\u{1b}';
const READY: &str = "\u{1b}[36mready\u{1b}[0m";
const BLOCKED: &str = "\u{1b}[31mblocked\u{1b}[0m";

/// Two tasks, one ready (with `title`), one blocked, and a config key that is logged.
fn repo_titled(title: &str) -> Repo {
    let repo = Repo::new();
    repo.write("warden.toml", "typo_key = 1\n")
        .write(
            "tasks/a.md",
            task(&format!(
                "id: a\ntitle: {title}\nstatus: ready\npriority: p1"
            )),
        )
        .write(
            "tasks/b.md",
            task("id: b\ntitle: Waits\nstatus: blocked\npriority: p2"),
        );
    repo
}

/// A title with an escape sequence of its own (YAML's `\e` is ESC).
fn repo() -> Repo {
    repo_titled("\"Title \\e[35mpink\"")
}

/// `warden ARGS` on a terminal (a pty), with `env` set and NO_COLOR unless given: its
/// output, stdout and stderr together.
fn on_a_terminal(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = repo.command(args);
    cmd.env_remove("NO_COLOR").env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut session = rexpect::session::spawn_command(cmd, Some(15_000)).expect("a pty");
    session.exp_eof().expect("its output")
}

#[test]
fn always_paints_the_status_cells_even_into_a_pipe_and_with_no_color() {
    let repo = repo();
    // The test harness sets NO_COLOR=1, and stdout is a pipe: the flag wins over both.
    let run = repo.run(&["--color", "always", "tasks"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(READY), "{:?}", run.stdout);
    assert!(run.stdout.contains(BLOCKED), "{:?}", run.stdout);
    // The title's own escape is shown, not obeyed: colour is warden's only.
    assert!(run.stdout.contains("Title \\e[35mpink"), "{:?}", run.stdout);
    assert!(!run.stdout.contains("\u{1b}[35mpink"), "{:?}", run.stdout);
    // Padding comes after the colour: the columns line up as without it.
    let plain = repo.run(&["tasks"]).stdout;
    assert_eq!(
        run.stdout
            .replace(READY, "ready")
            .replace(BLOCKED, "blocked"),
        plain
    );
    // And the log on stderr is coloured too.
    assert!(run.stderr.contains(ESC), "{:?}", run.stderr);
}

#[test]
fn no_color_and_a_pipe_and_never_mean_no_escapes() {
    let repo = repo();
    let piped = repo.run(&["tasks"]);
    assert!(!piped.stdout.contains(ESC), "{:?}", piped.stdout);
    assert!(!piped.stderr.contains(ESC), "{:?}", piped.stderr);
    // On a terminal, auto colours...
    let auto = on_a_terminal(&repo, &["tasks"], &[]);
    assert!(auto.contains(READY), "{auto:?}");
    // ...unless NO_COLOR says not to, TERM is dumb, or --color never.
    for (args, env) in [
        (&["tasks"][..], &[("NO_COLOR", "1")][..]),
        (&["tasks"][..], &[("TERM", "dumb")][..]),
        (&["--color", "never", "tasks"][..], &[][..]),
    ] {
        let out = on_a_terminal(&repo, args, env);
        assert!(out.contains("ready"), "{out:?}");
        assert!(!out.contains(ESC), "{args:?} {env:?}: {out:?}");
    }
}

#[test]
fn json_and_the_snapshot_file_never_have_colour() {
    let repo = repo_titled("Plain");
    let json = repo.run(&["--color", "always", "tasks", "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert!(!json.stdout.contains(ESC), "{:?}", json.stdout);
    let beat = repo.run(&["--color=always", "heartbeat", "--once"]);
    assert_eq!(beat.code, 0, "{}", beat.stderr);
    assert!(
        beat.stdout.contains(ESC),
        "the heartbeat text: {:?}",
        beat.stdout
    );
    let file = repo.read("tasks/logs/task_manager/latest.snapshot.json");
    assert!(!file.contains(ESC) && !file.contains("\\u001b"), "{file}");
    let status = repo.run(&["--color", "always", "status"]);
    assert!(
        status.stdout.contains("\u{1b}[36m1 ready\u{1b}[0m"),
        "{:?}",
        status.stdout
    );
    let status_json = repo.run(&["--color", "always", "status", "--json"]);
    assert!(
        !status_json.stdout.contains(ESC),
        "{:?}",
        status_json.stdout
    );
}

#[test]
fn an_unknown_choice_is_a_usage_error() {
    let run = repo().run(&["--color", "sometimes", "tasks"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("auto, always, never"), "{}", run.stderr);
}

#[test]
fn jobs_are_painted_by_how_they_ended() {
    let repo = repo_titled("Plain");
    repo.write(
        ".warden/register.json",
        r#"{"format_version": 1, "jobs": [
  {"job": "j1", "task": "a", "attempt": 1, "argv": ["x"], "started_at": "2026-06-01T11:00:00Z",
   "ended_at": "2026-06-01T11:05:00Z", "end": {"kind": "exited", "code": 1},
   "log_path": "tasks/logs/dispatch-a.log"},
  {"job": "j2", "task": "a", "attempt": 2, "argv": ["x"], "started_at": "2026-06-01T11:10:00Z",
   "ended_at": "2026-06-01T11:15:00Z", "end": {"kind": "exited", "code": 0},
   "log_path": "tasks/logs/dispatch-a.log"},
  {"job": "j3", "task": "b", "attempt": 1, "argv": ["x"], "started_at": "2026-06-01T11:20:00Z",
   "log_path": "tasks/logs/dispatch-b.log"}
]}"#,
    );
    let run = repo.run(&["--color", "always", "jobs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = |job: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(job))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("j1").contains("\u{1b}[31mexit 1\u{1b}[0m"),
        "{:?}",
        line("j1")
    );
    assert!(
        line("j2").contains(" exit 0 "),
        "a clean exit is plain: {:?}",
        line("j2")
    );
    assert!(!line("j2").contains(ESC), "{:?}", line("j2"));
    assert!(
        line("j3").contains("\u{1b}[32mrunning\u{1b}[0m"),
        "{:?}",
        line("j3")
    );
}

#[test]
fn the_help_follows_the_colour_choice_too() {
    let repo = repo_titled("Plain");
    let auto = on_a_terminal(&repo, &["status", "-h"], &[]);
    assert!(auto.contains("Usage:"), "{auto:?}");
    assert!(
        auto.contains(ESC),
        "clap styles its help on a terminal: {auto:?}"
    );
    let never = on_a_terminal(&repo, &["--color", "never", "status", "-h"], &[]);
    assert!(never.contains("Usage:"), "{never:?}");
    assert!(!never.contains(ESC), "{never:?}");
    // The grouped command list, styled by warden, follows the choice like clap's own text.
    let top = on_a_terminal(&repo, &["--help"], &[("NO_COLOR", "1")]);
    assert!(top.contains("Everyday:"), "{top:?}");
    assert!(!top.contains(ESC), "{top:?}");
    let top = on_a_terminal(&repo, &["--help"], &[]);
    assert!(top.contains(ESC), "{top:?}");
}
