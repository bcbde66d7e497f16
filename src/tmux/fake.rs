//! A recording `TmuxPort` for unit tests: every call is recorded as a `Call`, a pane table
//! stands in for the server (one table; warden runs one session per server), and failures
//! can be scripted per verb or per job. The trait takes `&self`, so the state sits in a
//! `RefCell`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::error::TmuxError;
use super::fake_call::{Call, SetCall, Verb, WindowCall};
use super::format::{NewPane, PaneRow};
use super::port::{Batch, OptionSet, Scope, Spawn, TmuxPort, WindowSpec};

/// The pid `server_pid` reports. Above Linux's `PID_MAX_LIMIT` (2^22), like the fake pane
/// pids: a test that signals them can never reach a real process.
pub(crate) const FAKE_SERVER_PID: i32 = 1 << 30;

/// The first fake pane pid (see `FAKE_SERVER_PID`).
const FAKE_PANE_PID: u32 = (1 << 30) + 1;

#[derive(Debug, Default)]
struct State {
    running: bool,
    sessions: Vec<String>,
    panes: Vec<PaneRow>,
    screens: BTreeMap<String, String>,
    next_pane: u32,
    next_window: u32,
    next_pid: u32,
    once: Vec<(Verb, TmuxError)>,
    always: Vec<(Verb, TmuxError)>,
    refused: Vec<(String, String)>,
    /// Options set, by where (`global`, a window id, a pane id) and name.
    options: BTreeMap<(String, String), String>,
}

impl State {
    fn add_pane(&mut self, window_id: &str, window_name: &str, job: Option<&str>) -> NewPane {
        let pane_id = format!("%{}", self.next_pane);
        self.next_pane += 1;
        let pane_pid = FAKE_PANE_PID + self.next_pid;
        self.next_pid += 1;
        self.panes.push(PaneRow {
            pane_id: pane_id.clone(),
            pane_pid: Some(pane_pid),
            dead: false,
            dead_status: None,
            dead_signal: None,
            window_id: window_id.to_owned(),
            job: job.map(str::to_owned),
            window_name: window_name.to_owned(),
        });
        NewPane {
            pane_id,
            pane_pid,
            window_id: window_id.to_owned(),
        }
    }

    fn new_window_id(&mut self) -> String {
        let id = format!("@{}", self.next_window);
        self.next_window += 1;
        id
    }

    /// The pane with this id, else the newest pane tagged with this job.
    fn find(&mut self, pane_or_job: &str) -> Option<&mut PaneRow> {
        let index = self
            .panes
            .iter()
            .position(|p| p.pane_id == pane_or_job)
            .or_else(|| {
                self.panes
                    .iter()
                    .rposition(|p| p.job.as_deref() == Some(pane_or_job))
            })?;
        self.panes.get_mut(index)
    }

    /// Where an option of this scope lives: `global`, the pane's window id, the pane id.
    fn option_home(&self, scope: Scope<'_>) -> Result<String, TmuxError> {
        let pane = |id: &str| {
            self.panes
                .iter()
                .find(|p| p.pane_id == id)
                .ok_or_else(|| no_pane("set-option", id))
        };
        Ok(match scope {
            Scope::Global => "global".to_owned(),
            Scope::Window(id) => pane(id)?.window_id.clone(),
            Scope::Pane(id) => pane(id)?.pane_id.clone(),
        })
    }

    /// The answer tmux gives when the session is not there.
    fn check_session(&self, command: &str, session: &str) -> Result<(), TmuxError> {
        if !self.running {
            return Err(FakeTmux::no_server());
        }
        if !self.sessions.iter().any(|s| s == session) {
            return Err(TmuxError::NoSession {
                command: command.to_owned(),
                session: session.to_owned(),
            });
        }
        Ok(())
    }

    fn refusal(&self, job: Option<&str>) -> Option<String> {
        let job = job?;
        self.refused
            .iter()
            .find(|(j, _)| j == job)
            .map(|(_, stderr)| stderr.clone())
    }
}

fn no_pane(command: &str, pane: &str) -> TmuxError {
    TmuxError::Refused {
        command: command.to_owned(),
        stderr: format!("can't find pane: {pane}"),
    }
}

