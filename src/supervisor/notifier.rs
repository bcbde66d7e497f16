//! `notify_command`: run with the message as its last argument (and, for an agent's state,
//! more in its environment), reaped on a thread, so a slow or hung notifier never blocks
//! the loop.

pub(super) fn run_notify_command(command: &[String], message: &str, env: &[(&str, String)]) {
    let Some((program, args)) = command.split_first() else {
        return;
    };
    let child = std::process::Command::new(program)
        .args(args)
        .arg(message)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match child {
        Ok(mut c) => {
            std::thread::spawn(move || c.wait());
        }
        Err(e) => tracing::warn!("failed to run notify command {program}: {e}"),
    }
}
