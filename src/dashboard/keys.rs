//! The dashboard's keys, decided: a key and the view in, the selection or a dialog changed
//! and at most one `Command` out. Pure; `term.rs` carries the command out.

use super::view::{Target, View};

/// Where the dashboard runs: `q` leaves `warden top`, never the supervisor's own window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The supervisor's `warden` window.
    Window,
    /// `warden top`, in any terminal.
    Top,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Modal {
    Help,
    /// `K` asks first: killing a worker loses its work in progress.
    ConfirmKill {
        task: String,
    },
}

/// The dashboard's own state between frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ui {
    pub(crate) place: Place,
    /// The selected row, in `View::rows` order.
    pub(crate) selected: usize,
    /// The task of the row the person selected, so the selection follows it when rows
    /// move; `None` until a key or a click chose one.
    pub(crate) selected_task: Option<String>,
    pub(crate) modal: Option<Modal>,
    /// A one-line answer to the last key (a request's result, why a key does not apply).
    pub(crate) status: Option<String>,
}

impl Ui {
    pub(crate) fn new(place: Place) -> Self {
        Self {
            place,
            selected: 0,
            selected_task: None,
            modal: None,
            status: None,
        }
    }

    /// A new view: keep the selection on the task the person chose when it is still listed;
    /// before any choice, the top row stays selected.
    pub(crate) fn follow(&mut self, view: &View) {
        let rows = view.rows();
        if let Some(task) = &self.selected_task
            && let Some(i) =
                (0..rows).find(|&i| view.target(i).and_then(|t| t.task).as_ref() == Some(task))
        {
            self.selected = i;
        }
        self.selected = self.selected.min(rows.saturating_sub(1));
    }

    fn remember(&mut self, view: &View) {
        self.selected_task = view.target(self.selected).and_then(|t| t.task);
    }
}

/// A key, as the dashboard reads it (the terminal's events mapped by `term.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Up,
    Down,
    Enter,
    Esc,
    Char(char),
    /// A mouse click on row `n` (in `View::rows` order).
    Click(usize),
}

/// What a key asks for, beyond the dashboard's own state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Show the worker's window (same tmux client when there is one).
    Jump {
        pane: String,
    },
    /// Page through the task's latest log.
    Log {
        task: String,
    },
    Kill {
        task: String,
    },
    Retry {
        task: String,
    },
    Dispatch {
        task: String,
    },
    Ack {
        key: String,
    },
    Silence {
        key: String,
    },
    Quit,
}

#[must_use]
pub(crate) fn on_key(ui: &mut Ui, view: &View, key: Key) -> Option<Command> {
    if let Some(modal) = ui.modal.take() {
        return match (modal, key) {
            (Modal::ConfirmKill { task }, Key::Char('y' | 'Y')) => Some(Command::Kill { task }),
            (Modal::ConfirmKill { .. }, _) => {
                ui.status = Some("kill cancelled".to_owned());
                None
            }
            (Modal::Help, _) => None,
        };
    }
    ui.status = None;
    let rows = view.rows();
    match key {
        Key::Up | Key::Char('k') => ui.selected = ui.selected.saturating_sub(1),
        Key::Down | Key::Char('j') => {
            ui.selected = (ui.selected + 1).min(rows.saturating_sub(1));
        }
        Key::Click(row) if row < rows => ui.selected = row,
        Key::Char('?') => ui.modal = Some(Modal::Help),
        Key::Char('q') | Key::Esc if ui.place == Place::Top => return Some(Command::Quit),
        Key::Char('q') => {
            ui.status = Some(
                "this is the supervisor's window: it keeps running (detach with your tmux prefix, then d; `warden down` stops it)"
                    .to_owned(),
            );
        }
        Key::Enter | Key::Char('l' | 'K' | 'r' | 'd' | 'a' | 's') => {
            return act(ui, view.target(ui.selected), key);
        }
        _ => {}
    }
    ui.remember(view);
    None
}

/// A key that acts on the selected row.
fn act(ui: &mut Ui, target: Option<Target>, key: Key) -> Option<Command> {
    let Some(target) = target else {
        ui.status = Some("nothing selected".to_owned());
        return None;
    };
    let no = |ui: &mut Ui, why: &str| {
        ui.status = Some(why.to_owned());
        None
    };
    let task = target.task.clone();
    match (key, task) {
        (Key::Enter, _) => match target.pane {
            Some(pane) => Some(Command::Jump { pane }),
            None => no(ui, "no worker window for this row"),
        },
        (Key::Char('a' | 's'), _) => match (target.alert, key) {
            (Some(key), Key::Char('a')) => Some(Command::Ack { key }),
            (Some(key), _) => Some(Command::Silence { key }),
            (None, _) => no(ui, "no firing alert for this row (Tier 2 raises alerts)"),
        },
        (_, None) => no(ui, "this row is not about a task"),
        (Key::Char('l'), Some(task)) => Some(Command::Log { task }),
        (Key::Char('K'), Some(task)) if target.live => {
            ui.modal = Some(Modal::ConfirmKill { task });
            None
        }
        (Key::Char('K'), Some(_)) => no(ui, "no running worker for this task"),
        (Key::Char('r'), Some(task)) => Some(Command::Retry { task }),
        (Key::Char('d'), Some(task)) => Some(Command::Dispatch { task }),
        _ => None,
    }
}
