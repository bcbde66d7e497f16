//! What each agent is doing, from its own hooks: the hook intake (`warden hook`), the
//! per-job settings that wire Claude Code to it, the pure state machine, and the per-job
//! record file the supervisor reads.

mod event;
mod expect;
mod hook;
mod input;
mod machine;
mod model;
mod settings;

pub(crate) use expect::{AGENT_SETTINGS, CODEX_NOTIFY, codex_notify, expected_agent};
pub(crate) use hook::hook_main;
pub(crate) use model::{
    AgentKind, AgentRecord, AgentState, agent_path, read_agent_record, settings_path,
};
pub(crate) use settings::{HookTarget, claude_settings, codex_notify_argv};
