//! The command line: raw flags only (`app.rs` turns them into a validated config), the
//! grouped help and the man page generated from them.

mod args;
mod build;
mod command;
mod examples;
mod groups;
mod man;

pub(crate) use args::{Cli, OverrideArgs};
#[cfg(test)]
pub(crate) use build::parse;
pub(crate) use build::{command, parse_matches};
pub(crate) use command::{BudgetAction, Command};
pub(crate) use groups::overview;
pub(crate) use man::render as render_man;
