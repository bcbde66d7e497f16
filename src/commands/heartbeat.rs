//! `warden heartbeat [--once] [--json] [--no-write]`.

use super::output::{print, print_exact, print_painted};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;
use crate::paint::Paint;
use crate::snapshot::{render_heartbeat, to_json, write_snapshot};

pub(crate) fn run(
    mut tier1: Tier1,
    once: bool,
    json: bool,
    no_write: bool,
    paint: Paint,
) -> Result<ExitCode, Error> {
    loop {
        let pass = tier1.pass(crate::clock::now());
        let encoded = to_json(&pass.snapshot)?;
        if !no_write {
            let keep = tier1.loaded().config.heartbeat.keep_snapshots;
            let path = write_snapshot(&tier1.snapshot_dir(), &pass.snapshot, &encoded, keep)?;
            tracing::debug!("wrote {}", path.display());
        }
        if json {
            print_exact(&encoded)?;
        } else {
            print_painted(&render_heartbeat(&pass.snapshot, paint))?;
        }
        if once {
            return Ok(ExitCode::Ok);
        }
        // The continuous mode without tmux: Ctrl-C ends it (the default SIGINT action).
        std::thread::sleep(
            tier1
                .loaded()
                .config
                .heartbeat
                .interval
                .to_std()
                .max(std::time::Duration::from_secs(1)),
        );
        if !json {
            print("\n")?;
        }
    }
}
