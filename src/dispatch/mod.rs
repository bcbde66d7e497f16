//! Dispatch: the argv template and safe names, the retry policy, and launching a job.

mod policy;
mod template;

pub(crate) use policy::{Hold, Policy, holds, next_attempt};
#[cfg(test)]
pub(crate) use template::is_safe_name;
pub(crate) use template::{Placeholders, safe_name};
