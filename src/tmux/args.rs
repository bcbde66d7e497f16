//! The argv of one tmux client call, built with `tmux_interface` (as an argv builder only)
//! and assembled here: every value escaped for tmux's own argument parser, every value tmux
//! expands as a format made literal, commands joined with `;`, and window batches cut into
//! chunks tmux accepts.

use std::borrow::Cow;

use tmux_interface::{NewWindow, PipePane, SetOption, TmuxCommand};

use super::format::NEW_PANE_FORMAT;
use super::port::{Spawn, WindowSpec};
use crate::escape::terminal_safe;

/// tmux reads an argument that *ends* with `;` as the end of a command (and `\;` at the end
/// as a literal `;`), so a value ending with `;` gets a backslash before that `;`:
/// `semi;` → `semi\;`, `a\;` → `a\\;`. Nothing else in an argument is special to it.
pub(super) fn escape(arg: &str) -> Cow<'_, str> {
    match arg.strip_suffix(';') {
        Some(head) => Cow::Owned(format!("{head}\\;")),
        None => Cow::Borrowed(arg),
    }
}

/// `text` for an argument tmux 3.3a expands as a format, made literal: `#` becomes `##`,
/// or a `#(…)` in a repository's path would run a shell command and a `#{…}` would be
/// replaced. Formatted (checked on a private server): the start folder `-c` of
/// `new-session`, `new-window`, `split-window` and `respawn-pane`, the window name `-n`,
/// the `pipe-pane` command and the `display-message` text. Not formatted, so left alone:
/// `-e` values, the command's own argv, `set-option` values and targets.
pub(super) fn literal(text: &str) -> Cow<'_, str> {
    if text.contains('#') {
        Cow::Owned(text.replace('#', "##"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A window name as tmux gets it: shown in status lines, so no control characters, and a
/// format, so literal.
pub(super) fn window_name(name: &str) -> String {
    literal(&terminal_safe(name)).into_owned()
}

/// The argv after `tmux`: the private socket, no config file, and the commands separated by
/// `;` elements. Separators are added here, after escaping, so no value can become one.
pub(super) fn argv(socket: &str, commands: &[TmuxCommand<'_>]) -> Vec<String> {
    let mut out = vec![
        "-f".to_owned(),
        "/dev/null".to_owned(),
        "-L".to_owned(),
        socket.to_owned(),
    ];
    for (i, c) in commands.iter().enumerate() {
        if i > 0 {
            out.push(";".to_owned());
        }
        out.extend(c.to_vec().iter().map(|a| escape(a).into_owned()));
    }
    out
}

/// Bytes the commands take in tmux's command message (each argument and its NUL, the
/// separators included), which tmux 3.3a caps at about 16 KiB.
pub(super) fn command_bytes(commands: &[TmuxCommand<'_>]) -> usize {
    let args: usize = commands
        .iter()
        .flat_map(TmuxCommand::to_vec)
        .map(|a| escape(&a).len() + 1)
        .sum();
    args + 2 * commands.len().saturating_sub(1)
}

/// `-c dir -e TMUX= -e K=V … argv…` for a command that starts a pane.
pub(super) fn spawn_args<'a>(cmd: &mut TmuxCommand<'a>, spawn: &Spawn<'a>) {
    cmd.push_option("-c", literal(&spawn.cwd.to_string_lossy()).into_owned());
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
pub(super) fn pipe_pane_out(pane: String, shell_command: &str) -> TmuxCommand<'_> {
    PipePane::new()
        .stdin()
        .target_pane(pane)
        .shell_command(literal(shell_command).into_owned())
        .build()
}

/// Commands that tag the pane `target` resolves to and attach its log, for the same client
/// call that made the pane (one fork per worker instead of three).
pub(super) fn worker_setup<'a>(
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

/// One window after the last one of `session`, tagged and piped: `{end}` names the window
/// just made (`-a` puts it last), so no pane id is needed in between.
pub(super) fn window_commands<'a>(session: &str, spec: &WindowSpec<'a>) -> Vec<TmuxCommand<'a>> {
    let end = format!("{session}:{{end}}");
    let mut cmd = NewWindow::new()
        .detached()
        .after()
        .print()
        .format(NEW_PANE_FORMAT)
        .target_window(end.clone())
        .window_name(window_name(spec.name))
        .build();
    spawn_args(&mut cmd, &spec.spawn);
    let mut cmds = vec![cmd];
    cmds.extend(worker_setup(&end, spec.job, spec.pipe));
    cmds
}

/// tmux 3.3a refuses a command list over about 16 KiB; chunks stay well under it.
pub(super) const BATCH_BYTES: usize = 12 * 1024;

/// The windows' commands cut into chunks of at most `BATCH_BYTES` (a window too big on its
/// own gets a chunk of its own, which tmux then refuses), each with its number of windows.
pub(super) fn chunks<'a>(groups: Vec<Vec<TmuxCommand<'a>>>) -> Vec<(Vec<TmuxCommand<'a>>, usize)> {
    let mut out = Vec::new();
    let (mut chunk, mut windows, mut bytes): (Vec<TmuxCommand<'a>>, usize, usize) =
        (Vec::new(), 0, 0);
    for group in groups {
        // +2: the `;` joining this group to the chunk.
        let size = command_bytes(&group) + 2;
        if windows > 0 && bytes + size > BATCH_BYTES {
            out.push((std::mem::take(&mut chunk), windows));
            (windows, bytes) = (0, 0);
        }
        chunk.extend(group);
        windows += 1;
        bytes += size;
    }
    if windows > 0 {
        out.push((chunk, windows));
    }
    out
}

/// The first argument tmux could never receive (a NUL byte ends a C string, and
/// `std::process::Command` refuses it), described briefly.
pub(super) fn invalid_argument(commands: &[TmuxCommand<'_>]) -> Option<String> {
    commands
        .iter()
        .flat_map(TmuxCommand::to_vec)
        .find(|a| a.contains('\0'))
        .map(|a| {
            format!(
                "argument {:?} contains a NUL byte",
                super::error::cap(&a, 60)
            )
        })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tmux_interface::KillServer;

    use super::*;

    #[test]
    fn a_trailing_semicolon_is_escaped() {
        for (raw, sent) in [
            ("semi;", "semi\\;"),
            ("a\\;", "a\\\\;"),
            (";", "\\;"),
            ("a;b", "a;b"),
            ("plain", "plain"),
            ("", ""),
        ] {
            assert_eq!(escape(raw), sent, "{raw:?}");
        }
    }

    #[test]
    fn formatted_values_are_literal_and_the_others_exact() {
        let args = [String::from("agent"), String::from("#{pane_id}")];
        let spawn = Spawn {
            argv: &args,
            cwd: Path::new("/r/p#(touch PWNED)q"),
            env: &[("WARDEN_ROOT".to_owned(), "/r/h#{pane_id}d".to_owned())],
        };
        let spec = WindowSpec {
            name: "w-#x\x1b]0;t\x07",
            spawn,
            job: Some("j#1"),
            pipe: Some("exec cat >> '/r/h#{pane_id}d/log'"),
        };
        let argv = argv("s", &window_commands("s", &spec));
        let after = |flag: &str| {
            argv.iter()
                .position(|a| a == flag)
                .map(|i| argv[i + 1].as_str())
        };
        assert_eq!(after("-n"), Some("w-##x\\e]0;t\\x07"));
        assert_eq!(after("-c"), Some("/r/p##(touch PWNED)q"));
        assert_eq!(after("-e"), Some("TMUX="));
        assert!(
            argv.contains(&"WARDEN_ROOT=/r/h#{pane_id}d".to_owned()),
            "{argv:?}"
        );
        assert!(
            argv.contains(&"#{pane_id}".to_owned()),
            "argv exact: {argv:?}"
        );
        assert!(
            argv.contains(&"j#1".to_owned()),
            "option value exact: {argv:?}"
        );
        assert_eq!(
            argv.last().map(String::as_str),
            Some("exec cat >> '/r/h##{pane_id}d/log'")
        );
    }

    #[test]
    fn pipe_pane_sends_the_panes_output() {
        let argv = argv("s", &[pipe_pane_out("%1".to_owned(), "cat")]);
        assert_eq!(argv[4..], ["pipe-pane", "-O", "-t", "%1", "cat"]);
    }

    #[test]
    fn argv_is_built_without_a_shell_and_values_cannot_end_a_command() {
        let args = [
            String::from("/bin/echo"),
            String::from("a b; $(rm -rf /)"),
            String::from("semi;"),
            String::from(";"),
        ];
        let spawn = Spawn {
            argv: &args,
            cwd: Path::new("/repo;"),
            env: &[("WARDEN_TASK".to_owned(), "x y;".to_owned())],
        };
        let mut cmd = NewWindow::new().detached().window_name("w").build();
        spawn_args(&mut cmd, &spawn);
        let cmds = [cmd, KillServer::new().build()];
        let argv = argv("warden-test", &cmds);
        assert_eq!(
            argv,
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
                "/repo\\;",
                "-e",
                "TMUX=",
                "-e",
                "WARDEN_TASK=x y\\;",
                "/bin/echo",
                "a b; $(rm -rf /)",
                "semi\\;",
                "\\;",
                ";",
                "kill-server"
            ]
        );
        let body: usize = argv[4..].iter().map(|a| a.len() + 1).sum();
        assert_eq!(command_bytes(&cmds), body);
    }

    #[test]
    fn batches_are_cut_under_the_limit_and_keep_order() {
        let argv: Vec<String> = vec!["x".repeat(1000)];
        let big: Vec<String> = vec!["y".repeat(20_000)];
        let spawn = |argv| Spawn {
            argv,
            cwd: Path::new("/"),
            env: &[],
        };
        let spec = |name, argv| WindowSpec {
            name,
            spawn: spawn(argv),
            job: Some("j1"),
            pipe: Some("cat >> /tmp/log"),
        };
        let specs: Vec<WindowSpec<'_>> = (0..30)
            .map(|i| {
                spec(
                    if i == 20 { "big" } else { "w" },
                    if i == 20 { &big } else { &argv },
                )
            })
            .collect();
        let groups = specs.iter().map(|s| window_commands("s", s)).collect();
        let chunks = chunks(groups);
        assert_eq!(chunks.iter().map(|(_, n)| n).sum::<usize>(), 30);
        for (cmds, n) in &chunks {
            assert!(command_bytes(cmds) <= BATCH_BYTES || *n == 1);
        }
        // The big window stands alone, so the windows before it still fit.
        assert!(
            chunks
                .iter()
                .any(|(cmds, n)| *n == 1 && command_bytes(cmds) > 20_000)
        );
    }

    #[test]
    fn nul_bytes_are_caught() {
        let cmd = |arg| NewWindow::new().window_name(arg).build();
        assert_eq!(invalid_argument(&[cmd("a"), cmd("b")]), None);
        let why = invalid_argument(&[cmd("a"), cmd("b\0c")]).expect("caught");
        assert!(why.contains("NUL"), "{why}");
    }
}
