//! One frame of the dashboard, drawn with ratatui from the view, the dashboard's own state
//! and the frame's `now` (ages tick between snapshots). Pure apart from the frame's buffer,
//! so a test backend renders every state into a snapshot.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table};

use super::keys::{Modal, Ui};
use super::view::{NeedKind, RowState, View};
use crate::agent::AgentState;
use crate::detect::Severity;
use crate::escape::terminal_safe;
use crate::paint::{Style as Paint, agent_style, severity_style};

/// How the frame looks: with colours, or with bold and reverse only (`--color never`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Look {
    pub(crate) colour: bool,
}

impl Look {
    /// A style of the shared palette (`paint/palette.rs`) as ratatui draws it. Without
    /// colour, what stands out in colour (bold, red) is bold and what fades is dim.
    fn of(self, style: Paint) -> Style {
        let base = Style::new();
        match (style, self.colour) {
            (Paint::Plain, _) => base,
            (Paint::Dim, _) => base.add_modifier(Modifier::DIM),
            (Paint::Bold | Paint::BoldYellow | Paint::Red, false) => {
                base.add_modifier(Modifier::BOLD)
            }
            (_, false) => base,
            (Paint::Bold, true) => base.add_modifier(Modifier::BOLD),
            (Paint::BoldYellow, true) => base.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            (Paint::Red, true) => base.fg(Color::Red),
            (Paint::Green, true) => base.fg(Color::Green),
            (Paint::Yellow, true) => base.fg(Color::Yellow),
            (Paint::Magenta, true) => base.fg(Color::Magenta),
            (Paint::Cyan, true) => base.fg(Color::Cyan),
        }
    }

    fn state(self, s: RowState) -> Style {
        match s {
            // A job whose agent does not report runs, as far as warden knows.
            RowState::Running => self.of(Paint::Green),
            RowState::Agent(state) => self.of(agent_style(state)),
        }
    }

    fn severity(self, s: Severity) -> Style {
        self.of(severity_style(s))
    }
}

