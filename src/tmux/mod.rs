//! The tmux seam: a narrow port over one private server, bounded client calls, typed
//! errors, pure `-F` parsers, and names.

mod args;
mod driver;
mod error;
mod exec;
mod format;
mod naming;
mod port;

pub(crate) use driver::Tmux;
pub(crate) use error::TmuxError;
pub(crate) use format::{NewPane, PaneRow};
pub(crate) use naming::{session_name, socket_name, stable_hash};
pub(crate) use port::{Batch, Spawn, TmuxPort, WindowSpec};
