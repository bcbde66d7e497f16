//! What each agent is doing, from its own hooks: the hook intake (`warden hook`), the
//! per-job settings that wire Claude Code to it, the pure state machine, and the per-job
//! record file the supervisor reads.

mod expect;
mod model;

pub(crate) use expect::{AGENT_SETTINGS, CODEX_NOTIFY, HookTarget, expected_agent};

pub(crate) use model::{
    AGENT_FORMAT_VERSION, AGENT_RECORD_MAX, AgentKind, AgentRecord, AgentState, agent_path,
    hook_errors_path, read_agent_record, read_agents, settings_path,
};
