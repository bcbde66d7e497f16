//! `--color auto|always|never` and what the environment says, resolved to on or off once per
//! stream (stdout for reports, stderr for logs).

use std::ffi::OsStr;

/// When to colour what a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set or TERM is dumb.
    #[default]
    Auto,
    /// Always colour, even into a pipe or with NO_COLOR set.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Always => "always",
            Self::Never => "never",
        }
    }
}

/// What the environment says about colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ColorEnv {
    /// `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    pub(crate) no_color: bool,
    /// `TERM=dumb`: a terminal that cannot show colour.
    pub(crate) dumb_term: bool,
}

impl ColorEnv {
    pub(crate) fn new(no_color: Option<&OsStr>, term: Option<&OsStr>) -> Self {
        Self {
            no_color: no_color.is_some_and(|v| !v.is_empty()),
            dumb_term: term.is_some_and(|t| t == "dumb"),
        }
    }

    /// This process's `NO_COLOR` and `TERM`.
    pub(crate) fn from_process() -> Self {
        Self::new(
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
    }
}

/// Whether to colour a stream: the flag wins; `auto` colours a terminal only, and not with
/// `NO_COLOR` or `TERM=dumb`.
#[must_use]
pub(crate) fn resolve(choice: ColorChoice, is_terminal: bool, env: ColorEnv) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !env.no_color && !env.dumb_term,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_a_plain_terminal_only() {
        let plain = ColorEnv::new(None, Some(OsStr::new("xterm-256color")));
        assert!(resolve(ColorChoice::Auto, true, plain));
        assert!(!resolve(ColorChoice::Auto, false, plain), "a pipe");
    }

    #[test]
    fn no_color_with_a_value_and_a_dumb_terminal_turn_auto_off() {
        let no_color = ColorEnv::new(Some(OsStr::new("1")), None);
        assert!(!resolve(ColorChoice::Auto, true, no_color));
        let empty = ColorEnv::new(Some(OsStr::new("")), None);
        assert!(resolve(ColorChoice::Auto, true, empty), "an empty NO_COLOR");
        let dumb = ColorEnv::new(None, Some(OsStr::new("dumb")));
        assert!(!resolve(ColorChoice::Auto, true, dumb));
    }

    #[test]
    fn the_flag_wins_over_the_environment() {
        let both = ColorEnv::new(Some(OsStr::new("1")), Some(OsStr::new("dumb")));
        assert!(resolve(ColorChoice::Always, false, both));
        assert!(!resolve(ColorChoice::Never, true, ColorEnv::default()));
    }
}
