//! Task files: the model, the pure parser, the cached store and the dispatch queue.

mod model;
mod parse;
mod queue;
mod store;

pub(crate) use model::{InvalidTask, Priority, Status, Task, TaskFields};
pub(crate) use parse::{ParseError, parse_task, parse_timestamp};
pub(crate) use queue::{Plan, plan};
pub(crate) use store::{Backlog, MAX_TASK_FILE_BYTES, StoreError, TaskStore};
