//! Colour for what a person reads on a terminal: the `--color` choice, the styles, which
//! state gets which style, and the safety net that lets only warden's own colour through.

mod choice;
mod palette;
mod safe;
mod style;

pub(crate) use choice::{ColorChoice, ColorEnv, resolve};
pub(crate) use palette::{agent_style, alert_style, job_end_style, severity_style, status_style};
pub(crate) use safe::terminal_safe_painted;
pub(crate) use style::{Paint, Style};
