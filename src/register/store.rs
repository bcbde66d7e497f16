//! Reading and writing `.warden/register.json`.
//!
//! A register that cannot be read is never silently replaced: loading reports where the file
//! broke and where the last good copy is, and the caller refuses to dispatch until a person
//! has fixed or restored it. Every save writes the register durably, then the backup
//! atomically, so the backup is always a complete earlier (or equal) state.

use std::path::{Path, PathBuf};

use super::model::{REGISTER_FORMAT_VERSION, Register};
use crate::state::{WriteError, write_atomic, write_replace};

#[derive(Debug, thiserror::Error)]
pub(crate) enum RegisterError {
    #[error("failed to read register {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "failed to parse register {path} at line {line}, column {column}: {message}; dispatch is refused until it is fixed (last good copy: {backup})"
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        backup: PathBuf,
    },
    #[error(
        "failed to read register {path}: format_version {found} is newer than this warden understands ({REGISTER_FORMAT_VERSION}); upgrade warden"
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("failed to encode register: {0}")]
    Encode(#[source] serde_json::Error),
}

/// The backup written beside the register on every save.
pub(crate) fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    path.with_file_name(name)
}

/// Parses register text. Pure; `path` only names the file in errors.
pub(crate) fn parse_register(text: &str, path: &Path) -> Result<Register, RegisterError> {
    let register: Register = serde_json::from_str(text).map_err(|e| RegisterError::Corrupt {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        // serde's text ends with its own " at line L column C"; ours says it once.
        message: e
            .to_string()
            .trim_end_matches(&format!(" at line {} column {}", e.line(), e.column()))
            .to_owned(),
        backup: backup_path(path),
    })?;
    if register.format_version > REGISTER_FORMAT_VERSION {
        return Err(RegisterError::TooNew {
            path: path.to_path_buf(),
            found: register.format_version,
        });
    }
    Ok(register)
}

/// Loads the register; a missing file is an empty register.
pub(crate) fn load_register(path: &Path) -> Result<Register, RegisterError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_register(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Register::default()),
        Err(source) => Err(RegisterError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Saves the register, then its backup. `durable`: the register is fsync'd (temp file,
/// fsync, rename, fsync of the folder), as a job's entry must be before the job starts;
/// otherwise it is only atomic (survives a crash of any process, not a power cut), for what
/// a restart can rebuild (pane ids, from the panes' tags). The backup is never fsync'd: it is
/// a recovery aid for a bad hand edit, and each fsync costs milliseconds on the way from a
/// dispatch decision to the pane. A crash in between leaves the backup one save older,
/// still a complete earlier state.
pub(crate) fn save_register(
    path: &Path,
    register: &Register,
    durable: bool,
) -> Result<(), RegisterError> {
    let mut bytes = serde_json::to_vec_pretty(register).map_err(RegisterError::Encode)?;
    bytes.push(b'\n');
    if durable {
        write_atomic(path, &bytes)?;
    } else {
        write_replace(path, &bytes)?;
    }
    write_replace(&backup_path(path), &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::register::{JobEnd, JobRecord};

    fn job(n: u32) -> JobRecord {
        JobRecord {
            job: format!("j{n}"),
            task: "t".to_owned(),
            attempt: n,
            argv: vec!["scripts/dispatch".to_owned(), "t".to_owned()],
            worktree: None,
            pane: Some("%3".to_owned()),
            pid: Some(42),
            started_at: Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("time"),
            ended_at: None,
            end: Some(JobEnd::Signaled {
                signal: "SIGKILL".to_owned(),
            }),
            last_output_at: None,
            log_path: PathBuf::from("tasks/logs/dispatch-t.log"),
            killed: false,
            stopped: false,
            agent: None,
        }
    }

    #[test]
    fn round_trips_and_keeps_a_backup() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".warden/register.json");
        assert_eq!(
            load_register(&path).expect("missing is empty"),
            Register::default()
        );
        let register = Register {
            format_version: REGISTER_FORMAT_VERSION,
            jobs: vec![job(1), job(2)],
            retries: [("t".to_owned(), 1)].into(),
        };
        save_register(&path, &register, true).expect("save");
        assert_eq!(load_register(&path).expect("load"), register);
        assert_eq!(
            load_register(&backup_path(&path)).expect("backup"),
            register
        );
    }

    #[test]
    fn corrupt_register_is_reported_with_line_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("register.json");
        let text = "{\n  \"format_version\": 1,\n  \"jobs\": [ oops ]\n}\n";
        std::fs::write(&path, text).expect("write");
        let err = load_register(&path).expect_err("corrupt");
        let msg = err.to_string();
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("register.json.bak"), "{msg}");
        assert!(msg.contains("dispatch is refused"), "{msg}");
        assert_eq!(std::fs::read_to_string(&path).expect("still there"), text);
    }

    #[test]
    fn newer_format_is_refused() {
        let err = parse_register(
            "{\"format_version\": 99, \"jobs\": []}",
            Path::new("r.json"),
        )
        .expect_err("too new");
        assert!(matches!(err, RegisterError::TooNew { found: 99, .. }));
    }
}
