//! Task files: the model, the pure parser, the cached store and the dispatch queue.

mod edit;
mod id;
mod model;
mod parse;
mod queue;
mod read;
mod store;
mod suggest;
#[cfg(test)]
pub(crate) mod testing;
mod walk;
mod watch;

pub(crate) use edit::mark_started;
pub(crate) use id::{IdProblem, check_id};
#[cfg(test)]
pub(crate) use model::TaskFields;
pub(crate) use model::{InvalidTask, Priority, Status, Task};
pub(crate) use parse::task_body;
pub(crate) use queue::{Activity, Plan, plan};
pub(crate) use read::read_task_file;
pub(crate) use store::{Backlog, Scan, TaskStore};
pub(crate) use suggest::{close_ids, did_you_mean};
