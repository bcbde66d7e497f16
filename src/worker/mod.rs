//! The worker side: the `run-worker` wrapper that is each pane's process, its record file
//! and its report to the supervisor, and stopping a worker's whole process tree.

mod group;
mod record;
mod report;
mod socket_dir;
mod stopper;
mod tree;
mod workspace;
mod wrapper;

pub(crate) use group::{alive, alive_named};
pub(crate) use record::{WorkerRecord, read_record, record_path};
pub(crate) use report::{Report, ReportKind, parse_report, send_report};
pub(crate) use socket_dir::{check_socket_folder, socket_path};
pub(crate) use stopper::Stopper;
pub(crate) use workspace::{HookEnd, HookEnv, WorkspacePlan, plan_path, run_hook};
pub(crate) use wrapper::{WrapperArgs, run_worker, signal_name};
