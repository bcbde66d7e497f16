//! The escalation engine: pure. The alert state, the current signals, the policy and `now`
//! go in; the state is updated and decisions come out. The supervisor persists the state
//! and carries out the decisions (or, in dry-run, only records them): live and dry-run make
//! exactly the same decisions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alert::{Alert, AlertState, Escalated, alert_key};
use super::budget::{Budget, Refusal};
use super::reason::{SpawnReason, SuppressReason};
use crate::config::{Escalation, HumanDuration, ManagerMode};
use crate::detect::{Severity, Signal, SignalCode};

/// The policy, from `[escalation]`.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// Codes that may escalate.
    pub(crate) codes: BTreeSet<SignalCode>,
    pub(crate) escalate_severity: Severity,
    pub(crate) warnings_for_trouble: u32,
    pub(crate) hold: HumanDuration,
    pub(crate) resolve_after: HumanDuration,
    pub(crate) cooldown: HumanDuration,
    pub(crate) budget: Budget,
    pub(crate) max_live_managers: u32,
    pub(crate) mode: ManagerMode,
    pub(crate) step_up_after: HumanDuration,
}

impl Policy {
    /// An unknown code in `codes` is an error naming it.
    pub(crate) fn from_config(c: &Escalation) -> Result<Self, PolicyError> {
        let codes = if c.codes.is_empty() {
            SignalCode::ALL
                .iter()
                .copied()
                .filter(|&code| code != SignalCode::WorkerIdle)
                .collect()
        } else {
            c.codes
                .iter()
                .map(|name| {
                    SignalCode::ALL
                        .iter()
                        .copied()
                        .find(|code| code.as_str() == name)
                        .ok_or_else(|| PolicyError::UnknownCode { name: name.clone() })
                })
                .collect::<Result<_, _>>()?
        };
        Ok(Self {
            codes,
            escalate_severity: c.escalate_severity,
            warnings_for_trouble: c.warnings_for_trouble.max(1),
            hold: c.hold,
            resolve_after: c.resolve_after,
            cooldown: c.cooldown,
            budget: Budget {
                per_hour: c.budget_per_hour,
                min_spacing: c.min_spacing,
            },
            max_live_managers: c.max_live_managers,
            mode: c.mode,
            step_up_after: c.step_up_after,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PolicyError {
    #[error("failed to read escalation.codes: unknown signal code {name:?}")]
    UnknownCode { name: String },
}

/// A manager Tier 2 started that has not ended yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LiveManager {
    pub(crate) action: String,
    pub(crate) mode: ManagerMode,
    pub(crate) since: DateTime<Utc>,
    /// Idle at its prompt past `manager_idle_after`, or deaf to a delivered line: it no
    /// longer holds the live-manager slot, so new trouble brings in another.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) asleep: bool,
}

/// Everything the engine remembers. Persisted in the ledger after every change, before
/// anything is spawned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EngineState {
    pub(crate) alerts: BTreeMap<String, Alert>,
    /// Spawn times, for the rolling-hour budget (spent when a spawn is decided).
    pub(crate) spawns: Vec<DateTime<Utc>>,
    /// Per alert key: the last spawn for it, for the per-key cooldown across episodes.
    pub(crate) cooldowns: BTreeMap<String, DateTime<Utc>>,
    /// Per alert key: silenced until.
    pub(crate) silences: BTreeMap<String, DateTime<Utc>>,
    pub(crate) live: Vec<LiveManager>,
    pub(crate) next_action: u64,
    /// The budget refuses an escalation that is due, or a manager could not be started: a
    /// person should look.
    pub(crate) needs_human: bool,
    /// When spawns failed before anything ran. They cost no budget, but keep the spacing, so
    /// a manager command that cannot start is not tried again at every pass.
    #[serde(default)]
    pub(crate) failed: Vec<DateTime<Utc>>,
}

/// What Tier 2 decided, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Decision {
    /// Bring in a manager (in dry-run, recorded as `would_spawn`).
    Spawn {
        action: String,
        mode: ManagerMode,
        keys: Vec<String>,
        reason: SpawnReason,
    },
    /// New trouble for a manager that is already alive.
    Deliver { action: String, keys: Vec<String> },
    /// Escalation was due and a guard refused it.
    Suppressed {
        keys: Vec<String>,
        reason: SuppressReason,
    },
    /// An alert's condition cleared for `resolve_after`.
    Resolved { key: String, episode: u32 },
    /// An alert started firing.
    Fired { key: String, severity: Severity },
}

/// Options for one step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Step {
    /// `warden escalate`: pending alerts fire now (guards still apply).
    pub(crate) skip_hold: bool,
    /// `[budget] max_usd_per_hour` is spent: no manager is brought in (a recorded
    /// suppression).
    pub(crate) spend_closed: bool,
}

