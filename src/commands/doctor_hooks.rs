//! `warden doctor`'s check that the agent hooks can reach warden: a job's settings call
//! this warden binary by its absolute path (`agent::settings`), and that call reports to
//! the supervisor's socket. A binary replaced or removed since, or a socket path the
//! kernel cannot bind, leaves every job silent.

use std::path::Path;

use super::finding::{Finding, Level, bad, is_executable, ok};
use crate::supervisor::RuntimePaths;
use crate::worker::check_socket_folder;

/// The longest Unix socket path: `sun_path` holds 108 bytes with the closing NUL.
const SOCKET_PATH_MAX: usize = 107;

/// `exe`: the binary `warden up` would hand to the supervisor (`current_exe`), or why it
/// cannot be known.
pub(super) fn check_hooks(
    paths: &RuntimePaths,
    exe: Result<&Path, String>,
    out: &mut Vec<Finding>,
) {
    let exe = match exe {
        Ok(exe) => exe,
        Err(e) => {
            out.push(bad(
                Level::Fail,
                format!("the warden binary cannot be found ({e}); workers and agent hooks call it by its path"),
                "run warden from where it is installed (cargo install --locked --path .)",
            ));
            return;
        }
    };
    let mut fine = true;
    if !is_executable(exe) {
        // Linux names a binary replaced while it runs `<path> (deleted)`.
        fine = false;
        out.push(bad(
            Level::Fail,
            format!(
                "the warden binary {} is gone or not executable; workers and agent hooks call it by this path",
                exe.display()
            ),
            "run the warden that is installed now (a rebuilt binary replaces the one running)",
        ));
    } else if exe.to_str().is_none() {
        // Hook settings are JSON text: a path that is not UTF-8 cannot be written in them.
        fine = false;
        out.push(bad(
            Level::Fail,
            format!(
                "the warden binary's path {} is not UTF-8, so agent hooks cannot name it",
                exe.display()
            ),
            "install warden under a UTF-8 path",
        ));
    }
    for (what, socket) in [
        ("report socket", &paths.reports),
        ("control socket", &paths.control),
    ] {
        let len = socket.as_os_str().len();
        if len > SOCKET_PATH_MAX {
            fine = false;
            out.push(bad(
                Level::Fail,
                format!(
                    "the {what} {} is {len} bytes, longer than a Unix socket path can be ({SOCKET_PATH_MAX})",
                    socket.display()
                ),
                "set WARDEN_SOCKET_DIR to a short folder of your own",
            ));
        } else if let Err(e) = check_socket_folder(socket, false) {
            fine = false;
            out.push(bad(
                Level::Fail,
                format!("the {what}'s folder cannot be used: {e}"),
                "make the folder yours and private (chmod 700), or remove it",
            ));
        }
    }
    if fine {
        out.push(ok(format!(
            "agent hooks can reach warden: {} reporting to {}",
            exe.display(),
            paths.reports.display()
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(state: &Path) -> RuntimePaths {
        let loaded = crate::config::LoadedConfig {
            config: crate::config::Config::default(),
            root: state.to_path_buf(),
            file: None,
            unknown_keys: Vec::new(),
        };
        RuntimePaths::new(&loaded)
    }

    fn levels(out: &[Finding]) -> Vec<Level> {
        out.iter().map(|f| f.level).collect()
    }

    #[test]
    fn a_binary_that_is_there_and_short_sockets_pass() {
        let dir = tempfile::tempdir().expect("tempdir");
        let exe = std::env::current_exe().expect("test binary");
        let mut out = Vec::new();
        check_hooks(&paths(dir.path()), Ok(&exe), &mut out);
        assert_eq!(levels(&out), [Level::Ok], "{}", out[0].what);
        assert!(out[0].what.contains("reports.sock"), "{}", out[0].what);
    }

    #[test]
    fn a_binary_gone_since_fails_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gone = dir.path().join("warden (deleted)");
        let mut out = Vec::new();
        check_hooks(&paths(dir.path()), Ok(&gone), &mut out);
        assert_eq!(levels(&out), [Level::Fail]);
        assert!(out[0].what.contains("warden (deleted)"), "{}", out[0].what);

        let mut out = Vec::new();
        check_hooks(&paths(dir.path()), Err("no such file".to_owned()), &mut out);
        assert_eq!(levels(&out), [Level::Fail]);
    }

    #[test]
    fn a_socket_path_too_long_to_bind_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let exe = std::env::current_exe().expect("test binary");
        let mut p = paths(dir.path());
        p.reports = Path::new("/").join("s".repeat(120));
        let mut out = Vec::new();
        check_hooks(&p, Ok(&exe), &mut out);
        assert_eq!(levels(&out), [Level::Fail]);
        assert!(out[0].what.contains("report socket"), "{}", out[0].what);
        assert!(
            out[0]
                .fix
                .as_deref()
                .is_some_and(|f| f.contains("WARDEN_SOCKET_DIR"))
        );
    }
}
