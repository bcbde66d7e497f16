//! Task files: the model, the pure parser, the cached store and the dispatch queue.

mod model;
mod parse;

pub(crate) use model::{InvalidTask, Priority, Status, Task, TaskFields};
pub(crate) use parse::{ParseError, parse_task, parse_timestamp};
