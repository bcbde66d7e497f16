//! Unit-test rigs for the supervisor: a throwaway repository, the recording fake tmux port,
//! and a clock that moves only when the test says so. No real tmux, no real worker: the
//! fake's pids are beyond `PID_MAX_LIMIT`, so no signal a test sends reaches a process.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use chrono::TimeDelta;

use super::event::{Event, Now};
use super::protocol::{Request, Response};
use super::run::Supervisor;
use crate::config::{Overrides, load};
use crate::layout::load_layout;
use crate::register::{JobEnd, JobRecord, Register};
use crate::snapshot::Snapshot;
use crate::tmux::{
    Batch, Call, FakeTmux, NewPane, OptionSet, PaneRow, Spawn, TmuxError, TmuxPort, WindowSpec,
};
use crate::worker::{WorkerRecord, record_path};

/// A live job record for tests.
pub(crate) fn job(id: &str, task: &str) -> JobRecord {
    JobRecord {
        argv: vec!["agent".to_owned()],
        ..crate::register::testing::job(id, task, 1, chrono::Utc::now())
    }
}

/// The fake, shared between the supervisor (which owns its port) and the test.
#[derive(Debug)]
pub(crate) struct Shared(pub(crate) Rc<FakeTmux>);

impl TmuxPort for Shared {
    fn start_session(
        &self,
        session: &str,
        window: &str,
        spawn: &Spawn<'_>,
        size: (u16, u16),
    ) -> Result<NewPane, TmuxError> {
        self.0.start_session(session, window, spawn, size)
    }
    fn has_session(&self, session: &str) -> Result<bool, TmuxError> {
        self.0.has_session(session)
    }
    fn server_pid(&self, session: &str) -> Result<i32, TmuxError> {
        self.0.server_pid(session)
    }
    fn new_windows(&self, session: &str, specs: &[WindowSpec<'_>]) -> Batch {
        self.0.new_windows(session, specs)
    }
    fn split_window(
        &self,
        target: &str,
        spawn: &Spawn<'_>,
        job: Option<&str>,
        pipe: Option<&str>,
    ) -> Result<NewPane, TmuxError> {
        self.0.split_window(target, spawn, job, pipe)
    }
    fn list_panes(&self, session: &str) -> Result<Vec<PaneRow>, TmuxError> {
        self.0.list_panes(session)
    }
    fn capture_pane(&self, pane: &str) -> Result<String, TmuxError> {
        self.0.capture_pane(pane)
    }
    fn respawn_pane(&self, pane: &str, spawn: &Spawn<'_>) -> Result<(), TmuxError> {
        self.0.respawn_pane(pane, spawn)
    }
    fn kill_pane(&self, pane: &str) -> Result<(), TmuxError> {
        self.0.kill_pane(pane)
    }
    fn kill_server(&self) -> Result<(), TmuxError> {
        self.0.kill_server()
    }
    fn set_options(&self, options: &[OptionSet<'_>]) -> Result<(), TmuxError> {
        self.0.set_options(options)
    }
    fn type_line(&self, pane: &str, text: &str) -> Result<(), TmuxError> {
        self.0.type_line(pane, text)
    }
    fn display_message(
        &self,
        session: &str,
        message: &str,
        hold: Option<std::time::Duration>,
    ) -> Result<(), TmuxError> {
        self.0.display_message(session, message, hold)
    }
    fn attach(&self, pane: &str, how: crate::tmux::AttachHow) -> Result<(), TmuxError> {
        self.0.attach(pane, how)
    }
    fn socket_file(&self) -> PathBuf {
        self.0.socket_file()
    }
}

/// A supervisor over a temp repository and the fake port; time moves with `advance`.
pub(crate) struct Rig {
    /// Removed when the rig is dropped.
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) sup: Supervisor,
    pub(crate) fake: Rc<FakeTmux>,
    pub(crate) now: Now,
}

impl Rig {
    /// `warden.toml` with `config` (the dispatch command defaults to a harmless argv).
    pub(crate) fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::write(root.join("warden.toml"), config).expect("config");
        std::fs::create_dir_all(root.join("tasks")).expect("tasks");
        let loaded = load(&root, None, &Overrides::default()).expect("config loads");
        let paths = super::paths::RuntimePaths::new(&loaded);
        let layout = load_layout("default", &paths.user_layouts).expect("layout");
        let fake = Rc::new(FakeTmux::with_session(&paths.session));
        let mut sup = Supervisor::new(
            loaded,
            Overrides::default(),
            layout,
            PathBuf::from("/nonexistent/warden"),
            Box::new(Shared(Rc::clone(&fake))),
        );
        sup.exec.output = super::executor::Output::Silent;
        // The socket of a server that is not real: a file of our own, never /tmp's.
        sup.state.paths.tmux_socket_file = root.join(".warden/fake-tmux.sock");
        std::fs::create_dir_all(root.join(".warden")).expect("state");
        std::fs::write(&sup.state.paths.tmux_socket_file, b"").expect("socket stand-in");
        // No pid: the fake server is never "gone" and is never sent a signal.
        sup.state.health.server_pid = None;
        Self {
            _dir: dir,
            sup,
            fake,
            now: Now::read(),
        }
    }

