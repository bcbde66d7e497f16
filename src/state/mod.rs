//! Effects on warden's own files: the one way it writes them, and the rules for where it
//! may write (no links, private modes).

mod atomic;
mod folder;
mod mode;
mod open;
mod refusal;
mod stamp;

pub(crate) use atomic::{
    WriteError, write_atomic, write_atomic_as, write_atomic_linked, write_replace,
};
pub(crate) use folder::{check_no_links, ensure_folder, ensure_owned_private, make_private};
pub(crate) use mode::{FileMode, FolderMode};
pub(crate) use open::{Open, open_private, read_bounded};
pub(crate) use refusal::PathError;
pub(crate) use stamp::{Stamp, stamp};
