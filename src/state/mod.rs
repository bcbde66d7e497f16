//! Effects on warden's own files.

mod atomic;
mod stamp;

pub(crate) use atomic::{WriteError, write_atomic, write_atomic_linked, write_replace};
pub(crate) use stamp::{Stamp, stamp};
