//! Bad input never panics, names the file (and line where there is one), and never costs
//! the other files or anything already written.

mod support;

use support::{Repo, task};

/// One repository holding every kind of bad task file beside good ones.
fn hostile_repo() -> Repo {
    let repo = Repo::new();
    repo.write("tasks/good.md", task("id: good\nstatus: ready"))
        .write(
            "tasks/crlf-bom.md",
            "\u{feff}---\r\nid: crlf\r\nstatus: ready\r\n---\r\n# CRLF task\r\n",
        )
        .write(
            "tasks/README.md",
            "# About these tasks\n\nNo front matter: not a task, not an error.\n",
        )
        .write(
            "tasks/bad-yaml.md",
            "---\nid: bad-yaml\nstatus: ready\ntags: [unclosed\n---\n",
        )
        .write(
            "tasks/unclosed.md",
            "---\nid: unclosed\nstatus: ready\n# no closing fence\n",
        )
        .write(
            "tasks/latin1.md",
            b"---\nid: latin1\ntitle: caf\xe9\n---\n".as_slice(),
        )
        .write("tasks/dup-a.md", task("id: same\nstatus: ready"))
        .write("tasks/dup-b.md", task("id: same\nstatus: ready"))
        .write("tasks/status.md", task("id: status\nstatus: someday"));
    let mut bomb = String::from("---\nid: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..14 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    bomb.push_str("---\n");
    repo.write("tasks/bomb.md", bomb);
    let huge = format!(
        "{}{}",
        task("id: huge\nstatus: ready"),
        "x".repeat(2 * 1024 * 1024)
    );
    repo.write("tasks/huge.md", huge);
    repo
}

#[test]
fn check_reports_every_bad_file_with_its_line_and_keeps_the_good_ones() {
    let repo = hostile_repo();
    let started = std::time::Instant::now();
    let run = repo.run(&["check"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "an alias bomb or huge file must not hang"
    );
    assert_eq!(
        run.code, 3,
        "check exits 3 on problems\n{}\n{}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    insta::assert_snapshot!(repo.redact(&run.stdout));

    let queue = repo.run(&["tasks", "--queue", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&queue.stdout).expect("json");
    let ids: Vec<&str> = value["tasks"]
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    // The good files still count; of the duplicates, the first path keeps the id.
    assert_eq!(ids, ["crlf", "good", "same"]);
    let same = value["tasks"]
        .as_array()
        .expect("array")
        .iter()
        .find(|t| t["id"] == "same")
        .expect("same");
    assert_eq!(same["path"], "tasks/dup-a.md");
}

#[test]
fn heartbeat_reports_bad_files_as_task_invalid_signals() {
    let repo = hostile_repo();
    let run = repo.run(&["heartbeat", "--once", "--json", "--no-write"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let invalid: Vec<(String, Option<u64>)> = value["escalation"]["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .filter(|s| s["code"] == "task_invalid")
        .map(|s| {
            (
                s["evidence"]["path"].as_str().expect("path").to_owned(),
                s["evidence"]["line"].as_u64(),
            )
        })
        .collect();
    let mut paths: Vec<&str> = invalid.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "tasks/bad-yaml.md",
            "tasks/bomb.md",
            "tasks/dup-b.md",
            "tasks/huge.md",
            "tasks/latin1.md",
            "tasks/status.md",
            "tasks/unclosed.md"
        ]
    );
    let line_of = |p: &str| {
        invalid
            .iter()
            .find(|(path, _)| path == p)
            .and_then(|(_, l)| *l)
    };
    assert_eq!(line_of("tasks/status.md"), Some(3));
    assert_eq!(line_of("tasks/latin1.md"), Some(3));
    assert_eq!(line_of("tasks/unclosed.md"), Some(1));
    assert_eq!(value["counts"]["invalid"], 7);
}

#[test]
fn corrupt_register_is_reported_kept_and_blocks_nothing_else() {
    let repo = Repo::new();
    repo.write("tasks/a.md", task("id: a\nstatus: ready"));
    let broken = "{\n  \"format_version\": 1,\n  \"jobs\": [\n    {\"job\": \"j1\",, }\n  ]\n}\n";
    repo.write(".warden/register.json", broken);
    let run = repo.run(&["heartbeat", "--once"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("register UNREADABLE, dispatch refused"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("register_corrupt"), "{}", run.stdout);
    assert!(run.stdout.contains("line 4"), "{}", run.stdout);
    assert_eq!(
        repo.read(".warden/register.json"),
        broken,
        "a corrupt register is never rewritten"
    );
    let snapshot: serde_json::Value =
        serde_json::from_str(&repo.read("tasks/logs/task_manager/latest.snapshot.json"))
            .expect("json");
    assert_eq!(snapshot["register"]["ok"], false);
    assert_eq!(
        snapshot["escalation"]["signals"][0]["code"],
        "register_corrupt"
    );
    assert_eq!(snapshot["escalation"]["signals"][0]["severity"], "critical");

    let check = repo.run(&["check"]);
    assert_eq!(check.code, 3);
    assert!(
        check
            .stdout
            .contains("error[register_corrupt]: .warden/register.json:4: "),
        "{}",
        check.stdout
    );
}

#[test]
fn invalid_config_value_names_file_line_and_form() {
    let repo = Repo::new();
    repo.write(
        "warden.toml",
        "[heartbeat]\n# every 15 minutes\ninterval = \"15 minutes\"\n",
    )
    .write("tasks/a.md", task("id: a\nstatus: ready"));
    let run = repo.run(&["heartbeat", "--once"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let err = repo.redact(&run.stderr);
    assert!(err.contains("[ROOT]/warden.toml"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("like 90s, 15m, 2h"), "{err}");
    assert!(
        !repo.path("tasks/logs").exists(),
        "nothing is written on a config error"
    );
}

#[test]
fn toml_syntax_error_names_the_line() {
    let repo = Repo::new();
    repo.write("warden.toml", "[dispatch]\nmax_workers = \n");
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("warden.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
}

#[test]
fn a_whole_pack_in_one_argument_is_refused_before_anything_is_spent() {
    // The old default (`["claude", "{prompt}"]` with a 200,000-byte pack) could never start
    // once the pack was big: tmux refuses a command over ~16 KiB.
    let repo = Repo::new();
    repo.write(
        "warden.toml",
        "[escalation]\nenabled = true\nmanager_command = [\"claude\", \"{prompt}\"]\n",
    );
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    for needle in [
        "warden.toml",
        "escalation.manager_command",
        "pack_max_bytes = 200000",
        "{prompt_file}",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    // A pack small enough for one argument is fine; so is `{prompt}` with Tier 2 off.
    repo.write(
        "warden.toml",
        "[escalation]\nenabled = true\npack_max_bytes = 12000\nmanager_command = [\"claude\", \"{prompt}\"]\n",
    );
    assert_eq!(repo.run(&["check"]).code, 0);
    repo.write(
        "warden.toml",
        "[escalation]\nmanager_command = [\"claude\", \"{prompt}\"]\n",
    );
    assert_eq!(repo.run(&["check"]).code, 0);
    // The defaults pass the pack by file.
    repo.write("warden.toml", "[escalation]\nenabled = true\n");
    assert_eq!(repo.run(&["check"]).code, 0);
}

#[test]
fn unknown_config_keys_warn_and_carry_on() {
    let repo = Repo::new();
    repo.write(
        "warden.toml",
        "max_worker = 3\n[dispatch]\ncomand = [\"x\"]\n",
    )
    .write("tasks/a.md", task("id: a\nstatus: ready"));
    // check reports them in its report (once, not also as a log line) and still passes.
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for key in ["max_worker", "dispatch.comand"] {
        assert!(
            run.stdout.contains(&format!("unknown key `{key}`")),
            "{}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(&format!("unknown key `{key}`")),
            "{}",
            run.stderr
        );
    }
    assert!(
        repo.redact(&run.stdout)
            .contains("warning: [ROOT]/warden.toml: unknown key"),
        "{}",
        run.stdout
    );
    // Other commands warn on stderr, naming the key and the file, and carry on.
    let beat = repo.run(&["heartbeat", "--once", "--no-write"]);
    assert_eq!(beat.code, 0, "{}", beat.stderr);
    let err = repo.redact(&beat.stderr);
    assert!(
        err.contains("unknown key `max_worker` in [ROOT]/warden.toml"),
        "{err}"
    );
    assert!(
        err.contains("unknown key `dispatch.comand` in [ROOT]/warden.toml"),
        "{err}"
    );
}

#[test]
fn unreadable_snapshot_is_a_clear_error() {
    let repo = Repo::new();
    repo.write("tasks/logs/task_manager/latest.snapshot.json", "{ not json");
    let run = repo.run(&["status"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("failed to parse snapshot"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("latest.snapshot.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_flag_values_are_usage_errors() {
    let repo = Repo::new();
    let run = repo.run(&["heartbeat", "--once", "--interval", "15"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("like 90s, 15m"), "{}", run.stderr);
}

/// Durations so long that adding them to now overflowed: each made `check`, `tasks` and
/// `heartbeat` panic (exit 101). Each is refused where it is written, as any invalid value.
#[test]
fn overlong_durations_are_refused_with_file_line_and_column() {
    for (name, section, key, value) in [
        (
            "repeated_failure_window",
            "thresholds",
            "repeated_failure_window",
            "99999999999d",
        ),
        (
            "worker_idle_after",
            "thresholds",
            "worker_idle_after",
            "9223372036854775s",
        ),
        ("interval", "heartbeat", "interval", "106751991167300d"),
    ] {
        let repo = Repo::new();
        repo.write(
            "warden.toml",
            format!("[{section}]\n# too long\n{key} = \"{value}\"\n"),
        )
        .write("tasks/a.md", task("id: a\nstatus: ready"));
        for args in [
            &["check"][..],
            &["tasks"],
            &["heartbeat", "--once", "--no-write"],
        ] {
            let run = repo.run(args);
            assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
            assert_eq!(run.code, 4, "{key} {args:?}: {}", run.stderr);
            assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        }
        let run = repo.run(&["check"]);
        let err = repo.redact(&run.stderr);
        assert!(err.contains("[ROOT]/warden.toml"), "{err}");
        assert!(err.contains("line 3, column"), "{err}");
        insta::assert_snapshot!(format!("overlong_duration_{name}"), err);
    }
}

/// The same values through the environment variables and flags that back a duration are
/// usage errors (exit 2), not panics.
#[test]
fn overlong_durations_in_flags_and_environment_are_usage_errors() {
    let repo = Repo::new();
    repo.write("tasks/a.md", task("id: a\nstatus: ready"));
    for value in ["99999999999d", "9223372036854775s", "106751991167300d"] {
        let run = repo.run_env(
            &["heartbeat", "--once", "--no-write"],
            &[("WARDEN_HEARTBEAT_INTERVAL", value)],
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_eq!(run.code, 2, "{value}: {}", run.stderr);
        assert!(run.stderr.contains(value), "{}", run.stderr);
        assert!(run.stderr.contains("longer than"), "{}", run.stderr);
        let run = repo.run(&["tasks", "--interval", value]);
        assert_eq!(run.code, 2, "{value}: {}", run.stderr);
        let run = repo.run(&["down", "--timeout", value]);
        assert_eq!(run.code, 2, "{value}: {}", run.stderr);
    }
}

#[test]
fn check_shows_a_broken_prompt_template_with_its_path_and_line() {
    let repo = Repo::new();
    repo.write(
        "warden.toml",
        "[dispatch]\nprompt_template = \"templates/prompt.md\"\n",
    );
    // An unknown variable on line 3.
    repo.write(
        "templates/prompt.md",
        "Task {{ task.id }}\n\nFix {{ task.tilte }} now.\n",
    );
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("error[prompt_template_invalid]: ")
            && run.stdout.contains("templates/prompt.md:3: ")
            && run.stdout.contains("`task.tilte`"),
        "{}",
        run.stdout
    );
    // A syntax error, in the JSON report too.
    repo.write(
        "templates/prompt.md",
        "ok\n{% if task.id %}\nnever closed\n",
    );
    let run = repo.run(&["check", "--json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let problem = &report["problems"][0];
    assert_eq!(problem["code"], "prompt_template_invalid", "{report}");
    assert!(
        problem["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("templates/prompt.md"))
    );
    assert!(problem["line"].as_u64().is_some(), "{report}");
    // `previous` is null on a first attempt: using it unguarded is refused too.
    repo.write("templates/prompt.md", "{{ previous.end }}\n");
    assert_eq!(repo.run(&["check"]).code, 3);
    // A missing template names its path.
    std::fs::remove_file(repo.path("templates/prompt.md")).expect("rm");
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 3);
    assert!(
        run.stdout.contains("templates/prompt.md: "),
        "{}",
        run.stdout
    );
    // A good one passes, and no template at all is the built-in one.
    repo.write(
        "templates/prompt.md",
        "{{ task.title }}\n{% if previous %}{{ previous.log_tail }}{% endif %}\n",
    );
    assert_eq!(repo.run(&["check"]).code, 0);
    repo.write("warden.toml", "");
    assert_eq!(repo.run(&["check"]).code, 0);
}