    pub(crate) fn root(&self) -> &Path {
        &self.sup.state.paths.root
    }

    /// A task file, `front` being its front matter lines after `id`.
    pub(crate) fn task(&self, id: &str, front: &str) {
        std::fs::write(
            self.root().join(format!("tasks/{id}.md")),
            format!("---\nid: {id}\n{front}\n---\n"),
        )
        .expect("task");
    }

    pub(crate) fn advance(&mut self, secs: u64) {
        self.now = Now {
            wall: self.now.wall + TimeDelta::seconds(i64::try_from(secs).unwrap_or(0)),
            mono: self.now.mono + Duration::from_secs(secs),
        };
    }

    /// One tick at the current time.
    pub(crate) fn tick(&mut self) {
        let now = self.now;
        self.sup.handle(Event::Tick, now);
    }

    /// Ticks once a second for `secs` seconds.
    pub(crate) fn run_for(&mut self, secs: u64) {
        for _ in 0..secs {
            self.advance(1);
            self.tick();
        }
    }

    /// A request over the (in-process) control channel, answered by this event.
    pub(crate) fn request(&mut self, request: Request) -> Response {
        let (tx, rx) = std::sync::mpsc::channel();
        let now = self.now;
        self.sup.handle(Event::Control { request, reply: tx }, now);
        rx.try_recv().expect("answered within the event")
    }

    /// The register as the supervisor holds it.
    pub(crate) fn jobs(&self) -> Vec<JobRecord> {
        self.sup
            .state
            .jobs
            .register
            .as_ref()
            .map(|r| r.jobs.clone())
            .unwrap_or_default()
    }

    /// The register file.
    pub(crate) fn saved(&self) -> Register {
        crate::register::load_register(&self.sup.state.paths.register).expect("register file")
    }

    pub(crate) fn snapshot(&self) -> &Snapshot {
        self.sup
            .state
            .passes
            .last
            .as_ref()
            .expect("a published snapshot")
    }

    pub(crate) fn codes(&self) -> Vec<String> {
        self.snapshot()
            .escalation
            .signals
            .iter()
            .map(|s| s.code.to_string())
            .collect()
    }

    /// What a wrapper writes when its child starts, or ends with `end`.
    pub(crate) fn record(&self, job: &str, end: Option<JobEnd>) {
        let record = WorkerRecord {
            format_version: 1,
            job: job.to_owned(),
            pid: Some((1 << 30) + 7),
            wrapper_pid: None,
            started_at: self.now.wall,
            ended_at: end.as_ref().map(|_| self.now.wall),
            end,
        };
        let path = record_path(&self.sup.state.paths.jobs, job);
        std::fs::create_dir_all(path.parent().expect("jobs dir")).expect("mkdir");
        std::fs::write(path, serde_json::to_vec(&record).expect("json")).expect("record");
    }

    /// The go files made so far (jobs released).
    pub(crate) fn released(&self, job: &str) -> bool {
        self.sup.state.paths.go_file(job).exists()
    }
}

/// The jobs of each `new-windows` call, in order.
pub(crate) fn windows_asked(rig: &Rig) -> Vec<Vec<String>> {
    rig.fake
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::NewWindows { windows, .. } => {
                Some(windows.into_iter().filter_map(|w| w.job).collect())
            }
            _ => None,
        })
        .collect()
}

/// How `job` ended, as the supervisor holds it.
pub(crate) fn ended(rig: &Rig, job: &str) -> Option<JobEnd> {
    rig.jobs().into_iter().find(|j| j.job == job)?.end
}
