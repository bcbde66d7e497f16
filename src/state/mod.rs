//! Effects on warden's own files.

mod atomic;

pub(crate) use atomic::{WriteError, write_atomic};
