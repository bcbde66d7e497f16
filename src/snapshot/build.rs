//! Building the snapshot from observations and signals. Pure.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{
    AgentSummary, Counts, EscalationSummary, LastJob, Limits, RegisterSummary,
    SNAPSHOT_FORMAT_VERSION, Snapshot, TaskEntry, UsageSummary, WorkerEntry,
};
use crate::config::{Escalation, HumanDuration};
use crate::detect::{Observations, Signal};

/// What the snapshot needs beyond the observations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SnapshotContext<'a> {
    pub(crate) root: &'a Path,
    pub(crate) register_path: &'a Path,
    pub(crate) interval: HumanDuration,
    pub(crate) escalation: &'a Escalation,
}

pub(crate) fn build_snapshot(
    obs: &Observations<'_>,
    signals: Vec<Signal>,
    ctx: &SnapshotContext<'_>,
) -> Snapshot {
    let min = ctx.escalation.min_severity;
    let mut per_task: BTreeMap<&str, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for s in &signals {
        if let Some(task) = s.task.as_deref() {
            let (attention, reasons) = per_task.entry(task).or_default();
            let code = s.code.as_str().to_owned();
            if !attention.contains(&code) {
                attention.push(code.clone());
            }
            if s.severity >= min && !reasons.contains(&code) {
                reasons.push(code);
            }
        }
    }
    let position: BTreeMap<&str, usize> = obs
        .plan
        .queue
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let limit_hold = obs.runtime.limits.first().map(|l| match l.until {
        Some(u) => format!(
            "usage limit: {} until {}",
            l.kind,
            u.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => format!("usage limit: {} until it resumes", l.kind),
    });
    let spent = crate::usage::per_task(obs.usage.values());
    let mut latest: BTreeMap<&str, &crate::register::JobRecord> = BTreeMap::new();
    for j in obs.register.map(|r| r.jobs.as_slice()).unwrap_or_default() {
        let slot = latest.entry(j.task.as_str()).or_insert(j);
        if (j.attempt, j.started_at) > (slot.attempt, slot.started_at) {
            *slot = j;
        }
    }
    let mut counts = Counts::default();
    let tasks = obs
        .tasks
        .iter()
        .map(|t| {
            counts.add(t.status());
            let (needs_attention, escalation_reasons) = per_task.remove(t.id()).unwrap_or_default();
            TaskEntry {
                id: t.id().to_owned(),
                title: t.fields.title.clone(),
                status: t.status(),
                priority: t.fields.priority,
                milestone: t.fields.milestone.clone(),
                owner: t.fields.owner.clone(),
                path: t.path.clone(),
                depends_on: t.fields.depends_on.clone(),
                waiting_on: obs.plan.waiting_on.get(t.id()).cloned().unwrap_or_default(),
                started_at: t.fields.started_at,
                completed_at: t.fields.completed_at,
                completed_by: t.fields.completed_by.clone(),
                dispatchable: position.contains_key(t.id()),
                hold: (!t.status().is_terminal())
                    .then(|| obs.holds.get(t.id()).map(ToString::to_string))
                    .flatten()
                    .or_else(|| {
                        // Queued, but a usage limit holds every new job of its agent.
                        position.get(t.id()).and(limit_hold.clone())
                    }),
                worker: obs
                    .register
                    .and_then(|r| r.live_jobs().find(|j| j.task == t.id()))
                    .map(|j| j.job.clone()),
                queue_position: position.get(t.id()).copied(),
                needs_attention,
                escalation_reasons,
                usage: spent.get(t.id()).copied(),
                last_job: latest.get(t.id()).map(|j| LastJob {
                    job: j.job.clone(),
                    attempt: j.attempt,
                    started_at: j.started_at,
                    end: j.end.clone(),
                    ended_at: j.ended_at,
                }),
            }
        })
        .collect();
    let workers: Vec<WorkerEntry> = obs
        .register
        .map(|r| {
            r.live_jobs()
                .map(|j| WorkerEntry {
                    job: j.job.clone(),
                    task: j.task.clone(),
                    attempt: j.attempt,
                    pane: j.pane.clone(),
                    pid: j.pid,
                    worktree: j.worktree.clone(),
                    log_path: j.log_path.clone(),
                    started_at: j.started_at,
                    last_output_at: j.last_output_at,
                    silent_secs: obs.secs_since(
                        j.last_output_at
                            .map_or(j.started_at, |o| o.max(j.started_at)),
                    ),
                    agent: j
                        .agent
                        .map(|kind| AgentSummary::of(kind, j.started_at, obs.agents.get(&j.job))),
                    usage: obs.usage.get(&j.job).map(|u| u.totals),
                })
                .collect()
        })
        .unwrap_or_default();
    counts.invalid = obs.invalid.len();
    counts.queue = obs.plan.queue.len();
    counts.workers_live = workers.len();
    counts.escalation_signals = signals.len();
    // Two heartbeats, at least a second each.
    let valid_for = HumanDuration::from_secs(ctx.interval.as_secs().max(1).saturating_mul(2));
    Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        generator: format!("warden {}", env!("CARGO_PKG_VERSION")),
        generated_at: obs.now,
        valid_until: valid_for.after(obs.now),
        root: ctx.root.to_path_buf(),
        counts,
        queue: obs.plan.queue.clone(),
        tasks,
        workers,
        usage: UsageSummary {
            hour: crate::usage::hour(obs.usage.values(), obs.now),
            day: crate::usage::day(obs.usage.values(), obs.now),
            priced: !obs.budget.prices.0.is_empty(),
        },
        register: RegisterSummary {
            path: ctx.register_path.to_path_buf(),
            ok: obs.register_problem.is_none(),
            error: obs.register_problem.map(|p| p.message.clone()),
            jobs: obs.register.map_or(0, |r| r.jobs.len()),
        },
        escalation: EscalationSummary {
            required: signals.iter().any(|s| s.severity >= min),
            enabled: ctx.escalation.enabled,
            dry_run: ctx.escalation.dry_run,
            min_severity: min,
            signals,
            alerts: Vec::new(),
            budget_left: None,
            needs_human: false,
            live_managers: Vec::new(),
            recent: Vec::new(),
        },
        limits: Limits {
            max_workers: obs.max_workers,
            max_usd_per_hour: obs.budget.max_usd_per_hour,
            max_usd_per_day: obs.budget.max_usd_per_day,
        },
    }
}
