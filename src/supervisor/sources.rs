//! The threads that turn the outside world into `Event`s: the wrappers' datagram socket and
//! OS signals. (The control socket has its own module.) Each only reads and sends; the loop
//! owns all state.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::mpsc::Sender;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::event::Event;
use crate::worker::{check_socket_folder, parse_report};

/// Binds the report socket (0600, in a folder of our own) and forwards each datagram.
pub(crate) fn reports(path: &Path, events: Sender<Event>) -> std::io::Result<()> {
    check_socket_folder(path, true).map_err(std::io::Error::other)?;
    let _ = std::fs::remove_file(path);
    let socket = UnixDatagram::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = socket.recv(&mut buf) {
            if let Some(report) = parse_report(&buf[..n])
                && events.send(Event::Worker(report)).is_err()
            {
                break;
            }
        }
    });
    Ok(())
}

/// SIGTERM/SIGINT become `Shutdown`, SIGHUP becomes `Reload`.
pub(crate) fn os_signals(events: Sender<Event>) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP])?;
    std::thread::spawn(move || {
        for sig in signals.forever() {
            let event = if sig == SIGHUP {
                Event::Reload
            } else {
                Event::Shutdown
            };
            if events.send(event).is_err() {
                break;
            }
        }
    });
    Ok(())
}
