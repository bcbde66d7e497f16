//! The executor's part for what tmux shows: the marks of worker windows (the window user
//! option `@warden_state`) or of compact panes (`@warden_title`, with the window's pane
//! borders turned on), the counts in `status-right`, and the bell that comes with a message
//! that matters. A tmux failure is logged, never acted on.

use std::io::Write as _;

use super::executor::{Executor, Output};
use super::mark::JobMark;
use super::state::State;
use crate::layout::WorkerPlacement;
use crate::tmux::{OptionSet, STATE_OPTION, Scope, TITLE_OPTION};

/// One job's pane and the options to set for it: `(on its window, name, value)`.
struct PaneMarks {
    pane: String,
    options: Vec<(bool, &'static str, String)>,
}

fn option_sets(jobs: &[PaneMarks]) -> Vec<OptionSet<'_>> {
    jobs.iter()
        .flat_map(|j| {
            j.options.iter().map(|(window, name, value)| OptionSet {
                scope: if *window {
                    Scope::Window(&j.pane)
                } else {
                    Scope::Pane(&j.pane)
                },
                name,
                value,
            })
        })
        .collect()
}

impl Executor {
    /// Sets the marks in one tmux call; if tmux refuses it (a pane closed meanwhile stops
    /// the list there), job by job.
    pub(super) fn mark(&self, state: &State, marks: &[JobMark]) {
        if !state.health.tmux_ok() {
            return;
        }
        let tiled = state.layout.workers != WorkerPlacement::Windows;
        let jobs: Vec<PaneMarks> = marks
            .iter()
            .filter_map(|m| {
                let pane = state.jobs.get(&m.job)?.pane.clone()?;
                let text = m.mark.text();
                let options = if tiled {
                    vec![
                        (false, TITLE_OPTION, format!("{} {text}", m.task)),
                        (true, "pane-border-status", "top".to_owned()),
                    ]
                } else {
                    vec![(true, STATE_OPTION, text.into_owned())]
                };
                Some(PaneMarks { pane, options })
            })
            .collect();
        match self.port.set_options(&option_sets(&jobs)) {
            Ok(()) => {}
            Err(e) if jobs.len() > 1 && !e.is_unanswered() => {
                for one in jobs.chunks(1) {
                    if let Err(e) = self.port.set_options(&option_sets(one)) {
                        tracing::debug!("failed to mark the window of pane {}: {e}", one[0].pane);
                    }
                }
            }
            Err(e) => tracing::debug!("failed to mark the workers' windows: {e}"),
        }
    }

    /// Sets `status-right`; when tmux did not take it, the next heartbeat sets it again.
    pub(super) fn set_status_right(&self, state: &mut State, text: &str) {
        let options = [OptionSet {
            scope: Scope::Global,
            name: "status-right",
            value: text,
        }];
        if let Err(e) = self.port.set_options(&options) {
            tracing::debug!("failed to set the status line's counts: {e}");
            state.passes.status_right = None;
        }
    }

    /// A bell with a message that matters: printed in the supervisor's own pane (the
    /// `warden` window), it reaches attached clients (`bell-action any`) and flags that
    /// window in the status line. Only when stdout is that terminal, never into a log.
    pub(super) fn ring(&self) {
        if self.output == Output::Redraw {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(b"\x07");
            let _ = out.flush();
        }
    }
}
