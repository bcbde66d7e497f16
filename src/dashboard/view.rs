//! What the dashboard shows, worked out from one snapshot: pure, so every state renders the
//! same way in a test. Ages are not stored here; they are taken against the `now` of each
//! frame, so they tick every second between snapshots.

use chrono::{DateTime, Utc};

use crate::agent::AgentState;
use crate::detect::{Severity, SignalCode};
use crate::escalate::{AlertState, alert_key};
use crate::snapshot::{Snapshot, spend};

/// How many queued tasks the queue section lists.
const QUEUE_ROWS: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct View {
    pub(crate) header: Header,
    pub(crate) workers: Vec<WorkerRow>,
    pub(crate) needs: Vec<NeedRow>,
    pub(crate) queue: Vec<QueueRow>,
    pub(crate) decisions: Vec<DecisionRow>,
    /// Firing alerts' keys, for `a` and `s` on a row without a signal of its own.
    pub(crate) alerts: Vec<String>,
    pub(crate) generated_at: DateTime<Utc>,
    pub(crate) valid_until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header {
    pub(crate) repo: String,
    pub(crate) running: usize,
    pub(crate) max_workers: u32,
    pub(crate) queued: usize,
    pub(crate) critical: usize,
    pub(crate) warning: usize,
    pub(crate) info: usize,
    pub(crate) escalation: EscalationMode,
    pub(crate) hour_spend: String,
    pub(crate) hour_usd: Option<f64>,
    pub(crate) hour_budget: Option<f64>,
}

/// Tier 2 as the header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EscalationMode {
    Off,
    DryRun,
    On,
}

impl EscalationMode {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Off => "escalation off",
            Self::DryRun => "escalation dry-run",
            Self::On => "escalation on",
        }
    }
}

/// A worker's state as one word: the agent's when it reports, else "running".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowState {
    Running,
    Agent(AgentState),
}