/// `12s`, `3m04s`, `2h05m`, `3d04h`.
pub(crate) fn age(from: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = u64::try_from((now - from).num_seconds()).unwrap_or(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn safe(text: &str) -> String {
    terminal_safe(&text.replace('\n', " ")).into_owned()
}

/// Which screen line shows which selectable row, for the mouse.
pub(crate) type Hits = Vec<(u16, usize)>;

/// Draws the whole frame; `gone` says why the supervisor does not answer (`warden top`).
pub(crate) fn draw(
    frame: &mut Frame<'_>,
    view: Option<&View>,
    ui: &Ui,
    now: DateTime<Utc>,
    look: Look,
    gone: Option<&str>,
) -> Hits {
    let area = frame.area();
    let Some(view) = view else {
        let text = gone.map_or_else(
            || "waiting for the first snapshot…".to_owned(),
            |why| format!("the supervisor does not answer: {}", safe(why)),
        );
        frame.render_widget(Paragraph::new(text), area);
        return Vec::new();
    };
    // Borders and a header line around at least one row.
    let cap = |n: usize, max: usize| u16::try_from(n.clamp(1, max)).unwrap_or(1) + 3;
    let decisions = if view.decisions.is_empty()
        && view.header.escalation == super::view::EscalationMode::Off
    {
        0
    } else {
        cap(view.decisions.len(), 5)
    };
    // Each section as tall as its rows; on a short terminal the workers give way first.
    let [head, workers, needs, queue, tier2, _, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(cap(view.workers.len(), usize::from(area.height))),
        Constraint::Length(cap(view.needs.len(), 6)),
        Constraint::Length(cap(view.queue.len(), 8)),
        Constraint::Length(decisions),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header(frame, head, view, now, look, gone);
    let mut hits = Vec::new();
    let base = 0;
    let (rows, section) = workers_rows(view, now, look, workers.width >= 100);
    selectable(frame, workers, rows, section, (ui, base, &mut hits));
    let base = view.workers.len();
    let (rows, section) = needs_rows(view, now, look);
    selectable(frame, needs, rows, section, (ui, base, &mut hits));
    let base = base + view.needs.len();
    let (rows, section) = queue_rows(view);
    selectable(frame, queue, rows, section, (ui, base, &mut hits));
    if decisions > 0 {
        decisions_table(frame, tier2, view, now);
    }
    footer(frame, foot, ui);
    match &ui.modal {
        Some(Modal::Help) => help(frame, area),
        Some(Modal::ConfirmKill { task }) => confirm(frame, area, task),
        None => {}
    }
    hits
}

fn header(
    frame: &mut Frame<'_>,
    area: Rect,
    view: &View,
    now: DateTime<Utc>,
    look: Look,
    gone: Option<&str>,
) {
    let h = &view.header;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut first = vec![
        Span::styled("warden ", bold),
        Span::raw(safe(&h.repo)),
        Span::raw(format!(
            "  workers {}/{}  queue {}  ",
            h.running, h.max_workers, h.queued
        )),
    ];
    for (n, sev, word) in [
        (h.critical, Severity::Critical, "critical"),
        (h.warning, Severity::Warning, "warning"),
        (h.info, Severity::Info, "info"),
    ] {
        if n > 0 {
            first.push(Span::styled(format!("{n} {word}  "), look.severity(sev)));
        }
    }
    first.push(Span::raw(h.escalation.label()));
    let budget = match (h.hour_budget, h.hour_usd) {
        (Some(max), usd) => {
            let over = usd.is_some_and(|u| u >= max);
            let style = if over {
                look.severity(Severity::Critical)
            } else {
                Style::new()
            };
            Span::styled(
                format!("this hour {} (budget ${max:.2})", h.hour_spend),
                style,
            )
        }
        (None, _) => Span::raw(format!("this hour {}", h.hour_spend)),
    };
    let second = match gone {
        Some(why) => Line::from(Span::styled(
            format!(
                "the supervisor does not answer: {} (showing the last snapshot)",
                safe(why)
            ),
            look.severity(Severity::Critical),
        )),
        None if view.stale(now) => Line::from(Span::styled(
            format!("stale: no snapshot for {}", age(view.generated_at, now)),
            look.severity(Severity::Critical),
        )),
        None => Line::from(vec![
            budget,
            Span::styled(
                format!("  snapshot {} ago", age(view.generated_at, now)),
                look.of(Paint::Dim),
            ),
        ]),
    };
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

/// The first row to show so that `selected` (when in this table) is visible.
fn scroll(len: usize, visible: usize, selected: Option<usize>) -> usize {
    match selected {
        Some(s) if s >= visible => (s + 1 - visible).min(len.saturating_sub(visible)),
        _ => 0,
    }
}

/// One selectable table: its title, what it says when empty, its columns.
struct Section<'a> {
    title: &'a str,
    empty: &'a str,
    widths: Vec<Constraint>,
    header: Row<'a>,
}

/// Draws the rows of one table, selection applied and their screen lines recorded for the
/// mouse; an empty one says so in words.
fn selectable<'a>(
    frame: &mut Frame<'_>,
    area: Rect,
    rows: Vec<Row<'a>>,
    section: Section<'a>,
    (ui, base, hits): (&Ui, usize, &mut Hits),
) {
    let len = rows.len();
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    let local = ui.selected.checked_sub(base).filter(|&s| s < len);
    let start = scroll(len, visible, local);
    let title = if len > visible {
        format!(" {} ({len}) ", section.title)
    } else {
        format!(" {} ", section.title)
    };
    let block = Block::bordered().title(title);
    if len == 0 {
        let quiet = Span::styled(section.empty, Style::new().add_modifier(Modifier::DIM));
        frame.render_widget(Paragraph::new(quiet).block(block), area);
        return;
    }
    let mut shown: Vec<Row<'a>> = Vec::new();
    for (i, row) in rows.into_iter().enumerate().skip(start).take(visible) {
        let y = area.y + 2 + u16::try_from(i - start).unwrap_or(0);
        hits.push((y, base + i));
        shown.push(if local == Some(i) {
            row.style(Style::new().add_modifier(Modifier::REVERSED))
        } else {
            row
        });
    }
    let table = Table::new(shown, section.widths)
        .header(
            section
                .header
                .style(Style::new().add_modifier(Modifier::BOLD)),
        )
        .block(block);
    frame.render_widget(table, area);
}

/// The workers' rows and columns; `wide` adds what they spent.
fn workers_rows(
    view: &View,
    now: DateTime<Utc>,
    look: Look,
    wide: bool,
) -> (Vec<Row<'static>>, Section<'static>) {
    let rows = view
        .workers
        .iter()
        .map(|w| {
            let task = if w.attempt > 1 {
                format!("{} #{}", safe(&w.task), w.attempt)
            } else {
                safe(&w.task)
            };
            let mut cells = vec![
                Cell::from(task),
                Cell::from(Span::styled(w.state.label(), look.state(w.state))),
                Cell::from(age(w.started_at, now)),
                Cell::from(age(w.output_at, now)),
                Cell::from(safe(&w.last)),
            ];
            if wide {
                cells.push(Cell::from(w.spend.clone()));
            }
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(task_width(view.workers.iter().map(|w| w.task.len() + 3))),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let mut names = vec!["task", "state", "running", "silent", "last event"];
    if wide {
        widths.push(Constraint::Length(22));
        names.push("spent");
    }
    let section = Section {
        title: "workers",
        empty: "no worker running",
        widths,
        header: Row::new(names),
    };
    (rows, section)
}

fn task_width(lens: impl Iterator<Item = usize>) -> u16 {
    u16::try_from(lens.max().unwrap_or(4).clamp(6, 28)).unwrap_or(28)
}

/// What needs a person, as rows.
fn needs_rows(
    view: &View,
    now: DateTime<Utc>,
    look: Look,
) -> (Vec<Row<'static>>, Section<'static>) {
    let rows = view
        .needs
        .iter()
        .map(|n| {
            let style = match n.kind {
                NeedKind::Waiting => look.state(RowState::Agent(AgentState::WaitingInput)),
                _ => look.severity(n.severity),
            };
            Row::new([
                Cell::from(Span::styled(n.kind.label(), style)),
                Cell::from(n.task.as_deref().map(safe).unwrap_or_default()),
                Cell::from(age(n.since, now)),
                Cell::from(safe(&n.message)),
            ])
        })
        .collect();
    let widths = vec![
        Constraint::Length(16),
        Constraint::Length(task_width(
            view.needs
                .iter()
                .filter_map(|n| n.task.as_ref())
                .map(String::len),
        )),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let header = Row::new(["needs you", "task", "for", "why"]);
    let section = Section {
        title: "needs you",
        empty: "nothing needs you",
        widths,
        header,
    };
    (rows, section)
}

/// The queue, then the held tasks, as rows.
fn queue_rows(view: &View) -> (Vec<Row<'static>>, Section<'static>) {
    let rows = view
        .queue
        .iter()
        .map(|q| {
            let why = match &q.held {
                Some(why) => format!("held: {}", safe(why)),
                None => safe(&q.title),
            };
            Row::new([
                Cell::from(safe(&q.task)),
                Cell::from(q.priority.clone()),
                Cell::from(why),
            ])
        })
        .collect();
    let widths = vec![
        Constraint::Length(task_width(view.queue.iter().map(|q| q.task.len()))),
        Constraint::Length(4),
        Constraint::Fill(1),
    ];
    let header = Row::new(["task", "prio", "title, or why it is held"]);
    let section = Section {
        title: "queue",
        empty: "the queue is empty",
        widths,
        header,
    };
    (rows, section)
}

fn decisions_table(frame: &mut Frame<'_>, area: Rect, view: &View, now: DateTime<Utc>) {
    let rows: Vec<Row<'_>> = view
        .decisions
        .iter()
        .map(|d| {
            Row::new([
                Cell::from(format!("{} ago", age(d.at, now))),
                Cell::from(d.outcome.clone()),
                Cell::from(safe(&d.detail)),
            ])
        })
        .collect();
    let rows = if rows.is_empty() {
        vec![Row::new([Cell::from("no decision yet")])]
    } else {
        rows
    };
    let widths = [
        Constraint::Length(10),
        Constraint::Length(12),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths).block(Block::bordered().title(" tier 2 decisions "));
    frame.render_widget(table, area);
}

fn footer(frame: &mut Frame<'_>, area: Rect, ui: &Ui) {
    let text = ui.status.clone().unwrap_or_else(|| {
        "↑↓/jk select  ⏎ window  l log  K kill  r retry  d dispatch  a ack  s silence  ? help"
            .to_owned()
    });
    frame.render_widget(Paragraph::new(safe(&text)), area);
}

fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

const HELP: &[&str] = &[
    "↑/↓ or k/j   select a row (or click it)",
    "Enter        show the worker's window",
    "l            the task's latest log, in a pager",
    "K            kill the worker (asks first)",
    "r            retry: lift the task's hold",
    "d            dispatch the task now",
    "a / s        acknowledge / silence its alert for an hour",
    "?            this help",
    "q            leave `warden top` (the window's dashboard stays)",
    "",
    "The supervisor's own log is .warden/supervisor.log.",
];

fn help(frame: &mut Frame<'_>, area: Rect) {
    let box_ = centred(area, 66, u16::try_from(HELP.len()).unwrap_or(12) + 2);
    frame.render_widget(Clear, box_);
    let lines: Vec<Line<'_>> = HELP.iter().map(|l| Line::from(*l)).collect();
    let block = Block::bordered().title(" keys (any key closes) ");
    frame.render_widget(Paragraph::new(lines).block(block), box_);
}

fn confirm(frame: &mut Frame<'_>, area: Rect, task: &str) {
    let box_ = centred(area, 60, 4);
    frame.render_widget(Clear, box_);
    let text = vec![
        Line::from(format!("Kill the worker of {}?", safe(task))),
        Line::from("SIGTERM now, SIGKILL after 10s.  y: kill, any other key: no"),
    ];
    frame.render_widget(
        Paragraph::new(text).block(Block::bordered().title(" kill ")),
        box_,
    );
}