fn suppress_once(
    state: &mut EngineState,
    keys: &[String],
    reason: SuppressReason,
    out: &mut Vec<Decision>,
) {
    let mut fresh = Vec::new();
    for key in keys {
        if let Some(a) = state.alerts.get_mut(key)
            && a.suppressed != Some(reason)
        {
            a.suppressed = Some(reason);
            fresh.push(key.clone());
        }
    }
    if !fresh.is_empty() {
        out.push(Decision::Suppressed {
            keys: fresh,
            reason,
        });
    }
}

/// The least severity at which a code can escalate on its own: a person's signal only when
/// critical.
fn person_floor(code: SignalCode) -> Severity {
    if code.for_person() {
        Severity::Critical
    } else {
        Severity::Info
    }
}

/// Updates the alerts from this pass's signals and decides what to do.
pub(crate) fn step(
    state: &mut EngineState,
    signals: &[Signal],
    policy: &Policy,
    now: DateTime<Utc>,
    opts: Step,
) -> Vec<Decision> {
    let mut out = Vec::new();
    // 1. Signals into alerts (one per key; the most severe signal of a key wins).
    let mut seen: BTreeMap<String, &Signal> = BTreeMap::new();
    for s in signals.iter().filter(|s| policy.codes.contains(&s.code)) {
        let key = alert_key(s.code, &s.subject);
        match seen.get(&key) {
            Some(prev) if prev.severity >= s.severity => {}
            _ => {
                seen.insert(key, s);
            }
        }
    }
    for (key, s) in &seen {
        match state.alerts.get_mut(key) {
            Some(a) if a.state != AlertState::Resolved => {
                a.message.clone_from(&s.message);
                a.severity = a.severity.max(s.severity);
                a.cleared_since = None;
                // The clock went back: a pending timer never fires early.
                if a.pending_since > now {
                    a.pending_since = now;
                }
            }
            previous => {
                let episode = previous.map_or(1, |a| a.episode + 1);
                state
                    .alerts
                    .insert(key.clone(), Alert::open(s, episode, now));
            }
        }
    }
    // 2. Lifecycle.
    let mut gone = Vec::new();
    for (key, a) in &mut state.alerts {
        let present = seen.contains_key(key);
        match a.state {
            AlertState::Pending if !present => gone.push(key.clone()),
            AlertState::Pending if opts.skip_hold || now >= policy.hold.after(a.pending_since) => {
                a.state = AlertState::Firing;
                a.firing_since = Some(now);
                out.push(Decision::Fired {
                    key: key.clone(),
                    severity: a.severity,
                });
            }
            AlertState::Firing | AlertState::Acknowledged if !present => {
                let cleared = *a.cleared_since.get_or_insert(now);
                if now >= policy.resolve_after.after(cleared) {
                    a.state = AlertState::Resolved;
                    a.resolved_at = Some(now);
                    out.push(Decision::Resolved {
                        key: key.clone(),
                        episode: a.episode,
                    });
                }
            }
            _ => {}
        }
        if a.state == AlertState::Acknowledged && a.ack_until.is_none_or(|t| now >= t) {
            a.state = AlertState::Firing;
            a.ack_until = None;
        }
    }
    for key in gone {
        state.alerts.remove(&key); // a blip: never fired, nothing to report
    }
    // Nothing is firing any more: nobody needs to be told that escalation was refused.
    if !state.alerts.values().any(|a| a.state == AlertState::Firing) {
        state.needs_human = false;
    }
    // 3. Trouble: firing, not acknowledged, not silenced.
    let silenced = |state: &EngineState, a: &Alert| {
        a.is_silenced(now) || state.silences.get(&a.key).is_some_and(|&t| now < t)
    };
    let firing: Vec<&Alert> = state
        .alerts
        .values()
        .filter(|a| a.state == AlertState::Firing && !silenced(state, a))
        .collect();
    // An agent waiting for a person is that person's business until it is critical.
    let warnings = firing
        .iter()
        .filter(|a| a.severity >= Severity::Warning && !a.code.for_person())
        .count();
    let enough_warnings =
        warnings >= usize::try_from(policy.warnings_for_trouble).unwrap_or(usize::MAX);
    let candidates: Vec<String> = firing
        .iter()
        .filter(|a| a.escalated.is_none())
        .filter(|a| {
            a.severity >= policy.escalate_severity.max(person_floor(a.code))
                || (a.severity >= Severity::Warning && enough_warnings && !a.code.for_person())
        })
        .map(|a| a.key.clone())
        .collect();
    let step_ups: Vec<String> =
        if policy.mode == ManagerMode::Oneshot && policy.step_up_after.as_secs() > 0 {
            firing
                .iter()
                .filter(|a| {
                    a.escalated.as_ref().is_some_and(|e| {
                        e.mode == ManagerMode::Oneshot && now >= policy.step_up_after.after(e.at)
                    })
                })
                .map(|a| a.key.clone())
                .collect()
        } else {
            Vec::new()
        };
    if candidates.is_empty() && step_ups.is_empty() {
        return out;
    }
    // 4. A live manager window takes new trouble; no spawn, no budget.
    if let Some(live) = state
        .live
        .iter()
        .find(|m| m.mode == ManagerMode::Window && !m.asleep)
        .cloned()
    {
        let keys: Vec<String> = candidates.iter().chain(&step_ups).cloned().collect();
        for key in &keys {
            if let Some(a) = state.alerts.get_mut(key) {
                a.escalated = Some(Escalated {
                    at: now,
                    mode: ManagerMode::Window,
                    action: live.action.clone(),
                });
            }
        }
        out.push(Decision::Deliver {
            action: live.action,
            keys,
        });
        return out;
    }
    // 5. Guards: per-key cooldown (a step-up is the same trouble and skips it), one live
    //    manager window at most, the global budget.
    let (cooling, candidates): (Vec<String>, Vec<String>) = candidates.into_iter().partition(|k| {
        state
            .cooldowns
            .get(k)
            .is_some_and(|&t| now < policy.cooldown.after(t))
    });
    suppress_once(state, &cooling, SuppressReason::Cooldown, &mut out);
    let stepping = candidates.is_empty();
    let keys: Vec<String> = if stepping {
        step_ups
    } else {
        candidates.into_iter().chain(step_ups).collect()
    };
    if keys.is_empty() {
        return out;
    }
    let mode = if stepping {
        ManagerMode::Window
    } else {
        policy.mode
    };
    let windows = state
        .live
        .iter()
        .filter(|m| m.mode == ManagerMode::Window && !m.asleep)
        .count();
    if mode == ManagerMode::Window
        && windows >= usize::try_from(policy.max_live_managers).unwrap_or(usize::MAX)
    {
        suppress_once(state, &keys, SuppressReason::MaxLiveManagers, &mut out);
        return out;
    }
    if opts.spend_closed {
        suppress_once(state, &keys, SuppressReason::SpendBudget, &mut out);
        return out;
    }
    match policy.budget.check(&state.spawns, &state.failed, now) {
        Err(Refusal::Exhausted) => {
            state.needs_human = true;
            suppress_once(state, &keys, SuppressReason::BudgetExhausted, &mut out);
            return out;
        }
        Err(Refusal::TooSoon) => {
            suppress_once(state, &keys, SuppressReason::MinSpacing, &mut out);
            return out;
        }
        Ok(()) => {}
    }
    // 6. Spawn: the budget is spent now, with the decision; the caller persists it before
    //    anything is started.
    state.next_action += 1;
    let action = format!("e{:04}", state.next_action);
    state.spawns.push(now);
    Budget::prune(&mut state.spawns, now);
    state.needs_human = false;
    for key in &keys {
        state.cooldowns.insert(key.clone(), now);
        if let Some(a) = state.alerts.get_mut(key) {
            a.escalated = Some(Escalated {
                at: now,
                mode,
                action: action.clone(),
            });
            a.suppressed = None;
        }
    }
    state.live.push(LiveManager {
        action: action.clone(),
        mode,
        since: now,
        asleep: false,
    });
    out.push(Decision::Spawn {
        action,
        mode,
        keys,
        reason: if stepping {
            SpawnReason::StepUp
        } else {
            SpawnReason::Firing
        },
    });
    out
}

