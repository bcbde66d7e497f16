//! One file per subcommand; each takes what it needs and returns an exit code.

pub(crate) mod attach;
pub(crate) mod bench;
pub(crate) mod bench_exits;
pub(crate) mod bench_hook;
pub(crate) mod bench_usage;
pub(crate) mod budget;
pub(crate) mod check;
pub(crate) mod clean;
pub(crate) mod config;
pub(crate) mod control;
pub(crate) mod demo;
pub(crate) mod doctor;
mod doctor_hooks;
pub(crate) mod down;
mod finding;
pub(crate) mod heartbeat;
pub(crate) mod init;
pub(crate) mod jobs;
pub(crate) mod logs;
mod output;
mod preflight;
pub(crate) mod reload;
pub(crate) mod session;
pub(crate) mod status;
pub(crate) mod tasks;
pub(crate) mod tier2;
pub(crate) mod top;

pub(crate) use output::print_bytes;
