//! The snapshot: one model, rendered as JSON (the file) and as the text heartbeat.

mod build;
mod human;
mod model;
mod write;

pub(crate) use build::{SnapshotContext, build_snapshot};
pub(crate) use human::{render_heartbeat, spend};
pub(crate) use model::{
    AlertSummary, RECENT_DECISIONS, RecentDecision, SNAPSHOT_FORMAT_VERSION, Snapshot, TaskEntry,
};
pub(crate) use write::{LATEST, SnapshotError, read_latest, to_json, write_snapshot};
