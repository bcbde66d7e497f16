//! A repository with a live warden session on its own private tmux server. Dropping it
//! stops the workers, kills that server by its socket name and removes the socket file;
//! nothing else on the machine is touched.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::{Repo, Run};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub(crate) struct Live {
    pub(crate) repo: Repo,
    pub(crate) socket: String,
}

impl Live {
    /// A git repository with `scripts/fake-agent` and this `warden.toml`.
    pub(crate) fn new(config: &str) -> Self {
        Self::with_repo(Repo::new(), config)
    }

    /// `new`, with the repository in a folder of this name (`Repo::in_folder`).
    pub(crate) fn in_folder(name: &str, config: &str) -> Self {
        Self::with_repo(Repo::in_folder(name), config)
    }

    fn with_repo(repo: Repo, config: &str) -> Self {
        let agent = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fake-agent"))
            .expect("fake agent");
        repo.write_aged("scripts/fake-agent", agent, 0);
        make_executable(&repo.path("scripts/fake-agent"));
        let hooks = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/fake-agent-hooks"
        ))
        .expect("fake agent hooks");
        repo.write_aged("scripts/fake-agent-hooks", hooks, 0);
        repo.write_aged("warden.toml", config, 0);
        let git = Command::new("git")
            .args(["init", "-q"])
            .current_dir(repo.root())
            .status()
            .expect("git init");
        assert!(git.success());
        let socket = format!(
            "wt-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Self { repo, socket }
    }

    /// `git ARGS` in the repository; fails the test unless git succeeds. Its stdout.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.repo.root())
            .args(args)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A first (empty) commit, which `git worktree add` needs.
    pub(crate) fn commit_empty(&self) {
        self.git(&[
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ]);
    }

    /// Everything the supervisor's own window shows, its history included.
    pub(crate) fn supervisor_window(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "warden"])
                .stdout,
        )
        .into_owned()
    }

    /// A task file, written now (not aged, so nothing looks stale).
    pub(crate) fn task(&self, id: &str, front: &str) -> &Self {
        self.repo.write_aged(
            &format!("tasks/{id}.md"),
            format!("---\nid: {id}\n{front}\n---\n"),
            0,
        );
        self
    }

    /// `warden ARGS` in the repository, on this test's tmux server, with the real clock.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.repo.command(args);
        // The fake agent's transcripts go in the test's own folder, removed with it.
        let tmp = self.repo.path(".tmp");
        let _ = std::fs::create_dir_all(&tmp);
        cmd.env_remove("WARDEN_FAKE_NOW")
            .env("WARDEN_TMUX_SOCKET", &self.socket)
            .env("TMPDIR", tmp);
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run warden"))
    }

    pub(crate) fn up(&self, extra: &[&str]) {
        let mut args = vec!["up"];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        assert_eq!(
            run.code, 0,
            "warden up failed:\n{}\n{}",
            run.stdout, run.stderr
        );
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .output()
            .expect("run tmux")
    }

    pub(crate) fn register(&self) -> serde_json::Value {
        let text =
            std::fs::read_to_string(self.repo.path(".warden/register.json")).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// The register's jobs for one task, in attempt order.
    pub(crate) fn jobs(&self, task: &str) -> Vec<serde_json::Value> {
        let mut jobs: Vec<serde_json::Value> = self.register()["jobs"]
            .as_array()
            .map(|a| a.iter().filter(|j| j["task"] == task).cloned().collect())
            .unwrap_or_default();
        jobs.sort_by_key(|j| j["attempt"].as_u64());
        jobs
    }

    pub(crate) fn ended(job: &serde_json::Value) -> bool {
        !job["ended_at"].is_null()
    }

    pub(crate) fn snapshot(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(
            self.repo
                .path("tasks/logs/task_manager/latest.snapshot.json"),
        )
        .unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    pub(crate) fn signal_codes(&self) -> Vec<(String, String)> {
        self.snapshot()["escalation"]["signals"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        (
                            s["code"].as_str().unwrap_or("").to_owned(),
                            s["subject"]["id"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn supervisor_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.repo.path(".warden/supervisor.lock"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Polls `check` every 50 ms until it holds, or fails the test naming `what`.
    pub(crate) fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&Self) -> bool) {
        let start = Instant::now();
        while !check(self) {
            if start.elapsed() > timeout {
                let screen = self.tmux(&["list-panes", "-a", "-F", "#{pane_id} #{window_name} dead=#{pane_dead} status=#{pane_dead_status} #{@warden_job}"]);
                panic!(
                    "timed out after {timeout:?} waiting for {what}\nregister: {}\npanes:\n{}",
                    serde_json::to_string_pretty(&self.register()).unwrap_or_default(),
                    String::from_utf8_lossy(&screen.stdout)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls `check` every 50 ms until it holds, or fails the test naming `what`, like
    /// `wait_for`, but never asks tmux anything, not even for the failure message: for
    /// while the test's tmux server is stopped or gone.
    pub(crate) fn wait_until(&self, what: &str, timeout: Duration, check: impl Fn(&Self) -> bool) {
        let start = Instant::now();
        while !check(self) {
            if start.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for {what}\nregister: {}\nsignals: {:?}",
                    serde_json::to_string_pretty(&self.register()).unwrap_or_default(),
                    self.signal_codes()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `tmux ARGS` on this test's server, killed after `timeout` (a stopped server never
    /// answers): `None` when it did not finish in time.
    pub(crate) fn tmux_within(&self, args: &[&str], timeout: Duration) -> Option<Output> {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE");
        output_within(cmd, timeout).0
    }

    /// The pid of this test's tmux server, asked with a 5 s timeout.
    pub(crate) fn server_pid(&self) -> Option<i32> {
        let out = self.tmux_within(&["display-message", "-p", "#{pid}"], Duration::from_secs(5))?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }

    /// `warden ARGS`, killed after `limit`: the run (`None` when it had to be killed) and
    /// how long it took.
    pub(crate) fn run_within(&self, args: &[&str], limit: Duration) -> (Option<Run>, Duration) {
        let (out, took) = output_within(self.command(args), limit);
        (out.map(Run::from), took)
    }

    pub(crate) fn socket_file(&self) -> PathBuf {
        let dir =
            std::env::var_os("TMUX_TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        dir.join(format!("tmux-{}", nix_uid())).join(&self.socket)
    }

    pub(crate) fn server_alive(&self) -> bool {
        self.tmux(&["list-sessions"]).status.success()
    }
}

/// Runs `cmd` (stdin closed, output captured), killing it after `limit`. Returns its
/// output, or `None` when it was killed, and the time it took. The output is read on threads
/// that are left behind when the command is killed, so a grandchild holding the pipes open
/// cannot block the test.
pub(crate) fn output_within(mut cmd: Command, limit: Duration) -> (Option<Output>, Duration) {
    use std::io::Read;
    use std::process::Stdio;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let took = start.elapsed();
                // Whatever is still writing to the pipes gets a moment, not forever.
                let wait = Duration::from_secs(2);
                let output = Output {
                    status,
                    stdout: stdout.recv_timeout(wait).unwrap_or_default(),
                    stderr: stderr.recv_timeout(wait).unwrap_or_default(),
                };
                return (Some(output), took);
            }
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return (None, start.elapsed());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("failed to wait for {cmd:?}: {e}"),
        }
    }
}

/// Whether a process runs: its `/proc` entry exists and it is not a zombie (a pane process
/// tmux has not reaped yet, or an orphan nobody reaps in a container, is gone for us).
pub(crate) fn process_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
        })
        .unwrap_or(false)
}

fn nix_uid() -> u32 {
    // The uid without a libc dependency: the owner of /proc/self.
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

fn make_executable(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self
            .command(&["down", "--kill-workers", "--timeout", "1s"])
            .output();
        let _ = self.tmux(&["kill-server"]);
        let start = Instant::now();
        while self.server_alive() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(self.socket_file());
    }
}

/// A job's end in short: `exit 3`, `signal KILL`, `lost`, or `running`.
pub(crate) fn end_of(job: &serde_json::Value) -> String {
    let end = &job["end"];
    match end["kind"].as_str() {
        Some("exited") => format!("exit {}", end["code"]),
        Some("signaled") => format!("signal {}", end["signal"].as_str().unwrap_or("?")),
        Some(other) => other.to_owned(),
        None => "running".to_owned(),
    }
}

/// The wrapper's record says the job ended.
pub(crate) fn record_ended(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v["ended_at"].is_string())
}
