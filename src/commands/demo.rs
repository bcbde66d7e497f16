//! `warden demo [--keep] [--live-escalation]`: the whole job in about a minute on a
//! throwaway repository. It makes a git repository with ten tasks (priorities, a dependency
//! chain, one task whose agent keeps failing, one that goes silent, one malformed file) and
//! the project's fake agent as the dispatch command, starts a private warden session with
//! escalation in dry-run, prints what happens as it happens, and ends with a summary. Then
//! it removes everything it made (or, with `--keep`, says how to attach).

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::output::{print, print_exact};
use crate::error::Error;
use crate::escape::{terminal_safe, terminal_safe_lines};
use crate::exit_code::ExitCode;

const FAKE_AGENT: &str = include_str!("../../scripts/fake-agent");
/// Its hooks mode, which it finds beside itself.
const FAKE_AGENT_HOOKS: &str = include_str!("../../scripts/fake-agent-hooks");

const TASKS: &[(&str, &str)] = &[
    (
        "setup",
        "title: Set up the project skeleton\nstatus: ready\npriority: p0\nfake: complete 1",
    ),
    (
        "schema",
        "title: Design the data schema\nstatus: ready\npriority: p1\ndepends_on: [setup]\nfake: complete 1.5",
    ),
    (
        "api",
        "title: Build the API on the schema\nstatus: ready\npriority: p1\ndepends_on: [schema]\nfake: complete 1.5",
    ),
    (
        "ui",
        "title: Dashboard UI\nstatus: ready\npriority: p2\ndepends_on: [api]\nfake: complete 1",
    ),
    (
        "flaky",
        "title: Fix the flaky integration test\nstatus: ready\npriority: p1\nfake: exit 1 0.5",
    ),
    (
        "quiet",
        "title: Migrate the old data (goes silent)\nstatus: ready\npriority: p2\nfake: silent 30",
    ),
    (
        "lint",
        "title: Clean up lint warnings\nstatus: ready\npriority: p2\nfake: complete 1",
    ),
    (
        "docs",
        "title: Write the README\nstatus: ready\npriority: p3\nfake: complete 1",
    ),
    (
        "bench",
        "title: Add a benchmark\nstatus: backlog\npriority: p3\nfake: ok 1",
    ),
];

fn write(root: &Path, rel: &str, text: &str) -> Result<(), Error> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    }
    std::fs::write(&path, text).map_err(Error::io("write", &path))
}

fn make_repo(root: &Path, live_escalation: bool) -> Result<(), Error> {
    write(root, "scripts/fake-agent", FAKE_AGENT)?;
    write(root, "scripts/fake-agent-hooks", FAKE_AGENT_HOOKS)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            root.join("scripts/fake-agent"),
            std::fs::Permissions::from_mode(0o755),
        )
        .map_err(Error::io(
            "make executable",
            root.join("scripts/fake-agent"),
        ))?;
    }
    let config = format!(
        "# The warden demo's repository: a fake agent instead of claude, short timings.\n\
         [dispatch]\ncommand = [\"scripts/fake-agent\"]\nmax_workers = 3\nmax_attempts = 3\n\
         backoff_initial = \"1s\"\nbackoff_max = \"2s\"\nkeep_dead_panes = \"1m\"\n\n\
         [heartbeat]\ninterval = \"1s\"\n\n[thresholds]\nstall_after = \"6s\"\n\n\
         [escalation]\nenabled = true\ndry_run = {}\nhold = \"2s\"\n\
         manager_command = [\"scripts/fake-agent\", \"silent\", \"600\", \"--\", \"{{prompt_file}}\"]\n",
        !live_escalation
    );
    write(root, "warden.toml", &config)?;
    for (id, front) in TASKS {
        write(
            root,
            &format!("tasks/{id}.md"),
            &format!("---\nid: {id}\n{front}\n---\n\nA demo task.\n"),
        )?;
    }
    write(
        root,
        "tasks/broken.md",
        "---\nid: broken\nstatus: in progres\n---\nA task file with a typo in its status.\n",
    )?;
    write(
        root,
        "tasks/README.md",
        "# Tasks\n\nNo front matter: not a task.\n",
    )?;
    let git = |args: &[&str]| Command::new("git").arg("-C").arg(root).args(args).output();
    git(&["init", "-q"]).map_err(|source| Error::Run {
        what: "run git".to_owned(),
        source,
    })?;
    let _ = git(&["add", "-A"]);
    let _ = git(&[
        "-c",
        "user.email=demo@warden.invalid",
        "-c",
        "user.name=warden demo",
        "commit",
        "-q",
        "-m",
        "demo backlog",
    ]);
    Ok(())
}

