//! `warden top [--once]`: the dashboard in any terminal, talking to the live supervisor over
//! its control socket. A pipe, `TERM=dumb` or `NO_COLOR` get the plain heartbeat instead,
//! printed each time the supervisor publishes.

use std::io::IsTerminal as _;

use super::control::unreached;
use super::output::print;
use crate::config::LoadedConfig;
use crate::dashboard::{Context, Feed, FeedError, Look, Place, enabled, fetch, frame_text, watch};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::paint::Paint;
use crate::snapshot::{Snapshot, render_heartbeat};
use crate::supervisor::RuntimePaths;

/// The frame `--once` prints when the output is not a terminal with a size.
const ONCE_SIZE: (u16, u16) = (120, 40);

/// One snapshot, newer than `after` (waiting up to `wait_secs` for it), with the CLI's
/// errors for a supervisor that is not running or does not answer.
fn snapshot(
    paths: &RuntimePaths,
    after: Option<chrono::DateTime<chrono::Utc>>,
    wait_secs: u64,
) -> Result<Snapshot, Error> {
    fetch(&paths.control, after, wait_secs).map_err(|e| match e {
        FeedError::Control(e) => unreached(paths, e),
        FeedError::Answer(message) => Error::Supervisor(message),
    })
}

pub(crate) fn top(loaded: &LoadedConfig, once: bool, paint: Paint) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    // Asked first, so a supervisor that is not running is the usual error and exit code.
    let first = snapshot(&paths, None, 0)?;
    let terminal = std::io::stdout().is_terminal();
    if once {
        let (w, h) = if terminal {
            ratatui::crossterm::terminal::size().unwrap_or(ONCE_SIZE)
        } else {
            ONCE_SIZE
        };
        print(&frame_text(&first, crate::clock::now(), w, h))?;
        return Ok(ExitCode::Ok);
    }
    if !enabled(terminal) {
        // Plain heartbeats as they come, until the supervisor stops.
        let mut last = first;
        loop {
            print(&format!("{}\n", render_heartbeat(&last, paint)))?;
            let at = last.generated_at;
            last = loop {
                let next = snapshot(&paths, Some(at), 20)?;
                if next.generated_at > at {
                    break next;
                }
            };
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let _ = tx.send(Feed::Snapshot(Box::new(first)));
    let feed = tx.clone();
    let control = paths.control.clone();
    std::thread::spawn(move || watch(&control, &feed));
    let ctx = Context {
        place: Place::Top,
        inside_ours: super::attach::inside_ours(&paths),
        ack_for: loaded.config.escalation.ack_for,
        // `--color never` keeps the dashboard, in bold and reverse only.
        look: Look {
            colour: paint.is_on(),
        },
        paths,
    };
    crate::dashboard::run(&rx, &tx, &ctx)?;
    Ok(ExitCode::Ok)
}
