//! The dashboard on a real terminal: raw mode and the alternate screen (ratatui's crossterm
//! backend), a frame a second so ages tick, a frame at once when a snapshot or a key comes
//! in, and the keys' commands carried out. Requests go over the control socket on a thread of
//! their own, so a slow answer never freezes the screen; the answer comes back on the feed.

use std::io::Write;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use chrono::Utc;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event as TermEvent, KeyCode, KeyEventKind,
    MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;

use super::draw::{Hits, Look, draw};
use super::keys::{Command, Key, Place, Ui, on_key};
use super::view::View;
use crate::config::HumanDuration;
use crate::snapshot::Snapshot;
use crate::supervisor::{Request, Response, RuntimePaths, request};
use crate::tmux::{AttachHow, Tmux, TmuxPort};

/// What reaches the dashboard besides keys.
#[derive(Debug)]
pub(crate) enum Feed {
    Snapshot(Box<Snapshot>),
    /// The supervisor does not answer (`warden top`), and why.
    Gone(String),
    /// The answer to a key's request, for the status line.
    Answer(String),
    /// The supervisor stops: give the terminal back.
    Stop,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DashboardError {
    #[error("failed to draw the dashboard: {0}")]
    Terminal(#[from] std::io::Error),
}

/// What the dashboard needs besides its feed.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) place: Place,
    pub(crate) paths: RuntimePaths,
    /// `warden top` inside a client of warden's own tmux server: switch it, never nest.
    pub(crate) inside_ours: bool,
    pub(crate) look: Look,
    /// How long `a` acknowledges an alert (`escalation.ack_for`).
    pub(crate) ack_for: HumanDuration,
}

/// How often the screen is checked for keys and the feed for snapshots; a frame is drawn
/// only when something changed or a second passed.
const POLL: Duration = Duration::from_millis(100);

/// Runs until `q` (`warden top`) or until the feed's sender is gone (the supervisor stops).
pub(crate) fn run(
    feed: &Receiver<Feed>,
    answers: &Sender<Feed>,
    ctx: &Context,
) -> Result<(), DashboardError> {
    let mut terminal = ratatui::try_init()?;
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let result = run_loop(&mut terminal, feed, answers, ctx);
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

fn run_loop(
    terminal: &mut ratatui::DefaultTerminal,
    feed: &Receiver<Feed>,
    answers: &Sender<Feed>,
    ctx: &Context,
) -> Result<(), DashboardError> {
    let mut ui = Ui::new(ctx.place);
    let mut view: Option<View> = None;
    let mut gone: Option<String> = None;
    let mut hits: Hits = Vec::new();
    let mut drawn_at = None;
    loop {
        let mut dirty = false;
        loop {
            match feed.try_recv() {
                Ok(Feed::Snapshot(s)) => {
                    let v = View::build(&s);
                    ui.follow(&v);
                    view = Some(v);
                    gone = None;
                }
                Ok(Feed::Gone(why)) => gone = Some(why),
                Ok(Feed::Answer(text)) => ui.status = Some(text),
                Ok(Feed::Stop) => return Ok(()),
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return Ok(()),
            }
            dirty = true;
        }
        let now = Utc::now();
        let second = now.timestamp();
        if dirty || drawn_at != Some(second) {
            terminal
                .draw(|f| hits = draw(f, view.as_ref(), &ui, now, ctx.look, gone.as_deref()))?;
            drawn_at = Some(second);
        }
        if !event::poll(POLL)? {
            continue;
        }
        let key = match event::read()? {
            TermEvent::Key(k) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Up => Key::Up,
                KeyCode::Down => Key::Down,
                KeyCode::Enter => Key::Enter,
                KeyCode::Esc => Key::Esc,
                KeyCode::Char(c) => Key::Char(c),
                _ => continue,
            },
            TermEvent::Mouse(m) if m.kind == MouseEventKind::Down(MouseButton::Left) => {
                match hits.iter().find(|(y, _)| *y == m.row) {
                    Some((_, row)) => Key::Click(*row),
                    None => continue,
                }
            }
            TermEvent::Mouse(m) if m.kind == MouseEventKind::ScrollUp => Key::Up,
            TermEvent::Mouse(m) if m.kind == MouseEventKind::ScrollDown => Key::Down,
            TermEvent::Resize(..) => {
                drawn_at = None;
                continue;
            }
            _ => continue,
        };
        drawn_at = None;
        let Some(view_now) = view.as_ref() else {
            if key == Key::Char('q') && ctx.place == Place::Top {
                return Ok(());
            }
            continue;
        };
        match on_key(&mut ui, view_now, key) {
            None => {}
            Some(Command::Quit) => return Ok(()),
            Some(Command::Jump { pane }) => ui.status = jump(terminal, ctx, &pane)?,
            Some(Command::Log { task }) => ui.status = page_log(terminal, ctx, &task)?,
            Some(cmd) => ask(ctx, cmd, answers.clone()),
        }
    }
}

/// Shows the worker's window: the dashboard's own client selects it; `warden top` switches
/// a client of warden's server or lends this terminal to `tmux attach` until a detach.
fn jump(
    terminal: &mut ratatui::DefaultTerminal,
    ctx: &Context,
    pane: &str,
) -> Result<Option<String>, DashboardError> {
    let tmux = Tmux::new(ctx.paths.tmux_socket.clone());
    let how = match (ctx.place, ctx.inside_ours) {
        (Place::Window, _) => AttachHow::Select,
        (Place::Top, true) => AttachHow::Switch,
        (Place::Top, false) => AttachHow::Wait,
    };
    let result = if how == AttachHow::Wait {
        suspended(terminal, || tmux.attach(pane, how))?
    } else {
        tmux.attach(pane, how)
    };
    Ok(result
        .err()
        .map(|e| format!("failed to show the window: {e}")))
}

/// The task's log as a person saw it, in `$PAGER` (`less -R` by default).
fn page_log(
    terminal: &mut ratatui::DefaultTerminal,
    ctx: &Context,
    task: &str,
) -> Result<Option<String>, DashboardError> {
    let path = ctx.paths.log_for(task);
    let text = match crate::render::log_as_seen(&path) {
        Ok(text) => text,
        Err(e) => return Ok(Some(format!("failed to read {}: {e}", path.display()))),
    };
    let pager = std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty());
    let argv: Vec<String> = match &pager {
        Some(p) => p.split_whitespace().map(str::to_owned).collect(),
        None => vec!["less".to_owned(), "-R".to_owned(), "+G".to_owned()],
    };
    let shown = suspended(terminal, || -> std::io::Result<()> {
        let mut child = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(std::process::Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            // A pager that quits early closes its end: not an error.
            let _ = stdin.write_all(text.as_bytes());
        }
        child.wait().map(drop)
    })?;
    Ok(shown
        .err()
        .map(|e| format!("failed to run the pager {:?}: {e} (set PAGER)", argv[0])))
}

