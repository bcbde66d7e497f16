//! New trouble for a live manager, beyond `updates.md`: typed into its prompt as one short
//! line when its agent is idle there, and confirmed by the `UserPromptSubmit` that must
//! follow. A manager idle past `manager_idle_after`, or deaf to a typed line, no longer
//! holds the live-manager slot. Pure: the managers, their panes and agent records, and
//! `now` in; what to type and what to give up on out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};

use crate::agent::{AgentRecord, AgentState};
use crate::config::{HumanDuration, ManagerMode};
use crate::escalate::LiveManager;

/// How long a typed line has to show up as a submitted prompt.
pub(crate) const CONFIRM_WITHIN: TimeDelta = TimeDelta::seconds(10);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Typed {
    prompts_before: u64,
    at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Move {
    /// Type `text` into the manager's pane, then Enter.
    Type {
        action: String,
        pane: String,
        text: String,
    },
    /// The typed line was not taken: its trouble goes to another manager.
    Unconfirmed { action: String },
}

/// What each live manager has been told and has yet to be told.
#[derive(Debug, Default)]
pub(crate) struct Deliveries {
    /// Managers with trouble in `updates.md` not typed to them yet: its file.
    waiting: BTreeMap<String, PathBuf>,
    typed: BTreeMap<String, Typed>,
    deaf: BTreeSet<String>,
}

/// What a manager needs of one live manager: its pane, if known.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ManagerView<'a> {
    pub(crate) pane: Option<&'a str>,
    pub(crate) agent: Option<&'a AgentRecord>,
}

impl Deliveries {
    /// Trouble was appended to `updates` for `action`.
    pub(crate) fn queue(&mut self, action: &str, updates: PathBuf) {
        self.waiting.insert(action.to_owned(), updates);
    }

