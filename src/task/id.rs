//! What a task id may be. The parser refuses every id that breaks this rule and the launcher
//! checks it again, so whatever `warden check` accepts, dispatch can run: an id travels
//! through argv and the environment (where a NUL cannot go), tmux commands (which are capped
//! at about 16 KiB) and terminals (where an escape sequence would act).

use std::fmt;

/// The longest id, in bytes of UTF-8. Far above any id people write, far below what would
/// crowd a tmux command that carries it several times.
pub(crate) const MAX_ID_BYTES: usize = 200;

/// Why an id cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdProblem {
    Empty,
    TooLong {
        bytes: usize,
    },
    /// The first control character in it (`char::is_control`: C0, DEL and C1).
    Control(char),
}

impl fmt::Display for IdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("is empty"),
            Self::TooLong { bytes } => write!(
                f,
                "is {bytes} bytes long, over the {MAX_ID_BYTES}-byte limit for an id"
            ),
            Self::Control(c) => write!(
                f,
                "contains the control character U+{:04X}; ids must be printable",
                u32::from(*c)
            ),
        }
    }
}

/// Checks an id against the rule; `Ok` means every part of dispatch can carry it.
pub(crate) fn check_id(id: &str) -> Result<(), IdProblem> {
    if id.is_empty() {
        return Err(IdProblem::Empty);
    }
    if id.len() > MAX_ID_BYTES {
        return Err(IdProblem::TooLong { bytes: id.len() });
    }
    match id.chars().find(|c| c.is_control()) {
        Some(c) => Err(IdProblem::Control(c)),
        None => Ok(()),
    }
}

/// The id for a message: quoted and escaped, and cut when long so a 9,000-byte id does not
/// fill the screen.
pub(crate) fn shown(id: &str) -> String {
    const KEEP: usize = 40;
    match id.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{:?}…", &id[..cut]),
        None => format!("{id:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        assert_eq!(check_id(""), Err(IdProblem::Empty));
        assert_eq!(check_id(&"a".repeat(200)), Ok(()));
        assert_eq!(
            check_id(&"a".repeat(201)),
            Err(IdProblem::TooLong { bytes: 201 })
        );
        assert_eq!(check_id("a\u{0}b"), Err(IdProblem::Control('\u{0}')));
        assert_eq!(check_id("a\u{9b}b"), Err(IdProblem::Control('\u{9b}')));
        for ok in ["semi;", "a b", "naïve-✓", "$(x)", "..", "-rf"] {
            assert_eq!(check_id(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn messages() {
        assert_eq!(
            IdProblem::Control('\u{1b}').to_string(),
            "contains the control character U+001B; ids must be printable"
        );
        assert_eq!(shown("a\u{0}b"), r#""a\0b""#);
        assert_eq!(shown(&"x".repeat(9000)), format!("{:?}…", "x".repeat(40)));
    }
}
