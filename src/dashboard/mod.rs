//! The operator's dashboard: the `warden` window's screen and `warden top`. A view worked
//! out purely from a snapshot, drawn with ratatui, keys decided purely and carried out by
//! the terminal loop.

mod draw;
mod feed;
mod keys;
mod once;
mod term;
#[cfg(test)]
mod tests;
mod view;

pub(crate) use draw::Look;
pub(crate) use feed::{FeedError, fetch, watch};
pub(crate) use keys::Place;
pub(crate) use once::{enabled, frame_text};
pub(crate) use term::{Context, DashboardError, Feed, run};
