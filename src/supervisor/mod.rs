//! The supervisor: `warden supervise` owns the loop; `up`, `down` and the CLI's requests
//! reach it through its lock and its control socket.

mod accountant;
mod action;
mod after_pass;
mod agent_reader;
mod agents;
mod control;
mod decide;
mod deliveries;
mod dispatch;
mod event;
mod executor;
mod executor_agents;
mod executor_marks;
mod executor_tier2;
mod health;
mod jobs;
mod launch;
mod limits;
mod lock;
mod managers;
mod mark;
mod marks;
mod notifier;
mod pack;
mod paths;
mod prompt_file;
mod protocol;
mod reconcile;
mod requests;
mod run;
mod screen;
mod secure;
mod settle;
mod sources;
mod state;
mod stop;
mod tier2;
mod watchers;

#[cfg(test)]
mod hostile_state_tests;
#[cfg(test)]
mod hostile_text_tests;
#[cfg(test)]
mod marks_tests;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

pub(crate) use control::{ControlError, request};
pub(crate) use lock::{LockError, Role, StartLock, SupervisorLock};
pub(crate) use paths::RuntimePaths;
pub(crate) use prompt_file::read_template;
pub(crate) use protocol::{Refusal, Request, Response};
pub(crate) use run::{PASS_WAIT, SuperviseError, Supervisor};
