//! The last check on a painted report: warden's own colour codes pass, every other control
//! character is shown as a visible escape, as `crate::escape::terminal_safe_lines` does.
//! Fields are escaped before they are painted, so an escape sequence from a task file never
//! reaches this point as one.

use std::borrow::Cow;

use super::style::{RESET, Style};
use crate::escape::push_safe;

/// The colour sequence `rest` starts with, if it is one of warden's own.
fn own_sequence(rest: &str) -> Option<&'static str> {
    Style::ALL
        .iter()
        .filter_map(|s| s.sgr())
        .chain([RESET])
        .find(|sgr| rest.starts_with(sgr))
}

/// `text` with warden's colour codes and newlines kept and every other control escaped.
pub(crate) fn terminal_safe_painted(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && c.is_control()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(sgr) = own_sequence(rest) {
            out.push_str(sgr);
            rest = &rest[sgr.len()..];
            continue;
        }
        if c == '\n' {
            out.push(c);
        } else {
            push_safe(&mut out, c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paint::Paint;

    #[test]
    fn own_colour_passes_and_anything_else_is_escaped() {
        let painted = format!(
            "{} \x1b]0;evil\x07 \x1b[8mhidden\n",
            Paint::ON.paint(Style::BoldYellow, "WAITING")
        );
        assert_eq!(
            terminal_safe_painted(&painted),
            "\x1b[1;33mWAITING\x1b[0m \\e]0;evil\\x07 \\e[8mhidden\n"
        );
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            terminal_safe_painted("a\nb"),
            Cow::Borrowed("a\nb")
        ));
    }
}
