//! The real `TmuxPort`: one private server, one forked client per call. Commands are built
//! with `tmux_interface` (as argv builders only; its parsers panic on real output), each
//! call is bounded by a timeout, and what tmux says on failure becomes a typed error.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tmux_interface::{
    AttachSession, CapturePane, DisplayMessage, HasSession, KillPane, KillServer, ListPanes,
    NewSession, PasteBuffer, RespawnPane, SelectLayout, SelectPane, SelectWindow, SendKeys,
    SetBuffer, SetOption, SplitWindow, SwitchClient, TmuxCommand,
};

use super::args::{
    argv, chunks, invalid_argument, literal, spawn_args, window_commands, window_name, worker_setup,
};
use super::error::{TmuxError, cap, classify};
use super::exec::{self, ExecError};
use super::format::{
    FormatError, NEW_PANE_FORMAT, NewPane, PANE_FORMAT, PaneRow, parse_new_pane, parse_pane_rows,
};
use super::port::{AttachHow, Batch, OptionSet, Scope, Spawn, TmuxPort, WindowSpec};
use super::status::SESSION_OPTIONS;
use crate::escape::terminal_safe;

/// A normal call answers in about 3 ms; two seconds means the server is stuck.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Extra time per window in a batch: each one forks a process in the server.
const PER_WINDOW: Duration = Duration::from_millis(100);
/// `kill_server` as a whole, the wait for the old server's exit included.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// One private tmux server, by socket name (`tmux -L`).
#[derive(Debug, Clone)]
pub(crate) struct Tmux {
    bin: PathBuf,
    socket: String,
    timeout: Duration,
}

/// A client call that tmux answered: its stdout, and the error when it exited non-zero.
struct Answer {
    stdout: String,
    error: Option<TmuxError>,
}

fn not_a_pid(text: &str) -> TmuxError {
    TmuxError::Format(FormatError {
        line: cap(text.trim(), 100),
        why: "server pid is not a number",
    })
}

/// The server is gone once its pid is (or only a zombie is left: it has closed its socket).
fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit_once(") ")
            .is_none_or(|(_, rest)| rest.starts_with('Z'))
    })
}

