//! Tier 2's part of the supervisor's state: the ledger, with one owner. The executor loads
//! it (and loads it again when the mode changes or the file was broken); everything else
//! reaches it through `ledger()` / `ledger_mut()`.

use std::collections::BTreeSet;

use crate::detect::{Severity, Signal};
use crate::escalate::{Ledger, LedgerError, alert_key};

#[derive(Debug)]
pub(crate) struct Managers {
    /// The mode the ledger was loaded for (dry-run keeps its own file).
    pub(crate) dry_run: bool,
    pub(crate) ledger: Result<Ledger, LedgerError>,
    /// With Tier 2 off: the signal keys already announced, so each is announced once.
    pub(crate) announced: BTreeSet<String>,
    /// The ledger file as warden last read or wrote it (see `Jobs::stamp`).
    pub(crate) stamp: Option<crate::state::Stamp>,
    /// New trouble typed (or to be typed) into live managers' prompts.
    pub(crate) deliveries: super::deliveries::Deliveries,
}

impl Managers {
    pub(crate) fn new(
        dry_run: bool,
        ledger: Result<Ledger, LedgerError>,
        stamp: Option<crate::state::Stamp>,
    ) -> Self {
        Self {
            dry_run,
            ledger,
            announced: BTreeSet::new(),
            stamp,
            deliveries: super::deliveries::Deliveries::default(),
        }
    }

    pub(crate) fn ledger(&self) -> Result<&Ledger, &LedgerError> {
        self.ledger.as_ref()
    }

    pub(crate) fn ledger_mut(&mut self) -> Result<&mut Ledger, &LedgerError> {
        self.ledger.as_mut().map_err(|e| &*e)
    }

    /// The ledger must be read (again): the mode changed, or the file could not be read
    /// (a person may have fixed it since).
    pub(crate) fn stale(&self, dry_run: bool) -> bool {
        self.dry_run != dry_run || self.ledger.is_err()
    }

    /// With Tier 2 off (or held while tmux is out), signals are still announced: each new
    /// one (by alert key) at or above `min_severity`, once, until it clears.
    pub(crate) fn announce_new(&mut self, signals: &[Signal], min: Severity) -> Vec<String> {
        let now = keys(signals, min);
        let fresh = signals
            .iter()
            .filter(|s| {
                let key = alert_key(s.code, &s.subject);
                now.contains(&key) && !self.announced.contains(&key)
            })
            .map(|s| format!("warden: {} {}: {}", s.severity, s.code, s.message))
            .collect();
        self.announced = now;
        fresh
    }

    /// Tier 2 stepped and told of these signals in its own way: they are not new later.
    pub(crate) fn noted(&mut self, signals: &[Signal], min: Severity) {
        self.announced = keys(signals, min);
    }
}

fn keys(signals: &[Signal], min: Severity) -> BTreeSet<String> {
    signals
        .iter()
        .filter(|s| s.severity >= min)
        .map(|s| alert_key(s.code, &s.subject))
        .collect()
}