    /// Settles the confirmations, marks which managers sleep, and says what to type.
    #[must_use]
    pub(crate) fn settle(
        &mut self,
        live: &mut [LiveManager],
        view: &BTreeMap<String, ManagerView<'_>>,
        idle_after: HumanDuration,
        now: DateTime<Utc>,
    ) -> Vec<Move> {
        let alive: BTreeSet<&str> = live.iter().map(|m| m.action.as_str()).collect();
        self.waiting.retain(|a, _| alive.contains(a.as_str()));
        self.typed.retain(|a, _| alive.contains(a.as_str()));
        self.deaf.retain(|a| alive.contains(a.as_str()));
        let mut out = Vec::new();
        for m in live.iter_mut().filter(|m| m.mode == ManagerMode::Window) {
            let v = view.get(&m.action);
            let agent = v.and_then(|v| v.agent);
            if let Some(t) = self.typed.get(&m.action) {
                if agent.is_some_and(|a| a.prompts > t.prompts_before) {
                    self.typed.remove(&m.action);
                } else if now >= t.at + CONFIRM_WITHIN {
                    self.typed.remove(&m.action);
                    self.deaf.insert(m.action.clone());
                    out.push(Move::Unconfirmed {
                        action: m.action.clone(),
                    });
                }
            }
            let idle_long = agent
                .is_some_and(|a| a.state == AgentState::Idle && idle_after.after(a.since) <= now);
            m.asleep = self.deaf.contains(&m.action) || idle_long;
            let at_prompt = agent.is_some_and(|a| a.state == AgentState::Idle);
            if m.asleep || !at_prompt || self.typed.contains_key(&m.action) {
                continue;
            }
            let (Some(pane), Some(a)) = (v.and_then(|v| v.pane), agent) else {
                continue;
            };
            if let Some(updates) = self.waiting.remove(&m.action) {
                out.push(Move::Type {
                    action: m.action.clone(),
                    pane: pane.to_owned(),
                    text: format!(
                        "warden: new trouble for you; read {} and act on it",
                        updates.display()
                    ),
                });
                self.typed.insert(
                    m.action.clone(),
                    Typed {
                        prompts_before: a.prompts,
                        at: now,
                    },
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::AgentKind;

    fn now() -> DateTime<Utc> {
        crate::clock::test_now()
    }

    fn record(state: AgentState, since_secs_ago: i64, prompts: u64) -> AgentRecord {
        AgentRecord {
            since: now() - TimeDelta::seconds(since_secs_ago),
            prompts,
            ..AgentRecord::new("e0001", AgentKind::Claude, state, now())
        }
    }

    fn live() -> Vec<LiveManager> {
        vec![LiveManager {
            action: "e0001".to_owned(),
            mode: ManagerMode::Window,
            since: now(),
            asleep: false,
        }]
    }

    fn view(agent: &AgentRecord) -> BTreeMap<String, ManagerView<'_>> {
        BTreeMap::from([(
            "e0001".to_owned(),
            ManagerView {
                pane: Some("%3"),
                agent: Some(agent),
            },
        )])
    }

    const IDLE_AFTER: HumanDuration = HumanDuration::from_mins(15);

    #[test]
    fn trouble_is_typed_to_an_idle_manager_and_confirmed_by_its_next_prompt() {
        let mut d = Deliveries::default();
        let mut managers = live();
        d.queue("e0001", PathBuf::from("/p/updates.md"));
        // Working: it will read updates.md when it gets there; nothing typed over it.
        let busy = record(AgentState::Working, 5, 1);
        assert!(
            d.settle(&mut managers, &view(&busy), IDLE_AFTER, now())
                .is_empty()
        );
        let idle = record(AgentState::Idle, 5, 1);
        let moves = d.settle(&mut managers, &view(&idle), IDLE_AFTER, now());
        assert!(
            matches!(&moves[..], [Move::Type { pane, text, .. }] if pane == "%3" && text.contains("/p/updates.md")),
            "{moves:?}"
        );
        // Typed once, not again while it is confirmed.
        let later = now() + TimeDelta::seconds(3);
        assert!(
            d.settle(&mut managers, &view(&idle), IDLE_AFTER, later)
                .is_empty()
        );
        let took = record(AgentState::Working, 0, 2);
        assert!(
            d.settle(
                &mut managers,
                &view(&took),
                IDLE_AFTER,
                now() + CONFIRM_WITHIN
            )
            .is_empty()
        );
        assert!(!managers[0].asleep);
    }

    #[test]
    fn an_unconfirmed_line_gives_the_trouble_to_another_manager() {
        let mut d = Deliveries::default();
        let mut managers = live();
        d.queue("e0001", PathBuf::from("/p/updates.md"));
        let idle = record(AgentState::Idle, 5, 1);
        let typed = d.settle(&mut managers, &view(&idle), IDLE_AFTER, now());
        assert_eq!(typed.len(), 1);
        let moves = d.settle(
            &mut managers,
            &view(&idle),
            IDLE_AFTER,
            now() + CONFIRM_WITHIN,
        );
        assert_eq!(
            moves,
            vec![Move::Unconfirmed {
                action: "e0001".to_owned()
            }]
        );
        assert!(managers[0].asleep, "a deaf manager holds no slot");
    }

    #[test]
    fn a_manager_idle_too_long_holds_no_slot() {
        let mut d = Deliveries::default();
        let mut managers = live();
        let dozing = record(AgentState::Idle, 14 * 60, 1);
        let _ = d.settle(&mut managers, &view(&dozing), IDLE_AFTER, now());
        assert!(!managers[0].asleep);
        let asleep = record(AgentState::Idle, 15 * 60, 1);
        let _ = d.settle(&mut managers, &view(&asleep), IDLE_AFTER, now());
        assert!(managers[0].asleep);
        // Back at work: it holds the slot again.
        let working = record(AgentState::Working, 0, 2);
        let _ = d.settle(&mut managers, &view(&working), IDLE_AFTER, now());
        assert!(!managers[0].asleep);
    }
}