/// A spawn failed before anything ran (its pack, its ledger entry, its window, or a command
/// that could not start): it gives back the budget it spent at `decided`, its alerts can be
/// escalated again (after the spacing), and a person is told.
pub(crate) fn spawn_failed(
    state: &mut EngineState,
    action: &str,
    decided: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    if let Some(i) = state.spawns.iter().position(|&t| t == decided) {
        state.spawns.remove(i);
    }
    state.failed.push(now);
    Budget::prune(&mut state.failed, now);
    for a in state.alerts.values_mut() {
        if a.escalated.as_ref().is_some_and(|e| e.action == action) {
            a.escalated = None;
            a.suppressed = None;
            if state.cooldowns.get(&a.key) == Some(&decided) {
                state.cooldowns.remove(&a.key);
            }
        }
    }
    manager_ended(state, action);
    state.needs_human = true;
}

/// A line typed into a manager was never confirmed: the trouble it carried is no longer
/// escalated, so the next step brings in another manager (guards and budget permitting).
pub(crate) fn delivery_unconfirmed(state: &mut EngineState, action: &str) {
    for a in state.alerts.values_mut() {
        if a.escalated.as_ref().is_some_and(|e| e.action == action) {
            a.escalated = None;
            a.suppressed = None;
        }
    }
    if let Some(m) = state.live.iter_mut().find(|m| m.action == action) {
        m.asleep = true;
    }
}

/// A manager ended (its window closed, its one-shot exited).
pub(crate) fn manager_ended(state: &mut EngineState, action: &str) {
    state.live.retain(|m| m.action != action);
}
