//! Text from task files and paths never reaches the terminal raw: an id or title holding
//! `ESC ] 0 ; … BEL` (a window title), `ESC [ 31 m` (colour), OSC 52 (the clipboard on
//! some terminals), C1 controls or a newline is shown as visible escapes, one line per
//! task, while `--json` keeps the exact text.

mod support;

use std::time::Duration;

use support::live::Live;
use support::{Repo, task};

const WAIT: Duration = Duration::from_secs(30);

/// An id as YAML writes it (double-quoted escapes) and as it really is: refused by the
/// parser, but still quoted back in the problem and by commands given it.
const EVIL_ID_YAML: &str = r#""evil\e]0;pwned\a\e[31mRED\nnext""#;
const EVIL_ID: &str = "evil\x1b]0;pwned\x07\x1b[31mRED\nnext";
const EVIL_ID_SHOWN: &str = r"evil\e]0;pwned\x07\e[31mRED\nnext";
/// A title may hold anything; it is shown escaped.
const EVIL_TITLE_YAML: &str = r#""\e]52;c;cHduZWQ=\a\e[2Jtitle\rover\x9b31m""#;
const EVIL_TITLE: &str = "\x1b]52;c;cHduZWQ=\x07\x1b[2Jtitle\rover\u{9b}31m";
const EVIL_TITLE_SHOWN: &str = r"\e]52;c;cHduZWQ=\x07\e[2Jtitle\rover\u{9b}31m";

fn hostile_repo() -> Repo {
    let repo = Repo::new();
    repo.write(
        "tasks/evil.md",
        task(&format!("id: {EVIL_ID_YAML}\nstatus: ready")),
    )
    .write(
        "tasks/titled.md",
        task(&format!("id: titled\ntitle: {EVIL_TITLE_YAML}\nstatus: ready")),
    )
    .write(
        "tasks/plain.md",
        task("id: plain\ntitle: Café — naïve 日本語\nstatus: ready\ndepends_on: [\"ghost\\e[5m\\nX\"]"),
    )
    .write(
        "tasks/bad-status.md",
        task("id: bad-status\nstatus: \"\\e[31msomeday\\a\""),
    )
    // A path is text from outside too.
    .write(
        "tasks/name\x1b]0;x\x07\nline.md",
        task("id: named\nstatus: [unclosed"),
    );
    repo
}

/// No control character but the newlines that end lines.
fn assert_safe(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && c.is_control())
        .collect();
    assert!(
        bad.is_empty(),
        "{what} printed control characters {bad:?}:\n{}",
        text.escape_debug()
    );
}