fn warden(exe: &Path, root: &Path, args: &[&str]) -> Result<std::process::Output, Error> {
    Command::new(exe)
        .arg("-C")
        .arg(root)
        .args(args)
        .env_remove("WARDEN_FAKE_NOW")
        .env_remove("WARDEN_CONFIG")
        .output()
        .map_err(|source| Error::Run {
            what: format!("run warden {}", args.join(" ")),
            source,
        })
}

fn json(path: &Path) -> serde_json::Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// What the demo has reported so far, so each event is printed once.
#[derive(Default)]
struct Seen {
    jobs: BTreeSet<String>,
    ends: BTreeSet<String>,
    signals: BTreeSet<String>,
    decisions: usize,
    escalated: Option<String>,
}

impl Seen {
    /// Prints new events from the register, the snapshot and the dry-run ledger. On a
    /// terminal a status line below them shows what runs and what waits; a pipe gets the
    /// events only.
    fn report(&mut self, root: &Path, started: Instant, tty: bool) -> Result<(), Error> {
        let t = started.elapsed().as_secs_f64();
        let mut out = String::new();
        let register = json(&root.join(".warden/register.json"));
        for job in register["jobs"].as_array().into_iter().flatten() {
            let id = job["job"].as_str().unwrap_or("?").to_owned();
            let task = job["task"].as_str().unwrap_or("?");
            if self.jobs.insert(id.clone()) {
                out.push_str(&format!(
                    "{t:5.1}s  dispatch  {task} as {id} (attempt {})\n",
                    job["attempt"]
                ));
            }
            if !job["end"].is_null() && self.ends.insert(id.clone()) {
                let end = &job["end"];
                let how = match end["kind"].as_str() {
                    Some("exited") => format!("exit {}", end["code"]),
                    Some("signaled") => {
                        format!("killed by {}", end["signal"].as_str().unwrap_or("?"))
                    }
                    _ => "lost".to_owned(),
                };
                out.push_str(&format!("{t:5.1}s  exit      {task} ({id}): {how}\n"));
            }
        }
        let snapshot = json(&root.join("tasks/logs/task_manager/latest.snapshot.json"));
        for s in snapshot["escalation"]["signals"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let key = format!(
                "{}/{}",
                s["code"].as_str().unwrap_or(""),
                s["subject"]["id"].as_str().unwrap_or("")
            );
            if self.signals.insert(key) {
                out.push_str(&format!(
                    "{t:5.1}s  signal    {} {}: {}\n",
                    s["severity"].as_str().unwrap_or(""),
                    s["code"].as_str().unwrap_or(""),
                    s["message"].as_str().unwrap_or("")
                ));
            }
        }
        for name in ["ledger.dry-run.json", "ledger.json"] {
            let ledger = json(&root.join(".warden").join(name));
            let decisions = ledger["decisions"].as_array().cloned().unwrap_or_default();
            for d in decisions.iter().skip(self.decisions) {
                let outcome = d["outcome"].as_str().unwrap_or("");
                if outcome == "fired" {
                    continue;
                }
                out.push_str(&format!(
                    "{t:5.1}s  tier 2    {outcome}: {}\n",
                    d["detail"].as_str().unwrap_or("")
                ));
                if matches!(outcome, "would_spawn" | "spawn")
                    && let Some(dir) = d["pack_dir"].as_str()
                {
                    self.escalated = Some(format!("{dir}/context.md"));
                }
            }
            if !decisions.is_empty() {
                self.decisions = decisions.len();
            }
        }
        if tty {
            let names = |v: &serde_json::Value, field: &str| -> String {
                let list: Vec<&str> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| {
                        if field.is_empty() {
                            x.as_str()
                        } else {
                            x[field].as_str()
                        }
                    })
                    .collect();
                if list.is_empty() {
                    "none".to_owned()
                } else {
                    list.join(", ")
                }
            };
            let status = format!(
                "  running: {} · waiting: {}",
                names(&snapshot["workers"], "task"),
                names(&snapshot["queue"], "")
            );
            // Clear the old status line, print the events, redraw the status line.
            print_exact(&format!(
                "\r\x1b[K{}{}",
                terminal_safe_lines(&out),
                terminal_safe(&status)
            ))?;
        } else if !out.is_empty() {
            print(&out)?;
        }
        Ok(())
    }
}