/// Gives the terminal back for `f` (a pager, `tmux attach`), then takes it again.
fn suspended<T>(
    terminal: &mut ratatui::DefaultTerminal,
    f: impl FnOnce() -> T,
) -> Result<T, DashboardError> {
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    let out = f();
    *terminal = ratatui::try_init()?;
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    terminal.clear()?;
    Ok(out)
}

/// A request to the supervisor on a thread; its answer comes back on the feed.
fn ask(ctx: &Context, cmd: Command, answers: Sender<Feed>) {
    let req = match cmd {
        Command::Kill { task } => Request::Kill {
            task,
            timeout_secs: 10,
        },
        Command::Retry { task } => Request::Retry { task },
        Command::Dispatch { task } => Request::Dispatch { task },
        Command::Ack { key } => Request::Alert {
            key,
            op: crate::escalate::AlertOp::Ack {
                until: ctx.ack_for.after(crate::clock::now()),
            },
        },
        Command::Silence { key } => Request::Alert {
            key,
            op: crate::escalate::AlertOp::Silence {
                until: SILENCE.after(crate::clock::now()),
            },
        },
        Command::Quit | Command::Jump { .. } | Command::Log { .. } => return,
    };
    let control = ctx.paths.control.clone();
    std::thread::spawn(move || {
        let text = answer_text(request(&control, &req, Duration::from_secs(30)), &control);
        let _ = answers.send(Feed::Answer(text));
    });
}

/// `s` silences an alert for an hour.
const SILENCE: HumanDuration = HumanDuration::from_hours(1);

fn answer_text(
    answer: Result<Response, crate::supervisor::ControlError>,
    control: &std::path::Path,
) -> String {
    match answer {
        Ok(Response::Ok { message }) => message,
        Ok(Response::Refused { refusal }) => refusal.to_string(),
        Ok(Response::Error { message }) => format!("failed: {message}"),
        Ok(other) => format!("unexpected answer from {}: {other:?}", control.display()),
        Err(e) => e.to_string(),
    }
}