/// The same error again, for `fail_always` (an `io::Error` cannot be cloned).
fn replay(e: &TmuxError) -> TmuxError {
    match e {
        TmuxError::Spawn { bin, source } => TmuxError::Spawn {
            bin: bin.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        TmuxError::Timeout { command, after } => TmuxError::Timeout {
            command: command.clone(),
            after: *after,
        },
        TmuxError::NoServer { command, stderr } => TmuxError::NoServer {
            command: command.clone(),
            stderr: stderr.clone(),
        },
        TmuxError::NoSession { command, session } => TmuxError::NoSession {
            command: command.clone(),
            session: session.clone(),
        },
        TmuxError::Refused { command, stderr } => TmuxError::Refused {
            command: command.clone(),
            stderr: stderr.clone(),
        },
        TmuxError::InvalidArgument { command, detail } => TmuxError::InvalidArgument {
            command: command.clone(),
            detail: detail.clone(),
        },
        TmuxError::Format(f) => TmuxError::Format(f.clone()),
    }
}

/// A fake tmux server; see the module doc.
#[derive(Debug, Default)]
pub(crate) struct FakeTmux {
    calls: RefCell<Vec<Call>>,
    state: RefCell<State>,
}

impl FakeTmux {
    /// No server runs yet (`start_session` starts one).
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A running server with an empty session `session` (no panes in the table).
    pub(crate) fn with_session(session: &str) -> Self {
        let fake = Self::new();
        {
            let mut s = fake.state.borrow_mut();
            s.running = true;
            s.sessions.push(session.to_owned());
        }
        fake
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    pub(crate) fn count(&self, verb: Verb) -> usize {
        self.calls
            .borrow()
            .iter()
            .filter(|c| c.verb() == verb)
            .count()
    }

    /// The pane table as `list_panes` would return it.
    pub(crate) fn panes(&self) -> Vec<PaneRow> {
        self.state.borrow().panes.clone()
    }

    /// Replaces the pane table.
    pub(crate) fn set_panes(&self, rows: Vec<PaneRow>) {
        self.state.borrow_mut().panes = rows;
    }

    /// Marks a pane (by id, or the newest one of a job) dead with this exit status or
    /// signal; both `None` is "dead, not reaped yet".
    pub(crate) fn set_dead(&self, pane_or_job: &str, status: Option<i32>, signal: Option<i32>) {
        let mut s = self.state.borrow_mut();
        let Some(pane) = s.find(pane_or_job) else {
            panic!("the fake has no pane or job {pane_or_job}");
        };
        pane.dead = true;
        pane.dead_status = status;
        pane.dead_signal = signal;
    }

    /// Takes a pane (by id, or the newest one of a job) out of the table, as if it was
    /// closed behind warden's back.
    pub(crate) fn remove_pane(&self, pane_or_job: &str) {
        let mut s = self.state.borrow_mut();
        let Some(id) = s.find(pane_or_job).map(|p| p.pane_id.clone()) else {
            panic!("the fake has no pane or job {pane_or_job}");
        };
        s.panes.retain(|p| p.pane_id != id);
    }

    /// An option's value as last set (`Scope::Window` by any pane of the window).
    pub(crate) fn option(&self, scope: Scope<'_>, name: &str) -> Option<String> {
        let s = self.state.borrow();
        let home = s.option_home(scope).ok()?;
        s.options.get(&(home, name.to_owned())).cloned()
    }

    /// What `capture_pane` returns for the pane (empty by default).
    pub(crate) fn set_screen(&self, pane: &str, text: &str) {
        self.state
            .borrow_mut()
            .screens
            .insert(pane.to_owned(), text.to_owned());
    }

    /// The next call of `verb` fails with `error` (after being recorded).
    pub(crate) fn fail(&self, verb: Verb, error: TmuxError) {
        self.state.borrow_mut().once.push((verb, error));
    }

    /// Every call of `verb` fails with `error` until `heal`.
    pub(crate) fn fail_always(&self, verb: Verb, error: TmuxError) {
        self.state.borrow_mut().always.push((verb, error));
    }

    /// Drops every scripted failure and refused job.
    pub(crate) fn heal(&self) {
        let mut s = self.state.borrow_mut();
        s.once.clear();
        s.always.clear();
        s.refused.clear();
    }

    /// tmux refuses the window of this job: a batch stops at its spec (the specs before it
    /// are made, as real tmux does), and a split for it fails.
    pub(crate) fn refuse_job(&self, job: &str, stderr: &str) {
        self.state
            .borrow_mut()
            .refused
            .push((job.to_owned(), stderr.to_owned()));
    }

    /// tmux could not be asked (a timeout).
    pub(crate) fn unanswered() -> TmuxError {
        TmuxError::Timeout {
            command: "fake".to_owned(),
            after: Duration::from_secs(2),
        }
    }

    pub(crate) fn no_server() -> TmuxError {
        TmuxError::NoServer {
            command: "fake".to_owned(),
            stderr: "no server running on /nonexistent/fake".to_owned(),
        }
    }

    pub(crate) fn no_session(session: &str) -> TmuxError {
        TmuxError::NoSession {
            command: "fake".to_owned(),
            session: session.to_owned(),
        }
    }

    pub(crate) fn refused(stderr: &str) -> TmuxError {
        TmuxError::Refused {
            command: "fake".to_owned(),
            stderr: stderr.to_owned(),
        }
    }

    /// Records the call, then returns the scripted failure for its verb, if any.
    fn call(&self, call: Call) -> Result<(), TmuxError> {
        let verb = call.verb();
        self.calls.borrow_mut().push(call);
        let mut s = self.state.borrow_mut();
        if let Some(i) = s.once.iter().position(|(v, _)| *v == verb) {
            return Err(s.once.remove(i).1);
        }
        match s.always.iter().find(|(v, _)| *v == verb) {
            Some((_, e)) => Err(replay(e)),
            None => Ok(()),
        }
    }
}

impl TmuxPort for FakeTmux {
    fn start_session(
        &self,
        session: &str,
        window: &str,
        spawn: &Spawn<'_>,
        _size: (u16, u16),
    ) -> Result<NewPane, TmuxError> {
        self.call(Call::StartSession {
            session: session.to_owned(),
            window: window.to_owned(),
            argv: spawn.argv.to_vec(),
        })?;
        let mut s = self.state.borrow_mut();
        if s.sessions.iter().any(|x| x == session) {
            return Err(TmuxError::Refused {
                command: "new-session".to_owned(),
                stderr: format!("duplicate session: {session}"),
            });
        }
        s.running = true;
        s.sessions.push(session.to_owned());
        let id = s.new_window_id();
        Ok(s.add_pane(&id, window, None))
    }

    fn has_session(&self, session: &str) -> Result<bool, TmuxError> {
        self.call(Call::HasSession {
            session: session.to_owned(),
        })?;
        let s = self.state.borrow();
        Ok(s.running && s.sessions.iter().any(|x| x == session))
    }

    fn server_pid(&self, session: &str) -> Result<i32, TmuxError> {
        self.call(Call::ServerPid {
            session: session.to_owned(),
        })?;
        self.state.borrow().check_session("has-session", session)?;
        Ok(FAKE_SERVER_PID)
    }

    fn new_windows(&self, session: &str, specs: &[WindowSpec<'_>]) -> Batch {
        let windows = specs
            .iter()
            .map(|w| WindowCall {
                name: w.name.to_owned(),
                job: w.job.map(str::to_owned),
                argv: w.spawn.argv.to_vec(),
                pipe: w.pipe.map(str::to_owned),
            })
            .collect();
        let command = format!("new-window (batch of {})", specs.len());
        let mut made = Vec::new();
        let scripted = self.call(Call::NewWindows {
            session: session.to_owned(),
            windows,
        });
        let mut s = self.state.borrow_mut();
        if let Err(e) = scripted.and_then(|()| s.check_session(&command, session)) {
            return Batch {
                made,
                error: Some(e),
            };
        }
        for spec in specs {
            if let Some(stderr) = s.refusal(spec.job) {
                let error = TmuxError::Refused { command, stderr };
                return Batch {
                    made,
                    error: Some(error),
                };
            }
            let id = s.new_window_id();
            made.push(s.add_pane(&id, spec.name, spec.job));
        }
        Batch { made, error: None }
    }

    fn split_window(
        &self,
        target: &str,
        spawn: &Spawn<'_>,
        job: Option<&str>,
        _pipe: Option<&str>,
    ) -> Result<NewPane, TmuxError> {
        self.call(Call::SplitWindow {
            target: target.to_owned(),
            job: job.map(str::to_owned),
            argv: spawn.argv.to_vec(),
        })?;
        let mut s = self.state.borrow_mut();
        if let Some(stderr) = s.refusal(job) {
            let command = "split-window".to_owned();
            return Err(TmuxError::Refused { command, stderr });
        }
        let Some(name) = s
            .panes
            .iter()
            .find(|p| p.window_id == target)
            .map(|p| p.window_name.clone())
        else {
            return Err(TmuxError::Refused {
                command: "split-window".to_owned(),
                stderr: format!("can't find window: {target}"),
            });
        };
        Ok(s.add_pane(target, &name, job))
    }

    fn list_panes(&self, session: &str) -> Result<Vec<PaneRow>, TmuxError> {
        self.call(Call::ListPanes {
            session: session.to_owned(),
        })?;
        let s = self.state.borrow();
        s.check_session("list-panes", session)?;
        Ok(s.panes.clone())
    }

    fn capture_pane(&self, pane: &str) -> Result<String, TmuxError> {
        self.call(Call::CapturePane {
            pane: pane.to_owned(),
        })?;
        let s = self.state.borrow();
        if !s.panes.iter().any(|p| p.pane_id == pane) {
            return Err(no_pane("capture-pane", pane));
        }
        Ok(s.screens.get(pane).cloned().unwrap_or_default())
    }

    fn respawn_pane(&self, pane: &str, spawn: &Spawn<'_>) -> Result<(), TmuxError> {
        self.call(Call::RespawnPane {
            pane: pane.to_owned(),
            argv: spawn.argv.to_vec(),
        })?;
        let mut s = self.state.borrow_mut();
        let pid = FAKE_PANE_PID + s.next_pid;
        s.next_pid += 1;
        let Some(row) = s.panes.iter_mut().find(|p| p.pane_id == pane) else {
            return Err(no_pane("respawn-pane", pane));
        };
        row.pane_pid = Some(pid);
        (row.dead, row.dead_status, row.dead_signal) = (false, None, None);
        Ok(())
    }

    fn kill_pane(&self, pane: &str) -> Result<(), TmuxError> {
        self.call(Call::KillPane {
            pane: pane.to_owned(),
        })?;
        let mut s = self.state.borrow_mut();
        let before = s.panes.len();
        s.panes.retain(|p| p.pane_id != pane);
        if s.panes.len() == before {
            return Err(no_pane("kill-pane", pane));
        }
        Ok(())
    }

    fn kill_server(&self) -> Result<(), TmuxError> {
        self.call(Call::KillServer)?;
        let mut s = self.state.borrow_mut();
        if !s.running {
            return Err(Self::no_server());
        }
        s.running = false;
        s.sessions.clear();
        s.panes.clear();
        Ok(())
    }

    fn set_options(&self, options: &[OptionSet<'_>]) -> Result<(), TmuxError> {
        self.call(Call::SetOptions {
            options: options.iter().map(SetCall::from).collect(),
        })?;
        let mut s = self.state.borrow_mut();
        if !s.running {
            return Err(Self::no_server());
        }
        // As tmux does: the ones before a refused option are set.
        for o in options {
            let home = s.option_home(o.scope)?;
            s.options
                .insert((home, o.name.to_owned()), o.value.to_owned());
        }
        Ok(())
    }

    fn type_line(&self, pane: &str, text: &str) -> Result<(), TmuxError> {
        self.call(Call::TypeLine {
            pane: pane.to_owned(),
            text: text.to_owned(),
        })?;
        if !self.state.borrow().panes.iter().any(|p| p.pane_id == pane) {
            return Err(no_pane("paste-buffer", pane));
        }
        Ok(())
    }

    fn display_message(
        &self,
        session: &str,
        message: &str,
        hold: Option<std::time::Duration>,
    ) -> Result<(), TmuxError> {
        self.call(Call::DisplayMessage {
            session: session.to_owned(),
            message: message.to_owned(),
            held: hold.is_some(),
        })?;
        if !self.state.borrow().running {
            return Err(Self::no_server());
        }
        Ok(())
    }

    fn attach(&self, pane: &str, how: super::AttachHow) -> Result<(), TmuxError> {
        self.call(Call::Attach {
            pane: pane.to_owned(),
            how,
        })?;
        if !self.state.borrow().panes.iter().any(|p| p.pane_id == pane) {
            return Err(no_pane("select-window", pane));
        }
        Ok(())
    }

    fn socket_file(&self) -> PathBuf {
        PathBuf::from("/nonexistent/warden-fake-tmux")
    }
}
