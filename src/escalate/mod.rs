//! Tier 2: the pure escalation engine (alerts, guards, decisions), its budget, and the
//! ledger that persists it.

mod alert;
mod budget;
mod engine;
mod ledger;
mod ops;
mod pack;
mod reason;

#[cfg(test)]
mod tests;

pub(crate) use alert::{AlertState, alert_key};
pub(crate) use engine::{
    Decision, LiveManager, Policy, Step, delivery_unconfirmed, manager_ended, spawn_failed, step,
};
pub(crate) use ledger::{
    ActionRecord, DecisionRecord, Ledger, LedgerError, Outcome, Phase, ledger_path, load_ledger,
    save_ledger,
};
pub(crate) use ops::{AlertOp, apply_alert_op};
pub(crate) use pack::{PackInput, StepUp, build_pack, write_pack};
pub(crate) use reason::SpawnReason;
