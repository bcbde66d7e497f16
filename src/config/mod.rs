//! Configuration: `warden.toml`, environment variables and flags, with every default in
//! `model.rs`.

mod duration;
mod load;
mod model;
mod provenance;

pub(crate) use duration::{HumanDuration, MAX_DURATION};
#[cfg(test)]
pub(crate) use load::parse_config;
pub(crate) use load::{ConfigError, LoadedConfig, OVERRIDE_KEYS, Overrides, load};
pub(crate) use model::{
    AgentSetting, Budget, Config, Dispatch, Escalation, ManagerMode, OnBreach, PROMPT_ARG_MAX,
    Thresholds, WorktreeMode,
};
pub(crate) use provenance::{Entry, ProvenanceError, Source, provenance};
