//! What warden's status line and pane borders show, as the server options `start_session`
//! sets: each window's name followed by its worker's state mark (a window user option the
//! supervisor sets), a waiting worker in black on yellow, compact panes titled with their
//! task and state, and a bell that reaches attached clients. Formats checked on tmux 3.3a.

/// The window user option holding a worker window's state mark (`run`, `wait`, `✓`, `✗ 1`).
pub(crate) const STATE_OPTION: &str = "@warden_state";

/// The pane user option holding a compact pane's title: its task and its state mark.
pub(crate) const TITLE_OPTION: &str = "@warden_title";

/// The mark a waiting worker has; the formats below single it out by this value.
pub(crate) const WAITING: &str = "wait";

/// A window in the status line: `1:w-task wait` (the mark only when set), then tmux's usual
/// flags. A waiting worker's whole entry is black on yellow. Styles are separated by spaces:
/// a comma would end the conditional's branch. The option's value is not expanded again,
/// so nothing in it is read as a format.
const WINDOW_STATUS: &str = "#{?#{==:#{@warden_state},wait},#[fg=black bg=yellow bold],}\
#I:#W#{?@warden_state, #{@warden_state},}#{?window_flags,#{window_flags}, }#[default]";

/// A compact pane's border: its task and state (black on yellow while it waits), else the
/// pane's index.
const PANE_BORDER: &str = "#{?@warden_title,\
#{?#{m:* wait,#{@warden_title}},#[fg=black bg=yellow bold],} #{@warden_title} #[default],\
 #{pane_index} }";

/// The global options set with the session: `(name, value)`.
pub(super) const SESSION_OPTIONS: &[(&str, &str)] = &[
    ("window-status-format", WINDOW_STATUS),
    ("window-status-current-format", WINDOW_STATUS),
    ("pane-border-format", PANE_BORDER),
    // The supervisor sets the counts at its first heartbeat; tmux's default (a pane title
    // and the clock) would say nothing of warden meanwhile.
    ("status-right", ""),
    ("status-right-length", "60"),
    // A bell in any window reaches attached clients as a bell (the supervisor rings one
    // with a message that matters), not as a message that would replace it.
    ("monitor-bell", "on"),
    ("bell-action", "any"),
    ("visual-bell", "off"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formats_name_the_options_and_the_waiting_mark() {
        assert!(WINDOW_STATUS.contains(&format!("#{{{STATE_OPTION}}}")));
        assert!(WINDOW_STATUS.contains(&format!("#{{==:#{{{STATE_OPTION}}},{WAITING}}}")));
        assert!(PANE_BORDER.contains(&format!("#{{{TITLE_OPTION}}}")));
        assert!(PANE_BORDER.contains(&format!("#{{m:* {WAITING},")));
        // A comma inside a style would split the conditional around it.
        for f in [WINDOW_STATUS, PANE_BORDER] {
            for style in f.split("#[").skip(1) {
                let style = style.split(']').next().unwrap_or_default();
                assert!(!style.contains(','), "{style}");
            }
        }
    }
}
