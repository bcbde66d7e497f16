//! Task files: the model, the pure parser, the cached store and the dispatch queue.

mod edit;
mod model;
mod parse;
mod queue;
mod store;
mod watch;

pub(crate) use edit::mark_started;
#[cfg(test)]
pub(crate) use model::TaskFields;
pub(crate) use model::{InvalidTask, Priority, Status, Task};
pub(crate) use queue::{Activity, Plan, plan};
pub(crate) use store::{Backlog, Scan, StoreError, TaskStore};
