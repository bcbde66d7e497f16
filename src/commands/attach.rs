//! `warden attach [TASK|manager]`: the terminal onto the session, at the pane asked for.

use crate::config::LoadedConfig;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::layout::load_layout;
use crate::register::load_register;
use crate::supervisor::RuntimePaths;
use crate::tmux::AttachHow;
use crate::tmux::{Tmux, TmuxPort};

pub(crate) fn attach(loaded: &LoadedConfig, target: Option<&str>) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let tmux = Tmux::new(paths.tmux_socket.clone());
    if !tmux.has_session(&paths.session)? {
        return Err(Error::NoSession(paths.root.clone()));
    }
    let layout = load_layout(&paths.layout_name(), &paths.user_layouts)?;
    let panes = tmux.list_panes(&paths.session)?;
    let pane = match target {
        None => panes
            .iter()
            .find(|p| p.window_name == layout.supervisor_window)
            .map(|p| p.pane_id.clone()),
        Some("manager") => {
            let managers: Vec<_> = panes
                .iter()
                .filter(|p| p.window_name == layout.manager_window)
                .collect();
            managers
                .iter()
                .find(|p| !p.dead)
                .or(managers.first())
                .map(|p| p.pane_id.clone())
        }
        Some(task) => {
            let register = load_register(&paths.register)?;
            let jobs: Vec<String> = register
                .jobs
                .iter()
                .filter(|j| j.task == task)
                .map(|j| j.job.clone())
                .collect();
            let found = jobs
                .iter()
                .rev()
                .find_map(|job| panes.iter().find(|p| p.job.as_ref() == Some(job)));
            match found {
                Some(p) => Some(p.pane_id.clone()),
                None => {
                    return Err(Error::NotFound {
                        what: format!("{task} has no worker pane (running or recently ended)"),
                    });
                }
            }
        }
    };
    let Some(pane) = pane else {
        return Err(Error::NotFound {
            what: "that window does not exist in the session".to_owned(),
        });
    };
    // Inside a client of this very server, switch it; anywhere else, attach (which returns
    // only on failure: tmux replaces this process).
    let how = if inside_ours(&paths) {
        AttachHow::Switch
    } else {
        AttachHow::Replace
    };
    tmux.attach(&pane, how)?;
    Ok(ExitCode::Ok)
}

/// Whether this process runs inside a client of warden's own tmux server (`$TMUX` names
/// its socket): then a client is switched, never nested.
pub(crate) fn inside_ours(paths: &crate::supervisor::RuntimePaths) -> bool {
    std::env::var("TMUX").ok().is_some_and(|t| {
        t.split(',')
            .next()
            .is_some_and(|sock| sock.ends_with(&format!("/{}", paths.tmux_socket)))
    })
}
