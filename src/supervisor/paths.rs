//! Where the supervisor's files and sockets live for one repository, and the names of its
//! tmux server and session. Derived once from the loaded config.

use std::path::{Path, PathBuf};

use crate::config::LoadedConfig;
use crate::dispatch::safe_name;
use crate::heartbeat::REGISTER_FILE;
use crate::tmux::{session_name, socket_file, socket_name};
use crate::worker::socket_path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuntimePaths {
    pub(crate) root: PathBuf,
    pub(crate) state: PathBuf,
    pub(crate) register: PathBuf,
    /// `.warden/jobs/<job>.json`: the wrappers' records.
    pub(crate) jobs: PathBuf,
    pub(crate) lock: PathBuf,
    /// Held by `warden up` while it starts a supervisor.
    pub(crate) start_lock: PathBuf,
    /// The control socket (`warden status`, `dispatch`, `kill`, …), mode 0600.
    pub(crate) control: PathBuf,
    /// The datagram socket the wrappers report to.
    pub(crate) reports: PathBuf,
    pub(crate) logs: PathBuf,
    pub(crate) snapshots: PathBuf,
    pub(crate) worktrees: PathBuf,
    pub(crate) user_layouts: PathBuf,
    pub(crate) tmux_socket: String,
    /// Where the tmux server's socket file is (`tmux -L` puts it there).
    pub(crate) tmux_socket_file: PathBuf,
    pub(crate) session: String,
}

impl RuntimePaths {
    pub(crate) fn new(loaded: &LoadedConfig) -> Self {
        let p = &loaded.config.paths;
        let state = loaded.resolve(&p.state);
        let tmux_socket =
            std::env::var("WARDEN_TMUX_SOCKET").unwrap_or_else(|_| socket_name(&loaded.root));
        Self {
            root: loaded.root.clone(),
            register: state.join(REGISTER_FILE),
            jobs: state.join("jobs"),
            lock: state.join("supervisor.lock"),
            start_lock: state.join("start.lock"),
            control: socket_path(&state, "warden.sock"),
            reports: socket_path(&state, "reports.sock"),
            user_layouts: state.join("layouts"),
            logs: loaded.resolve(&p.logs),
            snapshots: loaded.resolve(&p.snapshots),
            worktrees: loaded.resolve(&p.worktrees),
            tmux_socket_file: socket_file(&tmux_socket),
            tmux_socket,
            session: session_name(&loaded.root),
            state,
        }
    }

    /// `tasks/logs/dispatch-<task>.log`, with the task id made safe for a file name.
    pub(crate) fn log_for(&self, task: &str) -> PathBuf {
        self.logs.join(format!("dispatch-{}.log", safe_name(task)))
    }

    /// The last screen of a reaped pane, beside the log.
    pub(crate) fn screen_for(&self, task: &str, job: &str) -> PathBuf {
        self.logs
            .join(format!("dispatch-{}.{job}.screen.txt", safe_name(task)))
    }

    pub(crate) fn worktree_for(&self, task: &str) -> PathBuf {
        self.worktrees.join(safe_name(task))
    }

    /// The file that releases a job's wrapper, alone in a folder of its own: each waiting
    /// wrapper watches only its own folder, so a launch of 200 does not wake 200 wrappers
    /// for every file the others write.
    pub(crate) fn go_file(&self, job: &str) -> PathBuf {
        self.jobs.join(format!("{job}.release")).join("go")
    }

    /// The name of the layout the running (or last) supervisor uses, for `attach` and cron
    /// passes; `default` when none was recorded.
    pub(crate) fn layout_name(&self) -> String {
        std::fs::read_to_string(self.state.join("layout"))
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".to_owned())
    }

    /// A path relative to the root when it is inside it (for the register and messages).
    pub(crate) fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }
}
