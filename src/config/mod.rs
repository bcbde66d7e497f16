//! Configuration: `warden.toml`, environment variables and flags, with every default in
//! `model.rs`.

mod duration;
mod load;
mod model;

pub use duration::{DurationError, HumanDuration};
pub use load::{CONFIG_FILE, ConfigError, LoadedConfig, Overrides, find_config_file, load, parse_config};
pub use model::{Config, Dispatch, Escalation, Heartbeat, Paths, Thresholds, WorktreeMode};
