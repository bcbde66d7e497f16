//! `warden down [--kill-workers]`: stop the supervisor (and, asked to, every worker and the
//! session). A supervisor that does not answer its control socket (gone, stopped, wedged)
//! is stopped by the pid in its lock: SIGTERM, SIGKILL after the timeout. Workers are then
//! stopped here, each its whole process tree (`worker::Stopper`), found from the pane
//! processes in tmux and in their wrappers' records.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::output::print;
use crate::config::{HumanDuration, LoadedConfig};
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::register::{load_register, save_register};
use crate::supervisor::{Refusal, Request, Response, Role, RuntimePaths, SupervisorLock, request};
use crate::tmux::{Tmux, TmuxPort};
use crate::worker::{Stopper, alive, read_record, record_path};

/// How long a supervisor gets to answer `down` before it is stopped by its pid.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

pub(crate) fn down(
    loaded: &LoadedConfig,
    kill_workers: bool,
    timeout: HumanDuration,
) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let Some(pid) = SupervisorLock::probe(&paths.lock).map(|h| h.pid) else {
        if !kill_workers {
            print("no supervisor is running\n")?;
            return Ok(ExitCode::Ok);
        }
        return stop_workers(&paths, timeout.to_std());
    };
    let req = Request::Stop {
        kill_workers,
        timeout_secs: timeout.as_secs(),
    };
    let answered = match request(&paths.control, &req, ANSWER_WITHIN) {
        Ok(Response::Ok { message }) => {
            print(&format!("{}\n", terminal_safe(&message)))?;
            true
        }
        Ok(Response::Refused {
            refusal: Refusal::Stopping,
        }) => true,
        Ok(other) => {
            print(&format!(
                "the supervisor (pid {pid}) answered {other:?}; stopping it by its pid\n"
            ))?;
            false
        }
        Err(e) => {
            print(&format!(
                "the supervisor (pid {pid}) does not answer ({e}); stopping it by its pid\n"
            ))?;
            false
        }
    };
    // It stops the workers itself, then leaves; give it the timeout and some.
    if answered && released(&paths, timeout.to_std() + Duration::from_secs(10)) {
        print("warden is down\n")?;
        return Ok(ExitCode::Ok);
    }
    stop_by_pid(&paths, &pid, timeout.to_std())?;
    if kill_workers {
        return stop_workers(&paths, timeout.to_std());
    }
    print("warden is down; the workers keep running\n")?;
    Ok(ExitCode::Ok)
}

/// Waits until no process holds the supervisor's lock.
fn released(paths: &RuntimePaths, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while SupervisorLock::probe(&paths.lock).is_some() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// SIGTERM to the lock holder, SIGKILL after `timeout` (it may be stopped or wedged), then
/// waits for the kernel to release its lock.
fn stop_by_pid(paths: &RuntimePaths, pid: &str, timeout: Duration) -> Result<(), Error> {
    let Ok(raw) = pid.parse::<i32>() else {
        return Err(Error::Failed(format!(
            "the supervisor's lock {} names no pid ({pid:?}); stop it by hand",
            paths.lock.display()
        )));
    };
    let pid = Pid::from_raw(raw);
    let _ = kill(pid, Signal::SIGTERM);
    if released(paths, timeout) {
        return Ok(());
    }
    print(&format!(
        "the supervisor (pid {raw}) outlived SIGTERM by {}; sending SIGKILL\n",
        HumanDuration::from_secs(timeout.as_secs())
    ))?;
    let _ = kill(pid, Signal::SIGKILL);
    if released(paths, Duration::from_secs(5)) {
        Ok(())
    } else {
        Err(Error::Failed(format!(
            "the supervisor (pid {raw}) still holds {} after SIGKILL",
            paths.lock.display()
        )))
    }
}

/// No supervisor runs: stop every worker (its process group) and the session here, and
/// mark the register's live jobs stopped (not failures) under the lock.
fn stop_workers(paths: &RuntimePaths, timeout: Duration) -> Result<ExitCode, Error> {
    let tmux = Tmux::new(paths.tmux_socket.clone());
    let _lock = SupervisorLock::acquire(&paths.lock, Role::Pass)?;
    let register = load_register(&paths.register).ok();
    let mut leaders: Vec<u32> = Vec::new();
    // tmux knows the pane processes; the records know them too when tmux cannot be asked.
    if let Ok(panes) = tmux.list_panes(&paths.session) {
        leaders.extend(
            panes
                .iter()
                .filter(|p| p.job.is_some() && !p.dead)
                .filter_map(|p| p.pane_pid),
        );
    }
    if let Some(register) = &register {
        leaders.extend(register.live_jobs().filter_map(|j| {
            read_record(&record_path(&paths.jobs, &j.job))
                .ok()
                .flatten()
                .and_then(|r| r.wrapper_pid)
        }));
    }
    leaders.sort_unstable();
    leaders.dedup();
    leaders.retain(|&p| alive(p));
    // Each worker's whole tree, found before the first signal: children that left its
    // process group are reached too, and still after their parents died.
    let jobs: Vec<String> = leaders.iter().map(u32::to_string).collect();
    let mut stopper = Stopper::default();
    let found: Vec<(String, Option<u32>)> =
        leaders.iter().map(|&l| (l.to_string(), Some(l))).collect();
    stopper.signal(&found, Signal::SIGTERM);
    stopper.wait(&jobs, Instant::now() + timeout);
    // Only what was found: a leader's pid may belong to someone else by now.
    let remembered: Vec<(String, Option<u32>)> = jobs.iter().map(|j| (j.clone(), None)).collect();
    stopper.signal(&remembered, Signal::SIGKILL);
    if let Some(mut register) = register {
        let mut changed = false;
        for job in register.jobs.iter_mut().filter(|j| j.is_live()) {
            job.stopped = true;
            changed = true;
        }
        if changed && let Err(e) = save_register(&paths.register, &register, true) {
            tracing::warn!("{e}");
        }
    }
    let had_session = tmux.has_session(&paths.session).unwrap_or(true);
    if let Err(e) = tmux.kill_server() {
        tracing::debug!("{e}");
    }
    print(&match (leaders.len(), had_session) {
        (0, false) => "no supervisor and no session are running\n".to_owned(),
        (n, _) => format!("stopped {n} worker(s) and removed the session\n"),
    })?;
    Ok(ExitCode::Ok)
}
