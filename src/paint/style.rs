//! The styles warden paints with, and `Paint`: on or off, decided once, passed down.

/// A style: one fixed SGR sequence each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Bold,
    Dim,
    Red,
    Green,
    Yellow,
    BoldYellow,
    Magenta,
    Cyan,
}

/// Ends every painted run.
pub(crate) const RESET: &str = "\x1b[0m";

impl Style {
    pub(crate) const ALL: [Self; 9] = [
        Self::Plain,
        Self::Bold,
        Self::Dim,
        Self::Red,
        Self::Green,
        Self::Yellow,
        Self::BoldYellow,
        Self::Magenta,
        Self::Cyan,
    ];

    /// The SGR sequence that starts the style; none for plain text.
    pub(crate) fn sgr(self) -> Option<&'static str> {
        match self {
            Self::Plain => None,
            Self::Bold => Some("\x1b[1m"),
            Self::Dim => Some("\x1b[2m"),
            Self::Red => Some("\x1b[31m"),
            Self::Green => Some("\x1b[32m"),
            Self::Yellow => Some("\x1b[33m"),
            Self::BoldYellow => Some("\x1b[1;33m"),
            Self::Magenta => Some("\x1b[35m"),
            Self::Cyan => Some("\x1b[36m"),
        }
    }
}

/// Whether a report is painted. Off for files, `--json` and anything not a terminal
/// (unless `--color always`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Paint {
    on: bool,
}

impl Paint {
    pub(crate) const OFF: Self = Self { on: false };
    #[cfg(test)]
    pub(crate) const ON: Self = Self { on: true };

    pub(crate) fn new(on: bool) -> Self {
        Self { on }
    }

    pub(crate) fn is_on(self) -> bool {
        self.on
    }

    /// `text` in `style`. The text must already be escaped (`crate::escape`): the codes
    /// wrap it, they are never inside it.
    pub(crate) fn paint(self, style: Style, text: &str) -> String {
        match style.sgr() {
            Some(sgr) if self.on && !text.is_empty() => format!("{sgr}{text}{RESET}"),
            _ => text.to_owned(),
        }
    }

    /// `text` left-aligned in a column `width` characters wide. The padding goes after the
    /// colour codes, so painted and plain columns line up alike.
    pub(crate) fn cell(self, style: Style, text: &str, width: usize) -> String {
        let pad = width.saturating_sub(text.chars().count());
        format!("{}{}", self.paint(style, text), " ".repeat(pad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn painting_wraps_the_text_when_on_only() {
        assert_eq!(Paint::ON.paint(Style::Red, "x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Paint::OFF.paint(Style::Red, "x"), "x");
        assert_eq!(Paint::ON.paint(Style::Plain, "x"), "x");
        assert_eq!(Paint::ON.paint(Style::Red, ""), "", "nothing to paint");
    }

    #[test]
    fn a_cell_is_padded_outside_its_colour() {
        assert_eq!(Paint::ON.cell(Style::Green, "ab", 4), "\x1b[32mab\x1b[0m  ");
        assert_eq!(Paint::OFF.cell(Style::Green, "ab", 4), "ab  ");
        assert_eq!(
            Paint::OFF.cell(Style::Green, "日本", 3),
            "日本 ",
            "chars, not bytes"
        );
        assert_eq!(Paint::OFF.cell(Style::Green, "long", 2), "long");
    }
}
