//! The register of dispatch attempts: its model and its file.

mod model;
mod store;
#[cfg(test)]
pub(crate) mod testing;

pub(crate) use model::{JobEnd, JobRecord, Register};
pub(crate) use store::{RegisterError, backup_path, load_register, save_register};