fn finished(root: &Path, seen: &Seen) -> bool {
    let snapshot = json(&root.join("tasks/logs/task_manager/latest.snapshot.json"));
    let done = ["setup", "schema", "api", "ui", "lint", "docs"]
        .iter()
        .all(|id| {
            snapshot["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["id"] == *id && t["status"] == "completed")
        });
    let stalled = seen
        .signals
        .iter()
        .any(|s| s.starts_with("dispatch_stalled/"));
    done && stalled && seen.escalated.is_some()
}

pub(crate) fn run(keep: bool, live_escalation: bool) -> Result<ExitCode, Error> {
    let exe = std::env::current_exe().map_err(|source| Error::Run {
        what: "find the warden binary".to_owned(),
        source,
    })?;
    let dir = tempfile::Builder::new()
        .prefix("warden-demo-")
        .tempdir_in("/tmp")
        .map_err(Error::io("make a folder in", "/tmp"))?;
    let root: PathBuf = dir
        .path()
        .canonicalize()
        .map_err(Error::io("resolve", dir.path()))?;
    make_repo(&root, live_escalation)?;
    let tty = std::io::stdout().is_terminal();
    print(&format!(
        "warden demo: {} tasks in a throwaway repository {}\n  the dispatch command is a scripted fake agent; escalation is {}\n\n",
        TASKS.len() + 1,
        root.display(),
        if live_escalation {
            "live (the fake manager is spawned for real)"
        } else {
            "in dry-run (decided, never spawned)"
        }
    ))?;
    let up = warden(&exe, &root, &["up"])?;
    if !up.status.success() {
        return Err(Error::Failed(format!(
            "failed to start the demo session: {}",
            String::from_utf8_lossy(&up.stderr).trim()
        )));
    }
    let started = Instant::now();
    let mut seen = Seen::default();
    let result = (|| -> Result<bool, Error> {
        while started.elapsed() < Duration::from_secs(75) {
            std::thread::sleep(Duration::from_millis(250));
            seen.report(&root, started, tty)?;
            if finished(&root, &seen) {
                return Ok(true);
            }
        }
        Ok(false)
    })();
    let complete = result?;
    if tty {
        print_exact("\r\x1b[K")?;
    }
    let status = warden(&exe, &root, &["status"])?;
    let mut summary = String::new();
    summary.push_str(&format!(
        "\n== summary after {:.0}s{}\n",
        started.elapsed().as_secs_f64(),
        if complete {
            ""
        } else {
            " (time limit reached)"
        }
    ));
    summary.push_str(&String::from_utf8_lossy(&status.stdout));
    match (&seen.escalated, keep) {
        (Some(pack), true) => summary.push_str(&format!(
            "\nThe escalation's context pack (what a manager agent would read): {pack}\n"
        )),
        // Its path would name a file that is gone a moment later.
        (Some(_), false) => summary.push_str(
            "\nTier 2 wrote a context pack (context.md, what a manager agent would read); it goes with the demo: `warden demo --keep` keeps it to read.\n",
        ),
        (None, _) => summary.push_str("\nNo escalation happened within the time limit.\n"),
    }
    print(&summary)?;
    if keep {
        let kept = dir.keep();
        print(&format!(
            "\nThe session is still running.\n  attach: {exe} -C {root} attach    (detach with C-b d)\n  stop:   {exe} -C {root} down --kill-workers && rm -rf {root}\n",
            exe = exe.display(),
            root = kept.display()
        ))?;
        return Ok(ExitCode::Ok);
    }
    let _ = warden(&exe, &root, &["down", "--kill-workers", "--timeout", "2s"]);
    drop(dir);
    if tty {
        print(
            "\nThe demo's session and repository are removed. Try it on your own repository: see README.md.\n",
        )?;
    } else {
        print("\nremoved the demo's session and repository\n")?;
    }
    print(
        "\nNext, on your own repository:\n  cargo install --locked --path .   (from warden's folder)\n  cd your-repo && warden init --agent claude && warden doctor\n  warden up --attach\n",
    )?;
    Ok(if complete {
        ExitCode::Ok
    } else {
        ExitCode::Failure
    })
}
