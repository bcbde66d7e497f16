//! Effects on warden's own files.

mod atomic;

pub(crate) use atomic::{WriteError, write_atomic, write_atomic_linked, write_replace};
