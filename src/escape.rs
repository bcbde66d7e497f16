//! Text from task files, paths and agents made safe to show on a terminal, in a tmux window
//! name or a status-line message. A task id like `"\e]0;evil\a"` would otherwise retitle
//! the window, change colours or (on some terminals) write the clipboard, and a newline in
//! an id would break a table. Control characters are shown as visible escapes; everything
//! else, unicode included, is left as written so ordinary titles stay readable.

use std::borrow::Cow;
use std::fmt::Write as _;

/// C0 controls, DEL and the C1 controls (U+0080–U+009F, which some terminals obey as
/// 8-bit CSI, OSC and the like even in UTF-8).
fn is_control(c: char) -> bool {
    c.is_control()
}

/// `text` with every control character shown visibly: `\e` (ESC), `\n`, `\r`, `\t`,
/// `\x07` for the other C0 controls and DEL, `\u{9b}` for C1 controls. A backslash is left
/// alone, so the result is itself safe and escaping it again changes nothing.
pub(crate) fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_safe(&mut out, c);
    }
    Cow::Owned(out)
}

/// `terminal_safe` for text of several lines that warden itself joined with newlines (a
/// report, an error with an excerpt): each `\n` is kept, every other control is escaped.
pub(crate) fn terminal_safe_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_control(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' {
            out.push(c);
        } else {
            push_safe(&mut out, c);
        }
    }
    Cow::Owned(out)
}

pub(crate) fn push_safe(out: &mut String, c: char) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x80 && is_control(c) => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if is_control(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_visibly() {
        for (raw, shown) in [
            ("\x1b]0;evil\x07\x1b[31mRED", "\\e]0;evil\\x07\\e[31mRED"),
            ("a\nb\rc\td", "a\\nb\\rc\\td"),
            ("nul\0del\x7f", "nul\\x00del\\x7f"),
            ("csi\u{9b}31m osc\u{9d}", "csi\\u{9b}31m osc\\u{9d}"),
            ("nel\u{85}", "nel\\u{85}"),
        ] {
            assert_eq!(terminal_safe(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn everything_else_is_unchanged_and_borrowed() {
        for text in [
            "",
            "fix-login",
            "Café naïve 日本語 🚀",
            "a\\eb",
            "50% #done ;",
        ] {
            assert!(
                matches!(terminal_safe(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
            assert!(matches!(terminal_safe_lines(text), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn escaping_twice_changes_nothing() {
        let once = terminal_safe("\x1b[2J\u{9b}\n\\e").into_owned();
        assert_eq!(terminal_safe(&once), once);
        assert!(!once.chars().any(char::is_control), "{once:?}");
    }

    #[test]
    fn lines_keep_their_newlines_only() {
        assert_eq!(
            terminal_safe_lines("one \x1b[31m\ntwo\r\x07\n"),
            "one \\e[31m\ntwo\\r\\x07\n"
        );
    }
}
