//! The tmux seam: a narrow driver over one private server, pure `-F` parsers, and names.

mod driver;
mod format;
mod naming;
mod pipe;

pub(crate) use driver::{Spawn, Tmux, TmuxError, WindowSpec};
pub(crate) use format::{NewPane, PaneRow};
pub(crate) use naming::{session_name, socket_file, socket_name, stable_hash};
pub(crate) use pipe::append_to;
