//! One frame as text (`warden top --once`), and whether a terminal gets the dashboard at all.

use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::draw::{Look, draw};
use super::keys::{Place, Ui};
use super::view::View;
use crate::snapshot::Snapshot;

/// The dashboard runs on a terminal that can show it: not `TERM=dumb` (or unset), and not
/// with `NO_COLOR` set, where the plain heartbeat is shown instead.
pub(crate) fn enabled(stdout_is_terminal: bool) -> bool {
    let env = crate::paint::ColorEnv::from_process();
    let term_set = std::env::var_os("TERM").is_some_and(|t| !t.is_empty());
    stdout_is_terminal && term_set && !env.no_color && !env.dumb_term
}

/// The frame `width` × `height` cells, as lines of text without trailing blanks.
pub(crate) fn frame_text(
    snapshot: &Snapshot,
    now: DateTime<Utc>,
    width: u16,
    height: u16,
) -> String {
    let view = View::build(snapshot);
    let mut ui = Ui::new(Place::Top);
    ui.follow(&view);
    // No row is selected in a printed frame.
    ui.selected = usize::MAX;
    render(&view, &ui, now, width, height)
}

pub(super) fn render(view: &View, ui: &Ui, now: DateTime<Utc>, width: u16, height: u16) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width.max(20), height.max(8))) {
        Ok(t) => t,
        Err(e) => return format!("failed to draw: {e}\n"),
    };
    if let Err(e) = terminal.draw(|f| {
        let _ = draw(f, Some(view), ui, now, Look { colour: false }, None);
    }) {
        return format!("failed to draw: {e}\n");
    }
    let buffer = terminal.backend().buffer();
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