impl RowState {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Agent(state) => state.word(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WorkerRow {
    pub(crate) task: String,
    pub(crate) job: String,
    pub(crate) attempt: u32,
    pub(crate) pane: Option<String>,
    pub(crate) state: RowState,
    pub(crate) started_at: DateTime<Utc>,
    /// The last output, or the start when it printed nothing yet.
    pub(crate) output_at: DateTime<Utc>,
    /// The agent's notification or question, else its last event.
    pub(crate) last: String,
    pub(crate) spend: String,
}

/// Why a row is in the "needs you" list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NeedKind {
    Waiting,
    Error,
    GaveUp,
    Review,
    Budget,
    Limited,
    /// Tier 2 was due and could not act (budget spent, ledger unreadable).
    Human,
}

impl NeedKind {
    fn of(code: SignalCode) -> Option<Self> {
        Some(match code {
            SignalCode::AgentWaitingInput => Self::Waiting,
            SignalCode::AgentError | SignalCode::LaunchFailed => Self::Error,
            SignalCode::DispatchGaveUp | SignalCode::RepeatedFailure => Self::GaveUp,
            SignalCode::AwaitingReview => Self::Review,
            SignalCode::BudgetExceeded => Self::Budget,
            SignalCode::AgentRateLimited => Self::Limited,
            _ => return None,
        })
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Waiting => "waiting for you",
            Self::Error => "error",
            Self::GaveUp => "gave up",
            Self::Review => "awaiting review",
            Self::Budget => "budget",
            Self::Limited => "usage limit",
            Self::Human => "needs a person",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NeedRow {
    pub(crate) kind: NeedKind,
    pub(crate) severity: Severity,
    pub(crate) task: Option<String>,
    pub(crate) message: String,
    pub(crate) alert: String,
    pub(crate) since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueueRow {
    pub(crate) task: String,
    pub(crate) title: String,
    pub(crate) priority: String,
    /// Why it is held; `None` for a task next in line.
    pub(crate) held: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecisionRow {
    pub(crate) at: DateTime<Utc>,
    pub(crate) outcome: String,
    pub(crate) detail: String,
}

/// One selectable row: what the keys act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) task: Option<String>,
    pub(crate) pane: Option<String>,
    /// The alert `a` and `s` act on.
    pub(crate) alert: Option<String>,
    /// Whether a worker of this task is live (`K` applies).
    pub(crate) live: bool,
}

impl View {
    pub(crate) fn build(s: &Snapshot) -> Self {
        let signals = &s.escalation.signals;
        let count = |sev| signals.iter().filter(|x| x.severity == sev).count();
        let workers = s
            .workers
            .iter()
            .map(|w| {
                let (state, last) = match &w.agent {
                    Some(a) => (
                        RowState::Agent(a.state),
                        a.notification
                            .clone()
                            .or_else(|| a.error.clone())
                            .or_else(|| a.pending_tool.as_ref().map(|t| format!("tool {t}")))
                            .or_else(|| a.last_event.clone())
                            .unwrap_or_default(),
                    ),
                    None => (RowState::Running, String::new()),
                };
                WorkerRow {
                    task: w.task.clone(),
                    job: w.job.clone(),
                    attempt: w.attempt,
                    pane: w.pane.clone(),
                    state,
                    started_at: w.started_at,
                    output_at: w.last_output_at.unwrap_or(w.started_at),
                    last,
                    spend: w.usage.as_ref().map(spend).unwrap_or_default(),
                }
            })
            .collect();
        let mut needs: Vec<NeedRow> = signals
            .iter()
            .filter_map(|sig| {
                Some(NeedRow {
                    kind: NeedKind::of(sig.code)?,
                    severity: sig.severity,
                    task: sig.task.clone(),
                    message: sig.message.clone(),
                    alert: alert_key(sig.code, &sig.subject),
                    since: sig.since,
                })
            })
            .collect();
        if s.escalation.needs_human {
            needs.push(NeedRow {
                kind: NeedKind::Human,
                severity: Severity::Critical,
                task: None,
                message: "Tier 2 was due and could not act (see `warden escalations`)".to_owned(),
                alert: String::new(),
                since: s.generated_at,
            });
        }
        let mut queue: Vec<QueueRow> = s
            .queue
            .iter()
            .take(QUEUE_ROWS)
            .filter_map(|id| s.tasks.iter().find(|t| &t.id == id))
            .map(|t| QueueRow {
                task: t.id.clone(),
                title: t.title.clone(),
                priority: t.priority.to_string(),
                held: None,
            })
            .collect();
        queue.extend(
            s.tasks
                .iter()
                .filter(|t| t.worker.is_none())
                .filter_map(|t| Some((t, t.hold.clone()?)))
                .map(|(t, why)| QueueRow {
                    task: t.id.clone(),
                    title: t.title.clone(),
                    priority: t.priority.to_string(),
                    held: Some(why),
                }),
        );
        let hour = &s.usage.hour;
        Self {
            header: Header {
                repo: s.root.display().to_string(),
                running: s.workers.len(),
                max_workers: s.limits.max_workers,
                queued: s.queue.len(),
                critical: count(Severity::Critical),
                warning: count(Severity::Warning),
                info: count(Severity::Info),
                escalation: match (s.escalation.enabled, s.escalation.dry_run) {
                    (false, _) => EscalationMode::Off,
                    (true, true) => EscalationMode::DryRun,
                    (true, false) => EscalationMode::On,
                },
                hour_spend: spend(hour),
                hour_usd: hour.usd,
                hour_budget: s.limits.max_usd_per_hour,
            },
            workers,
            needs,
            queue,
            decisions: s
                .escalation
                .recent
                .iter()
                .rev()
                .map(|d| DecisionRow {
                    at: d.at,
                    outcome: d.outcome.clone(),
                    detail: d.detail.clone().unwrap_or_default(),
                })
                .collect(),
            alerts: s
                .escalation
                .alerts
                .iter()
                .filter(|a| a.state == AlertState::Firing)
                .map(|a| a.key.clone())
                .collect(),
            generated_at: s.generated_at,
            valid_until: s.valid_until,
        }
    }

    /// Rows the selection moves over: workers, then what needs you, then the queue.
    pub(crate) fn rows(&self) -> usize {
        self.workers.len() + self.needs.len() + self.queue.len()
    }

    /// What row `i` (in `rows` order) is about.
    pub(crate) fn target(&self, i: usize) -> Option<Target> {
        let live = |task: &str| self.workers.iter().find(|w| w.task == task);
        let alert_of = |task: &str| {
            let suffix = format!("/task:{task}");
            self.alerts.iter().find(|k| k.ends_with(&suffix)).cloned()
        };
        if let Some(w) = self.workers.get(i) {
            return Some(Target {
                task: Some(w.task.clone()),
                pane: w.pane.clone(),
                alert: alert_of(&w.task),
                live: true,
            });
        }
        let i = i - self.workers.len();
        if let Some(n) = self.needs.get(i) {
            let worker = n.task.as_deref().and_then(live);
            return Some(Target {
                task: n.task.clone(),
                pane: worker.and_then(|w| w.pane.clone()),
                alert: (!n.alert.is_empty()).then(|| n.alert.clone()),
                live: worker.is_some(),
            });
        }
        let q = self.queue.get(i - self.needs.len())?;
        Some(Target {
            task: Some(q.task.clone()),
            pane: None,
            alert: alert_of(&q.task),
            live: false,
        })
    }

    /// The snapshot is older than its `valid_until`: the supervisor stopped publishing.
    pub(crate) fn stale(&self, now: DateTime<Utc>) -> bool {
        now > self.valid_until
    }
}
