//! One line of `warden doctor`: how bad, what, and the fix. Shared by doctor's checks
//! (`doctor.rs`, `doctor_hooks.rs`) and `warden up`'s preflight.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(serde::Serialize)]
pub(super) struct Finding {
    pub(super) level: Level,
    pub(super) what: String,
    pub(super) fix: Option<String>,
}

pub(super) fn ok(what: impl Into<String>) -> Finding {
    Finding {
        level: Level::Ok,
        what: what.into(),
        fix: None,
    }
}

pub(super) fn bad(level: Level, what: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        level,
        what: what.into(),
        fix: Some(fix.into()),
    }
}

pub(super) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
