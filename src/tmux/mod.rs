//! The tmux seam: a narrow port over one private server (real driver and, in tests, a
//! recording fake), bounded client calls, typed errors, pure `-F` parsers, and names.

mod args;
mod driver;
mod error;
mod exec;
#[cfg(test)]
mod fake;
#[cfg(test)]
mod fake_call;
#[cfg(test)]
mod fake_tests;
mod format;
#[cfg(test)]
mod live_tests;
mod naming;
mod pipe;
mod port;
mod status;

pub(crate) use driver::Tmux;
pub(crate) use error::TmuxError;
#[cfg(test)]
pub(crate) use fake::FakeTmux;
#[cfg(test)]
pub(crate) use fake_call::{Call, Verb};
pub(crate) use format::{NewPane, PaneRow};
pub(crate) use naming::{session_name, socket_file, socket_name, stable_hash};
pub(crate) use pipe::append_to;
#[cfg(test)]
pub(crate) use port::Batch;
pub(crate) use port::{AttachHow, OptionSet, Scope, Spawn, TmuxPort, WindowSpec};
pub(crate) use status::{STATE_OPTION, TITLE_OPTION, WAITING};