#[test]
fn tasks_shows_one_line_per_task_and_no_control_characters() {
    let repo = hostile_repo();
    let run = repo.run(&["tasks"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_safe("warden tasks", &run.stdout);
    assert_safe("warden tasks (stderr)", &run.stderr);
    assert_eq!(
        run.stdout.lines().count(),
        1 + 2,
        "a header and one line per task (three of the five files are invalid):\n{}",
        run.stdout
    );
    assert!(run.stdout.contains(EVIL_TITLE_SHOWN), "{}", run.stdout);
    assert!(
        run.stdout.contains("Café — naïve 日本語"),
        "ordinary unicode is left alone: {}",
        run.stdout
    );

    let queue = repo.run(&["tasks", "--queue"]);
    assert_eq!(queue.code, 0, "{}", queue.stderr);
    assert_safe("warden tasks --queue", &queue.stdout);
    assert_eq!(queue.stdout.lines().count(), 1 + 1, "{}", queue.stdout);

    // JSON keeps the exact text: it escapes control characters itself.
    let json = repo.run(&["tasks", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert!(
        value["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["title"] == EVIL_TITLE),
        "{}",
        json.stdout
    );
}

#[test]
fn check_shows_one_line_per_problem_and_no_control_characters() {
    let repo = hostile_repo();
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert_safe("warden check", &run.stdout);
    assert_safe("warden check (stderr)", &run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l.starts_with("error[")),
        "one line per problem:\n{}",
        run.stdout
    );
    assert_eq!(lines.len(), 4 + 1, "{}", run.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("tasks/evil.md:2") && l.contains("control character")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(r"tasks/name\e]0;x\x07\nline.md"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(r"ghost\e[5m\nX"), "{}", run.stdout);
}

#[test]
fn heartbeat_and_status_show_no_control_characters() {
    let repo = hostile_repo();
    let run = repo.run(&["heartbeat", "--once"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_safe("warden heartbeat --once", &run.stdout);
    assert_safe("warden heartbeat --once (stderr)", &run.stderr);
    let queue: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("queue"))
        .collect();
    assert_eq!(queue, ["queue    1: titled (p2)"], "{}", run.stdout);
    let signals = run
        .stdout
        .split_once("Escalation signals (")
        .map(|(_, rest)| rest)
        .expect("signals");
    let (count, rows) = signals.split_once(")\n").expect("count");
    assert_eq!(
        rows.lines().count(),
        count.parse::<usize>().expect("a number"),
        "one line per signal:\n{}",
        run.stdout
    );

    let status = repo.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert_safe("warden status", &status.stdout);
    assert_eq!(status.stdout.lines().next(), run.stdout.lines().next());

    let json = repo.run(&["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(value["queue"][0], "titled");
}

#[test]
fn errors_that_quote_task_text_show_no_control_characters() {
    let repo = hostile_repo();
    for args in [
        &["logs", EVIL_ID][..],
        &["attach", EVIL_ID],
        &["dispatch", EVIL_ID],
        &["kill", EVIL_ID],
    ] {
        let run = repo.run(args);
        assert_ne!(run.code, 0, "{args:?}");
        assert_safe(&format!("warden {}", args[0]), &run.stdout);
        assert_safe(&format!("warden {} (stderr)", args[0]), &run.stderr);
    }
}

/// Tier 2's ledger quotes alert keys (with task ids), manager errors, commands and paths.
#[test]
fn escalations_show_no_control_characters() {
    let repo = hostile_repo();
    let key = format!("dispatch_failed/task:{EVIL_ID}");
    let at = "2026-06-01T11:00:00Z";
    let ledger = serde_json::json!({
        "format_version": 1,
        "dry_run": false,
        "state": {
            "alerts": { key.clone(): {
                "key": key,
                "code": "dispatch_failed",
                "subject": { "kind": "task", "id": EVIL_ID },
                "task": EVIL_ID,
                "severity": "warning",
                "message": format!("{EVIL_ID} failed"),
                "state": "firing",
                "episode": 1,
                "pending_since": at,
            }},
            "spawns": [],
            "cooldowns": {},
            "silences": {},
            "live": [],
            "next_action": 2,
            "needs_human": false,
        },
        "actions": [{
            "id": "m\x1b[8m1",
            "mode": "window",
            "keys": [key],
            "phase": "failed",
            "created_at": at,
            "pack_dir": "/tmp/pack\x1b]0;x\x07\ndir",
            "argv": ["agent", "\x1b[2J"],
            "error": "tmux said \x1b[31mno\r\nway",
        }],
        "decisions": [{
            "at": at,
            "outcome": "fired",
            "decision": { "kind": "fired", "key": key, "severity": "warning" },
            "argv": ["agent", "\x1b[2J\nprompt"],
            "pack_dir": "/tmp/pack\x1b]0;x\x07\ndir",
            "detail": format!("dispatch_failed fired for {EVIL_ID}"),
        }],
    });
    repo.write(".warden/ledger.json", ledger.to_string());
    let run = repo.run(&["escalations"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_safe("warden escalations", &run.stdout);
    // A header, one alert, one manager, one decision with its command and its pack.
    assert_eq!(run.stdout.lines().count(), 6, "{}", run.stdout);
    assert!(run.stdout.contains(EVIL_ID_SHOWN), "{}", run.stdout);
    let json = repo.run(&["escalations", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(value["format_version"], 1);
    assert_eq!(
        value["ledgers"][0]["state"]["alerts"][&key]["task"],
        EVIL_ID
    );

    // Alert commands quote the key back, in their answer or their error.
    for args in [
        &["silence", key.as_str(), "--for", "1h"][..],
        &["ack", "no-such\x1b]0;x\x07key"],
    ] {
        let run = repo.run(args);
        assert_safe(&format!("warden {}", args[0]), &run.stdout);
        assert_safe(&format!("warden {} (stderr)", args[0]), &run.stderr);
    }
}

/// tmux expands formats in a start folder, a window name, a `pipe-pane` command and a
/// status-line message: a `#(…)` there runs a shell command, a `#{…}` is replaced. A
/// repository whose path holds either works like any other, and runs nothing.
fn a_hash_in_the_repository_path_is_literal(folder: &str) {
    let live = Live::in_folder(
        folder,
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\n[heartbeat]\ninterval = \"1s\"\n",
    );
    live.task("job", "status: ready\nfake: exit 3 0.2");
    // Formats in an id too: its window name and its log header keep them literal.
    live.repo.write_aged(
        "tasks/evil.md",
        task("id: \"evil#{pane_id}#(touch PWNED)\"\nstatus: ready\nfake: exit 0 0.2"),
        0,
    );
    live.up(&[]);
    live.wait_for("both jobs to end", WAIT, |l| {
        ["job", "evil#{pane_id}#(touch PWNED)"]
            .iter()
            .all(|t| l.jobs(t).first().is_some_and(Live::ended))
    });
    // A `#(…)` job runs in the background: give it time to show.
    std::thread::sleep(Duration::from_millis(500));
    let mut found = Vec::new();
    find_named(live.repo.temp(), "PWNED", &mut found);
    for dir in [
        std::env::var_os("HOME"),
        std::env::current_dir().ok().map(Into::into),
    ]
    .into_iter()
    .flatten()
    {
        let path = std::path::Path::new(&dir).join("PWNED");
        if path.exists() {
            found.push(path);
        }
    }
    assert!(found.is_empty(), "tmux ran `touch PWNED`: {found:?}");
    let job = &live.jobs("job")[0];
    assert_eq!(job["end"]["kind"], "exited", "{job:#}");
    assert_eq!(job["end"]["code"], 3, "{job:#}");
    let log = live.repo.read("tasks/logs/dispatch-job.log");
    assert!(
        log.contains("[fake-agent] task: 'job'"),
        "the pane's output reaches the log:\n{log}"
    );
    let evil = &live.jobs("evil#{pane_id}#(touch PWNED)")[0];
    assert_eq!(evil["end"]["code"], 0, "{evil:#}");
    let log = std::fs::read_to_string(
        live.repo
            .root()
            .join(evil["log_path"].as_str().expect("log path")),
    )
    .expect("log");
    assert!(
        log.contains("of evil#{pane_id}#(touch PWNED) started"),
        "the log header shows the id as written:\n{log}"
    );
    let windows = live.tmux(&["list-windows", "-a", "-F", "#{window_name}"]);
    let names = String::from_utf8_lossy(&windows.stdout).into_owned();
    assert!(
        names
            .lines()
            .any(|n| n.starts_with("w-evil__pane_id___touch_PWNED_-")),
        "the window is named for the id, not for what tmux would expand: {names:?}"
    );
}

fn find_named(dir: &std::path::Path, name: &str, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_name() == name {
            found.push(path.clone());
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            find_named(&path, name, found);
        }
    }
}

#[test]
fn a_shell_command_format_in_the_repository_path_is_not_run() {
    a_hash_in_the_repository_path_is_literal("p#(touch PWNED)q");
}

#[test]
fn a_variable_format_in_the_repository_path_is_not_replaced() {
    a_hash_in_the_repository_path_is_literal("h#{pane_id}d");
}
