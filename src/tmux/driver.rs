//! The narrow tmux driver: a handful of verbs on one private server. Commands are built with
//! `tmux_interface` (as argv builders only; its parsers panic on real output) and run here
//! with a clean environment: no `TMUX`/`TMUX_PANE` (so a warden started inside tmux never
//! talks to the user's server), stdin closed, `-f /dev/null` so no user config applies.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tmux_interface::{
    CapturePane, DisplayMessage, HasSession, KillPane, KillServer, ListPanes, NewSession,
    NewWindow, PipePane, RespawnPane, SelectLayout, SetOption, SplitWindow, Tmux as Builder,
    TmuxCommand,
};

use super::format::{
    FormatError, NEW_PANE_FORMAT, NewPane, PANE_FORMAT, PaneRow, parse_new_pane, parse_pane_rows,
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum TmuxError {
    #[error("failed to run {bin}: {source}")]
    Spawn {
        bin: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to run tmux {command}: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("failed to read tmux output: {0}")]
    Format(#[from] FormatError),
}

/// What a new pane runs: an argv (never a shell string), its folder and extra environment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spawn<'a> {
    pub(crate) argv: &'a [String],
    pub(crate) cwd: &'a Path,
    pub(crate) env: &'a [(String, String)],
}

/// One window to make in a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) spawn: Spawn<'a>,
    pub(crate) job: Option<&'a str>,
    pub(crate) pipe: Option<&'a str>,
}

/// One private tmux server, by socket name (`tmux -L`).
#[derive(Debug, Clone)]
pub(crate) struct Tmux {
    bin: PathBuf,
    socket: String,
}

fn spawn_args<'a>(cmd: &mut TmuxCommand<'a>, spawn: &Spawn<'a>) {
    cmd.push_option("-c", spawn.cwd.to_string_lossy().into_owned());
    // Blank TMUX in the pane: a worker that runs `tmux` must not reach our server by
    // accident. TMUX_PANE cannot be overridden; TMUX is what tmux clients read.
    cmd.push_option("-e", "TMUX=");
    for (k, v) in spawn.env {
        cmd.push_option("-e", format!("{k}={v}"));
    }
    // More than one argument: tmux execs the argv directly, no shell in between.
    for a in spawn.argv {
        cmd.push_param(a.clone());
    }
}

/// `pipe-pane -O`: the pane's output goes to the command. tmux_interface 0.4 swaps its
/// `stdout()`/`stdin()` setters (`stdout()` emits `-I`), so the flag is chosen by what it
/// emits, and a test pins the argv.
fn pipe_pane_out(pane: String, shell_command: &str) -> TmuxCommand<'_> {
    PipePane::new()
        .stdin()
        .target_pane(pane)
        .shell_command(shell_command)
        .build()
}

impl Tmux {
    pub(crate) fn new(socket: impl Into<String>) -> Self {
        Self {
            bin: PathBuf::from(
                std::env::var_os("WARDEN_TMUX_BIN").unwrap_or_else(|| "tmux".into()),
            ),
            socket: socket.into(),
        }
    }

    /// The argv after `tmux` for a sequence of commands (joined with `;`).
    fn argv(&self, commands: Vec<TmuxCommand<'_>>) -> Vec<String> {
        let mut b = Builder::new()
            .socket_name(self.socket.as_str())
            .file("/dev/null");
        for c in commands {
            b = b.add_command(c);
        }
        b.build()
            .to_vec()
            .into_iter()
            .skip(1)
            .map(Cow::into_owned)
            .collect()
    }

    /// A `Command` for the server, environment cleaned. Callers add stdio.
    pub(crate) fn command(&self, commands: Vec<TmuxCommand<'_>>) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(self.argv(commands))
            .env_remove("TMUX")
            .env_remove("TMUX_PANE");
        cmd
    }

