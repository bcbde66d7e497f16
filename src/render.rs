//! A terminal agent's output the way a person saw it: the bytes a pane printed (cursor
//! moves, redraws, a spinner) replayed through a terminal emulator (`vt100`), the
//! scrollback and the last screen read back as text. `warden logs` shows this; `--raw`
//! keeps the bytes.

/// The pane size warden's sessions use: agents draw for it.
const ROWS: u16 = 50;
const COLS: u16 = 200;
/// At most this much of the end of a log is replayed (memory grows with the scrollback).
const RENDER_TAIL: u64 = 4 * 1024 * 1024;
const SCROLLBACK: usize = 20_000;

/// The text a person would have seen. Lines warden itself wrote end in a bare `\n`, which a
/// terminal takes as "down one row" only: each becomes `\r\n` first.
pub(crate) fn render_terminal(bytes: &[u8]) -> String {
    let mut fed = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            fed.push(b'\r');
        }
        fed.push(b);
        previous = b;
    }
    let mut parser = vt100::Parser::new(ROWS, COLS, SCROLLBACK);
    parser.process(&fed);
    let screen = parser.screen_mut();
    screen.set_scrollback(usize::MAX);
    let mut offset = screen.scrollback();
    let mut lines: Vec<String> = Vec::new();
    // The rows shown at scrollback offset `o` start `o` rows above the screen: walking the
    // offset down a page at a time reads the history in order, then the screen.
    while offset > 0 {
        screen.set_scrollback(offset);
        let take = offset.min(usize::from(ROWS));
        lines.extend(screen.rows(0, COLS).take(take));
        offset -= take;
    }
    screen.set_scrollback(0);
    lines.extend(screen.rows(0, COLS));
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let mut out = String::new();
    for line in lines {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The log at `path` as `warden logs` and the dashboard's pager show it: its last
/// `RENDER_TAIL` bytes replayed, escaped like any text from an agent, with a note when the
/// log began earlier.
pub(crate) fn log_as_seen(path: &std::path::Path) -> std::io::Result<String> {
    let (bytes, before) = crate::log_end::read_end(path, RENDER_TAIL)?;
    let mut text = String::new();
    if before > 0 {
        text.push_str(&format!(
            "(the first {before} bytes are not shown; `warden logs --raw` has them all)\n"
        ));
    }
    text.push_str(&render_terminal(&bytes));
    // The text is what a terminal drew: its control characters are gone already, and what
    // is left is escaped like any text from an agent.
    Ok(crate::escape::terminal_safe_lines(&text).into_owned())
}

/// The last `lines` lines of a log's end as a person saw them: for context packs, whose
/// tails and one-shot outputs read like `warden logs`. `from_middle`: `bytes` start
/// somewhere inside the log, so the partial first line (perhaps half an escape sequence)
/// is dropped.
pub(crate) fn rendered_tail(bytes: &[u8], from_middle: bool, lines: usize) -> String {
    let start = if from_middle {
        bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| i + 1)
    } else {
        0
    };
    let text = render_terminal(&bytes[start..]);
    let all: Vec<&str> = text.lines().collect();
    let mut out = all[all.len().saturating_sub(lines)..].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_moves_become_spaces_and_redraws_collapse() {
        // What Claude Code drew (research note): words placed by column, not by spaces.
        let tui = b"Stub\x1b[8Gmodel\x1b[14Ghere.\r\n";
        assert_eq!(render_terminal(tui), "Stub   model here.\n");
        // A spinner redrawn in place shows its last frame only.
        let spinner = b"working |\rworking /\rworking -\rdone      \r\n";
        assert_eq!(render_terminal(spinner), "done\n");
    }

    #[test]
    fn a_tail_is_the_rendered_text_and_a_cut_first_line_is_dropped() {
        let mut log = b"=== warden: j1 attempt 1 of t started ===\n".to_vec();
        log.extend_from_slice(b"Stub\x1b[8Gmodel\r\nworking |\rworking /\rdone      \r\n");
        for i in 0..5 {
            log.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let tail = rendered_tail(&log, false, 6);
        assert_eq!(tail, "done\nline 0\nline 1\nline 2\nline 3\nline 4\n");
        let all = rendered_tail(&log, false, 100);
        assert!(all.contains("Stub   model\n"), "{all}");
        assert!(!all.contains('\x1b') && !all.contains("working"), "{all}");
        // Cut inside an escape sequence: that line goes, the rest is whole.
        let cut = &log[log.iter().position(|&b| b == 0x1b).expect("esc") + 2..];
        assert!(rendered_tail(cut, true, 100).starts_with("done\n"));
        assert_eq!(rendered_tail(b"", false, 10), "");
    }

    #[test]
    fn plain_lines_and_a_long_history_come_back_in_order() {
        let mut log = b"=== warden: j1 attempt 1 of t started ===\n".to_vec();
        for i in 0..300 {
            log.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let text = render_terminal(&log);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 301, "{text}");
        assert_eq!(lines[0], "=== warden: j1 attempt 1 of t started ===");
        assert_eq!(lines[1], "line 0");
        assert_eq!(lines[300], "line 299");
    }
}
