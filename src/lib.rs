//! warden: a tmux-native supervisor for AI coding agents working through a backlog of
//! markdown task files. See `ARCHITECTURE.md` for the map of modules.

mod config;
mod detect;
mod task;
mod register;
mod state;
mod worktree;
