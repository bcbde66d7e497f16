//! The wrapper's record of one job: `.warden/jobs/<job>.json`, written atomically when the
//! child starts and again when it ends. It is the source of truth for exit codes: it
//! survives a supervisor that was down when the job ended.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::register::JobEnd;
use crate::state::{WriteError, write_replace};

pub(crate) const WORKER_RECORD_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WorkerRecord {
    pub(crate) format_version: u32,
    pub(crate) job: String,
    /// The child's pid (the agent), not the wrapper's.
    pub(crate) pid: Option<u32>,
    /// The wrapper's own pid: the pane's process, leader of the job's process group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) wrapper_pid: Option<u32>,
    pub(crate) started_at: DateTime<Utc>,
    #[serde(default)]
    pub(crate) ended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(crate) end: Option<JobEnd>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("failed to read job record {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse job record {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

pub(crate) fn record_path(jobs_dir: &Path, job: &str) -> PathBuf {
    jobs_dir.join(format!("{job}.json"))
}

pub(crate) fn write_record(path: &Path, record: &WorkerRecord) -> Result<(), RecordError> {
    let mut bytes = serde_json::to_vec_pretty(record).unwrap_or_default();
    bytes.push(b'\n');
    write_replace(path, &bytes)?;
    Ok(())
}

/// `Ok(None)` when the wrapper has not written one (yet).
pub(crate) fn read_record(path: &Path) -> Result<Option<WorkerRecord>, RecordError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RecordError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| RecordError::Parse {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_jobs_folder_is_refused() {
        let out = tempfile::tempdir().expect("tempdir");
        let dir = tempfile::tempdir().expect("tempdir");
        let jobs = dir.path().join("jobs");
        std::os::unix::fs::symlink(out.path(), &jobs).expect("plant");
        let record = WorkerRecord {
            format_version: WORKER_RECORD_VERSION,
            job: "j1".into(),
            pid: Some(7),
            wrapper_pid: Some(6),
            started_at: Utc::now(),
            ended_at: None,
            end: None,
        };
        let written = write_record(&record_path(&jobs, "j1"), &record);
        assert_eq!(
            std::fs::read_dir(out.path()).expect("list").count(),
            0,
            "the record went through the linked jobs folder"
        );
        let err = written.expect_err("refused");
        assert!(
            err.to_string().contains(&jobs.display().to_string()),
            "{err}"
        );
    }
}