    fn run(&self, commands: Vec<TmuxCommand<'_>>) -> Result<String, TmuxError> {
        let argv = self.argv(commands);
        let out = Command::new(&self.bin)
            .args(&argv)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .stdin(Stdio::null())
            .output()
            .map_err(|source| TmuxError::Spawn {
                bin: self.bin.clone(),
                source,
            })?;
        if !out.status.success() {
            return Err(TmuxError::Failed {
                command: argv.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts the server (if needed) and a session whose first window runs `spawn`, with
    /// the server options warden relies on set in the same call, so a fast first pane
    /// cannot race them.
    pub(crate) fn start_session(
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
            .window_name(window)
            .width(usize::from(size.0))
            .height(usize::from(size.1))
            .build();
        spawn_args(&mut new, spawn);
        let out = self.run(vec![
            SetOption::new()
                .server()
                .option("exit-empty")
                .value("off")
                .build(),
            new,
            SetOption::new()
                .global()
                .option("remain-on-exit")
                .value("on")
                .build(),
            SetOption::new()
                .global()
                .option("remain-on-exit-format")
                .value("")
                .build(),
            SetOption::new()
                .global()
                .option("automatic-rename")
                .value("off")
                .build(),
            SetOption::new()
                .global()
                .option("allow-rename")
                .value("off")
                .build(),
            SetOption::new()
                .global()
                .option("history-limit")
                .value("10000")
                .build(),
        ])?;
        Ok(parse_new_pane(&out)?)
    }

    pub(crate) fn has_session(&self, session: &str) -> bool {
        self.run(vec![HasSession::new().target_session(session).build()])
            .is_ok()
    }

    /// The server's pid, for the SIGCHLD nudge (tmux 3.3a loses pane exits until its server
    /// gets one).
    pub(crate) fn server_pid(&self) -> Result<i32, TmuxError> {
        let out = self.run(vec![
            DisplayMessage::new().print().message("#{pid}").build(),
        ])?;
        out.trim().parse().map_err(|_| {
            TmuxError::Format(FormatError {
                line: out.trim().to_owned(),
                why: "server pid is not a number",
            })
        })
    }

    /// Commands that tag the pane `target` resolves to and attach its log, for the same
    /// client call that made the pane (one fork per worker instead of three).
    fn worker_setup<'a>(
        target: &str,
        job: Option<&'a str>,
        pipe: Option<&'a str>,
    ) -> Vec<TmuxCommand<'a>> {
        let mut cmds = Vec::new();
        if let Some(job) = job {
            cmds.push(
                SetOption::new()
                    .pane()
                    .target_pane(target.to_owned())
                    .option("@warden_job")
                    .value(job)
                    .build(),
            );
        }
        if let Some(pipe) = pipe {
            cmds.push(pipe_pane_out(target.to_owned(), pipe));
        }
        cmds
    }

    /// The server's pid, asked through `session`: an error when the session does not exist.
    pub(crate) fn session_server_pid(&self, session: &str) -> Result<i32, TmuxError> {
        let out = self.run(vec![
            DisplayMessage::new()
                .print()
                .target_pane(format!("{session}:"))
                .message("#{pid}")
                .build(),
        ])?;
        out.trim().parse().map_err(|_| {
            TmuxError::Format(FormatError {
                line: out.trim().to_owned(),
                why: "server pid is not a number",
            })
        })
    }

    /// A new window after the last one of `session` running `spawn`, tagged with
    /// `@warden_job` and its output piped to `pipe`, all in one client call: `{end}` names the
    /// window just made (`-a` puts it last), so no pane id is needed in between.
    pub(crate) fn new_window(
        &self,
        session: &str,
        name: &str,
        spawn: &Spawn<'_>,
        job: Option<&str>,
        pipe: Option<&str>,
    ) -> Result<NewPane, TmuxError> {
        let end = format!("{session}:{{end}}");
        let mut cmd = NewWindow::new()
            .detached()
            .after()
            .print()
            .format(NEW_PANE_FORMAT)
            .target_window(end.clone())
            .window_name(name)
            .build();
        spawn_args(&mut cmd, spawn);
        let mut cmds = vec![cmd];
        cmds.extend(Self::worker_setup(&end, job, pipe));
        Ok(parse_new_pane(&self.run(cmds)?)?)
    }

    /// Several windows, each made, tagged and piped as `new_window` does, in as few client
    /// calls as tmux accepts (it refuses a command list over about 16 KiB, so the list is cut
    /// into chunks of at most `BATCH_BYTES`). tmux stops at the first failing command; the
    /// panes made before it are returned in order with the error.
    pub(crate) fn new_windows(
        &self,
        session: &str,
        specs: &[WindowSpec<'_>],
    ) -> (Vec<NewPane>, Option<TmuxError>) {
        const BATCH_BYTES: usize = 8 * 1024;
        let end = format!("{session}:{{end}}");
        let mut panes = Vec::new();
        let mut chunk: Vec<TmuxCommand<'_>> = Vec::new();
        let mut chunk_specs = 0;
        let mut chunk_bytes = 0;
        let mut chunks: Vec<(Vec<TmuxCommand<'_>>, usize)> = Vec::new();
        for spec in specs {
            let mut cmd = NewWindow::new()
                .detached()
                .after()
                .print()
                .format(NEW_PANE_FORMAT)
                .target_window(end.clone())
                .window_name(spec.name)
                .build();
            spawn_args(&mut cmd, &spec.spawn);
            let mut cmds = vec![cmd];
            cmds.extend(Self::worker_setup(&end, spec.job, spec.pipe));
            let bytes: usize = cmds
                .iter()
                .flat_map(TmuxCommand::to_vec)
                .map(|a| a.len() + 1)
                .sum();
            if chunk_specs > 0 && chunk_bytes + bytes > BATCH_BYTES {
                chunks.push((std::mem::take(&mut chunk), chunk_specs));
                chunk_specs = 0;
                chunk_bytes = 0;
            }
            chunk.extend(cmds);
            chunk_specs += 1;
            chunk_bytes += bytes;
        }
        if chunk_specs > 0 {
            chunks.push((chunk, chunk_specs));
        }
        for (cmds, wanted) in chunks {
            let argv = self.argv(cmds);
            let out = match Command::new(&self.bin)
                .args(&argv)
                .env_remove("TMUX")
                .env_remove("TMUX_PANE")
                .stdin(Stdio::null())
                .output()
            {
                Ok(o) => o,
                Err(source) => {
                    let bin = self.bin.clone();
                    return (panes, Some(TmuxError::Spawn { bin, source }));
                }
            };
            let made: Vec<NewPane> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| parse_new_pane(l).ok())
                .collect();
            let complete = out.status.success() && made.len() == wanted;
            panes.extend(made);
            if !complete {
                return (
                    panes,
                    Some(TmuxError::Failed {
                        command: "new-window (batch)".to_owned(),
                        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    }),
                );
            }
        }
        (panes, None)
    }

    /// A new pane in the window `target` (a window id), re-tiled, tagged and piped, in one
    /// client call: the split makes the new pane its window's active one, which `target`
    /// then resolves to.
    pub(crate) fn split_window(
        &self,
        target: &str,
        spawn: &Spawn<'_>,
        job: Option<&str>,
        pipe: Option<&str>,
    ) -> Result<NewPane, TmuxError> {
        let mut cmd = SplitWindow::new()
            .print()
            .format(NEW_PANE_FORMAT)
            .target_pane(target)
            .build();
        spawn_args(&mut cmd, spawn);
        let mut cmds = vec![cmd];
        cmds.extend(Self::worker_setup(target, job, pipe));
        cmds.push(
            SelectLayout::new()
                .target_pane(target)
                .layout_name("tiled")
                .build(),
        );
        Ok(parse_new_pane(&self.run(cmds)?)?)
    }

    /// Every pane of the session.
    pub(crate) fn list_panes(&self, session: &str) -> Result<Vec<PaneRow>, TmuxError> {
        let out = self.run(vec![
            ListPanes::new()
                .session()
                .target(session)
                .format(PANE_FORMAT)
                .build(),
        ])?;
        Ok(parse_pane_rows(&out)?)
    }

    /// The pane's whole history and screen, joined lines, no escapes.
    pub(crate) fn capture_pane(&self, pane: &str) -> Result<String, TmuxError> {
        self.run(vec![
            CapturePane::new()
                .stdout()
                .join()
                .start_line("-")
                .target_pane(pane)
                .build(),
        ])
    }

    pub(crate) fn respawn_pane(&self, pane: &str, spawn: &Spawn<'_>) -> Result<(), TmuxError> {
        let mut cmd = RespawnPane::new().kill().target_pane(pane).build();
        spawn_args(&mut cmd, spawn);
        self.run(vec![cmd]).map(drop)
    }

    pub(crate) fn kill_pane(&self, pane: &str) -> Result<(), TmuxError> {
        self.run(vec![KillPane::new().target_pane(pane).build()])
            .map(drop)
    }

    /// Kills the server, waits (up to 5 s) until it is gone, and removes its socket file,
    /// which tmux leaves behind. A new server on the same name right after `kill-server`
    /// would otherwise race the old one's exit.
    pub(crate) fn kill_server(&self) -> Result<(), TmuxError> {
        let result = self.run(vec![KillServer::new().build()]).map(drop);
        let start = std::time::Instant::now();
        while self
            .run(vec![tmux_interface::ListSessions::new().build()])
            .is_ok()
            && start.elapsed() < std::time::Duration::from_secs(5)
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = std::fs::remove_file(self.socket_file());
        result
    }

    /// Where tmux puts this server's socket: `$TMUX_TMPDIR/tmux-<uid>/<name>`.
    pub(crate) fn socket_file(&self) -> PathBuf {
        let dir =
            std::env::var_os("TMUX_TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        dir.join(format!("tmux-{}", nix::unistd::getuid()))
            .join(&self.socket)
    }

    /// Shows `message` in the status line of every client attached to `session`.
    pub(crate) fn display_message(&self, session: &str, message: &str) -> Result<(), TmuxError> {
        // `-t session` picks a client of that session; with no client it is a no-op error.
        self.run(vec![
            DisplayMessage::new()
                .target_pane(format!("{session}:"))
                .message(message.replace('#', "##"))
                .build(),
        ])
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_pane_sends_the_panes_output() {
        let argv = Tmux::new("s").argv(vec![pipe_pane_out("%1".to_owned(), "cat")]);
        assert_eq!(argv[4..], ["pipe-pane", "-O", "-t", "%1", "cat"]);
    }

    #[test]
    fn argv_is_built_without_a_shell() {
        let tmux = Tmux::new("warden-test");
        let argv = [String::from("/bin/echo"), String::from("a b; $(rm -rf /)")];
        let spawn = Spawn {
            argv: &argv,
            cwd: Path::new("/repo"),
            env: &[("WARDEN_TASK".to_owned(), "x y".to_owned())],
        };
        let mut cmd = NewWindow::new().detached().window_name("w").build();
        spawn_args(&mut cmd, &spawn);
        let args = tmux.argv(vec![cmd, KillServer::new().build()]);
        assert_eq!(
            args,
            [
                "-f",
                "/dev/null",
                "-L",
                "warden-test",
                "new-window",
                "-d",
                "-n",
                "w",
                "-c",
                "/repo",
                "-e",
                "TMUX=",
                "-e",
                "WARDEN_TASK=x y",
                "/bin/echo",
                "a b; $(rm -rf /)",
                ";",
                "kill-server"
            ]
        );
    }
}