impl Tmux {
    pub(crate) fn new(socket: impl Into<String>) -> Self {
        Self {
            bin: PathBuf::from(
                std::env::var_os("WARDEN_TMUX_BIN").unwrap_or_else(|| "tmux".into()),
            ),
            socket: socket.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The time one call may take before its client is killed (`DEFAULT_TIMEOUT`).
    #[allow(
        dead_code,
        reason = "tests use short timeouts; callers keep the default"
    )]
    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// One client call running `commands` (joined with `;`), bounded by `timeout`.
    /// `label` names the commands in errors; the argv itself can be kilobytes.
    fn answer(
        &self,
        label: &str,
        commands: &[TmuxCommand<'_>],
        timeout: Duration,
    ) -> Result<Answer, TmuxError> {
        if let Some(detail) = invalid_argument(commands) {
            return Err(TmuxError::InvalidArgument {
                command: label.to_owned(),
                detail,
            });
        }
        let out =
            exec::run(&self.bin, &argv(&self.socket, commands), timeout).map_err(|e| match e {
                ExecError::Spawn(source) => TmuxError::Spawn {
                    bin: self.bin.clone(),
                    source,
                },
                ExecError::Timeout => TmuxError::Timeout {
                    command: label.to_owned(),
                    after: timeout,
                },
            })?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let error = if out.status.success() {
            None
        } else if let Some(signal) = out.status.signal() {
            // Killed by someone else: tmux did not answer.
            Some(TmuxError::Spawn {
                bin: self.bin.clone(),
                source: std::io::Error::other(format!(
                    "tmux {label} was killed by signal {signal}"
                )),
            })
        } else {
            Some(classify(label, &String::from_utf8_lossy(&out.stderr)))
        };
        Ok(Answer { stdout, error })
    }

    /// A call with the default timeout: its stdout, or the error.
    fn run(&self, label: &str, commands: &[TmuxCommand<'_>]) -> Result<String, TmuxError> {
        let answer = self.answer(label, commands, self.timeout)?;
        answer.error.map_or(Ok(answer.stdout), Err)
    }

    /// Runs one chunk of a batch; the panes it printed go to `made`.
    fn new_window_chunk(
        &self,
        commands: &[TmuxCommand<'_>],
        windows: usize,
        made: &mut Vec<NewPane>,
    ) -> Result<(), TmuxError> {
        let label = format!("new-window (batch of {windows})");
        let per_window = PER_WINDOW.saturating_mul(u32::try_from(windows).unwrap_or(u32::MAX));
        let answer = self.answer(&label, commands, self.timeout.saturating_add(per_window))?;
        let before = made.len();
        for line in answer.stdout.lines().filter(|l| !l.is_empty()) {
            made.push(parse_new_pane(line)?);
        }
        if let Some(e) = answer.error {
            return Err(e);
        }
        if made.len() - before < windows {
            return Err(TmuxError::Format(FormatError {
                line: cap(&answer.stdout, 200),
                why: "tmux printed fewer new panes than windows asked for",
            }));
        }
        Ok(())
    }
}

impl TmuxPort for Tmux {
    fn start_session(
        &self,
        session: &str,
        window: &str,
        spawn: &Spawn<'_>,
        size: (u16, u16),
    ) -> Result<NewPane, TmuxError> {
        let mut new = NewSession::new()
            .detached()
            .print()
            .format(NEW_PANE_FORMAT)
            .session_name(session)
            .window_name(window_name(window))
            .width(usize::from(size.0))
            .height(usize::from(size.1))
            .build();
        spawn_args(&mut new, spawn);
        let global = |option, value| SetOption::new().global().option(option).value(value);
        let mut commands = vec![
            SetOption::new()
                .server()
                .option("exit-empty")
                .value("off")
                .build(),
            new,
            global("remain-on-exit", "on").build(),
            global("remain-on-exit-format", "").build(),
            global("automatic-rename", "off").build(),
            global("allow-rename", "off").build(),
            global("history-limit", "10000").build(),
        ];
        commands.extend(
            SESSION_OPTIONS
                .iter()
                .map(|&(name, value)| global(name, value).build()),
        );
        let out = self.run("new-session", &commands)?;
        Ok(parse_new_pane(&out)?)
    }

    fn has_session(&self, session: &str) -> Result<bool, TmuxError> {
        match self.run(
            "has-session",
            &[HasSession::new().target_session(session).build()],
        ) {
            Ok(_) => Ok(true),
            Err(TmuxError::NoSession { .. } | TmuxError::NoServer { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn server_pid(&self, session: &str) -> Result<i32, TmuxError> {
        // `display-message -t` falls back to any session when its target is missing, so
        // `has-session` goes first: a missing session stops the list with `NoSession`.
        let out = self.run(
            "has-session; display-message",
            &[
                HasSession::new().target_session(session).build(),
                DisplayMessage::new().print().message("#{pid}").build(),
            ],
        )?;
        out.trim().parse().map_err(|_| not_a_pid(&out))
    }

    fn new_windows(&self, session: &str, specs: &[WindowSpec<'_>]) -> Batch {
        // A spec tmux could never receive ends the batch there; the ones before it are made.
        let mut groups = Vec::new();
        let mut invalid = None;
        for spec in specs {
            let cmds = window_commands(session, spec);
            if let Some(detail) = invalid_argument(&cmds) {
                invalid = Some(TmuxError::InvalidArgument {
                    command: "new-window".to_owned(),
                    detail,
                });
                break;
            }
            groups.push(cmds);
        }
        let mut made = Vec::new();
        for (cmds, windows) in chunks(groups) {
            // A pane tmux printed counts as made even when its tag or pipe then failed: it
            // exists and runs, so a retry must not start the job a second time.
            if let Err(e) = self.new_window_chunk(&cmds, windows, &mut made) {
                return Batch {
                    made,
                    error: Some(e),
                };
            }
        }
        Batch {
            made,
            error: invalid,
        }
    }

    fn split_window(
        &self,
        target: &str,
        spawn: &Spawn<'_>,
        job: Option<&str>,
        pipe: Option<&str>,
    ) -> Result<NewPane, TmuxError> {
        // The split makes the new pane its window's active one, which `target` then
        // resolves to for the tag and the pipe.
        let mut cmd = SplitWindow::new()
            .print()
            .format(NEW_PANE_FORMAT)
            .target_pane(target)
            .build();
        spawn_args(&mut cmd, spawn);
        let mut cmds = vec![cmd];
        cmds.extend(worker_setup(target, job, pipe));
        cmds.push(
            SelectLayout::new()
                .target_pane(target)
                .layout_name("tiled")
                .build(),
        );
        Ok(parse_new_pane(&self.run("split-window", &cmds)?)?)
    }

    fn list_panes(&self, session: &str) -> Result<Vec<PaneRow>, TmuxError> {
        // `session:` rather than `session`: a bare name that matches no session is tried as
        // a window name, and tmux would then say "can't find window".
        let out = self.run(
            "list-panes",
            &[ListPanes::new()
                .session()
                .target(format!("{session}:"))
                .format(PANE_FORMAT)
                .build()],
        )?;
        Ok(parse_pane_rows(&out)?)
    }

    fn capture_pane(&self, pane: &str) -> Result<String, TmuxError> {
        self.run(
            "capture-pane",
            &[CapturePane::new()
                .stdout()
                .join()
                .start_line("-")
                .target_pane(pane)
                .build()],
        )
    }

    fn respawn_pane(&self, pane: &str, spawn: &Spawn<'_>) -> Result<(), TmuxError> {
        let mut cmd = RespawnPane::new().kill().target_pane(pane).build();
        spawn_args(&mut cmd, spawn);
        self.run("respawn-pane", &[cmd]).map(drop)
    }

    fn kill_pane(&self, pane: &str) -> Result<(), TmuxError> {
        self.run("kill-pane", &[KillPane::new().target_pane(pane).build()])
            .map(drop)
    }

    /// `kill-server` returns before the server is gone, and a new server on the same name
    /// would race the old one's exit, so this waits for its pid (asked in the same call).
    /// The socket file, which tmux leaves behind, is removed only once nothing listens.
    fn kill_server(&self) -> Result<(), TmuxError> {
        let start = Instant::now();
        let out = self.answer(
            "display-message; kill-server",
            &[
                DisplayMessage::new().print().message("#{pid}").build(),
                KillServer::new().build(),
            ],
            self.timeout.min(KILL_WAIT),
        )?;
        match out.error {
            None => {}
            // A stale socket file with no server behind it.
            Some(e @ TmuxError::NoServer { .. }) => {
                let _ = std::fs::remove_file(self.socket_file());
                return Err(e);
            }
            Some(e) => return Err(e),
        }
        let pid: i32 = out
            .stdout
            .trim()
            .parse()
            .map_err(|_| not_a_pid(&out.stdout))?;
        let mut pause = Duration::from_micros(200);
        while !gone(pid) {
            if start.elapsed() >= KILL_WAIT {
                return Err(TmuxError::Timeout {
                    command: "kill-server (waiting for the server to exit)".to_owned(),
                    after: KILL_WAIT,
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(self.socket_file());
        Ok(())
    }

    fn set_options(&self, options: &[OptionSet<'_>]) -> Result<(), TmuxError> {
        if options.is_empty() {
            return Ok(());
        }
        let commands: Vec<TmuxCommand<'_>> = options
            .iter()
            .map(|o| {
                let set = SetOption::new()
                    .option(o.name)
                    .value(terminal_safe(o.value).into_owned());
                match o.scope {
                    Scope::Global => set.global(),
                    Scope::Window(pane) => set.window().target_pane(pane),
                    Scope::Pane(pane) => set.pane().target_pane(pane),
                }
                .build()
            })
            .collect();
        self.run("set-option", &commands).map(drop)
    }

    fn type_line(&self, pane: &str, text: &str) -> Result<(), TmuxError> {
        // One line, no control characters: the agent's prompt gets text, never keys.
        let text = terminal_safe(&text.replace(['\n', '\r'], " ")).into_owned();
        let buffer = format!("warden-{}", std::process::id());
        self.run(
            "set-buffer; paste-buffer; send-keys",
            &[
                SetBuffer::new()
                    .buffer_name(buffer.clone())
                    .data(format!(" {text}"))
                    .build(),
                PasteBuffer::new()
                    .delete()
                    .bracket_codes()
                    .buffer_name(buffer)
                    .target_pane(pane)
                    .build(),
                SendKeys::new().target_pane(pane).key("Enter").build(),
            ],
        )
        .map(drop)
    }

    fn display_message(
        &self,
        session: &str,
        message: &str,
        hold: Option<Duration>,
    ) -> Result<(), TmuxError> {
        // `-t session` picks a client of that session; with no client it does nothing.
        // The supervisor escapes its messages already; this keeps any other caller safe.
        let mut command = DisplayMessage::new()
            .target_pane(format!("{session}:"))
            .message(literal(&terminal_safe(message)).into_owned());
        if let Some(hold) = hold {
            command = command.delay(usize::try_from(hold.as_millis()).unwrap_or(usize::MAX));
        }
        self.run("display-message", &[command.build()]).map(drop)
    }

    fn attach(&self, pane: &str, how: AttachHow) -> Result<(), TmuxError> {
        self.run(
            "select-window; select-pane",
            &[
                SelectWindow::new().target_window(pane).build(),
                SelectPane::new().target_pane(pane).build(),
            ],
        )?;
        match how {
            AttachHow::Select => return Ok(()),
            AttachHow::Switch => {
                let switch = SwitchClient::new().target_session(pane).build();
                return self.run("switch-client", &[switch]).map(drop);
            }
            AttachHow::Replace | AttachHow::Wait => {}
        }
        // tmux refuses to nest unless TMUX is cleared, which `exec::client` does.
        let last = [AttachSession::new().target_session(pane).build()];
        if let Some(detail) = invalid_argument(&last) {
            return Err(TmuxError::InvalidArgument {
                command: "attach-session".to_owned(),
                detail,
            });
        }
        let mut client = exec::client(&self.bin, &argv(&self.socket, &last));
        let spawn_failed = |source| TmuxError::Spawn {
            bin: self.bin.clone(),
            source,
        };
        if how == AttachHow::Wait {
            // The terminal is lent to tmux until the person detaches.
            client.status().map_err(spawn_failed)?;
            return Ok(());
        }
        // The terminal is handed to tmux: stdio inherited, this process replaced.
        Err(spawn_failed(client.exec()))
    }

    fn socket_file(&self) -> PathBuf {
        // Where tmux puts it: `$TMUX_TMPDIR/tmux-<uid>/<name>`.
        let dir =
            std::env::var_os("TMUX_TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        dir.join(format!("tmux-{}", nix::unistd::getuid()))
            .join(&self.socket)
    }
}
