//! The supervisor: `warden supervise` owns the loop; `up`, `down` and the CLI's requests
//! reach it through its lock and its control socket.

mod actions;
mod control;
mod event;
mod launch;
mod lock;
mod paths;
mod reconcile;
mod run;
mod sources;
mod state;
mod tier2;

pub(crate) use control::{ControlError, Request, Response, request};
pub(crate) use lock::SupervisorLock;
pub(crate) use paths::RuntimePaths;
pub(crate) use state::Supervisor;
