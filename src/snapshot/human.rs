//! The text heartbeat: the same snapshot, short and scannable. The `Escalation signals`
//! section appears only when signals are active. Durations are relative to `generated_at`,
//! so one snapshot always renders the same text. Ids, paths and messages are escaped
//! (`crate::escape`): the text goes to terminals, the supervisor's window included. With
//! `Paint` on, states and severities are coloured around the escaped text; the snapshot
//! file and `--json` never are.

use std::fmt::Write as _;

use super::model::Snapshot;
use crate::config::HumanDuration;
use crate::escalate::AlertState;
use crate::escape::{terminal_safe, terminal_safe_lines};
use crate::paint::{
    Paint, Style, agent_style, severity_style, status_style, terminal_safe_painted,
};
use crate::task::Status;

const MAX_QUEUE_SHOWN: usize = 8;

fn ago(snapshot: &Snapshot, then: chrono::DateTime<chrono::Utc>) -> String {
    let secs = u64::try_from((snapshot.generated_at - then).num_seconds()).unwrap_or(0);
    HumanDuration::from_secs(secs).to_string()
}

/// Renders the heartbeat text, safe for a terminal, painted when `paint` is on. Always
/// ends with a newline.
pub(crate) fn render_heartbeat(s: &Snapshot, paint: Paint) -> String {
    let out = render(s, paint);
    // Each field is escaped below; this catches one that is not, before a terminal does.
    if paint.is_on() {
        terminal_safe_painted(&out).into_owned()
    } else {
        terminal_safe_lines(&out).into_owned()
    }
}

fn render(s: &Snapshot, paint: Paint) -> String {
    let mut out = String::new();
    let c = &s.counts;
    let _ = writeln!(
        out,
        "warden heartbeat {} · {}",
        s.generated_at.format("%Y-%m-%d %H:%M:%S UTC"),
        terminal_safe(&s.root.to_string_lossy())
    );
    let statuses: Vec<String> = Status::ALL
        .iter()
        .filter(|&&st| c.of(st) > 0)
        .map(|&st| {
            let word = format!("{} {}", c.of(st), st.as_str().replace('_', " "));
            paint.paint(status_style(st), &word)
        })
        .collect();
    let mut tasks_line = format!("tasks    {} total", c.total);
    if !statuses.is_empty() {
        let _ = write!(tasks_line, ": {}", statuses.join(" · "));
    }
    if c.invalid > 0 {
        let _ = write!(
            tasks_line,
            " (+{} invalid file{})",
            c.invalid,
            plural(c.invalid)
        );
    }
    let _ = writeln!(out, "{tasks_line}");
    if s.queue.is_empty() {
        let _ = writeln!(out, "queue    empty");
    } else {
        let shown: Vec<String> = s
            .queue
            .iter()
            .take(MAX_QUEUE_SHOWN)
            .map(|id| {
                let p = s
                    .tasks
                    .iter()
                    .find(|t| &t.id == id)
                    .map(|t| t.priority.as_str());
                format!("{} ({})", terminal_safe(id), p.unwrap_or("?"))
            })
            .collect();
        let more = s.queue.len().saturating_sub(MAX_QUEUE_SHOWN);
        let tail = if more > 0 {
            format!(", … {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "queue    {}: {}{tail}",
            s.queue.len(),
            shown.join(", ")
        );
    }
    if s.workers.is_empty() {
        let _ = writeln!(out, "workers  none running");
    } else {
        let _ = writeln!(out, "workers  {} running", s.workers.len());
        for w in &s.workers {
            // The agent's state first: "waiting" is what a person scans for.
            let state = w.agent.as_ref().map_or_else(
                || paint.cell(Style::Plain, "-", 8),
                |a| paint.cell(agent_style(a.state), a.state.word(), 8),
            );
            let _ = write!(
                out,
                "  {:<10} {state} {} (attempt {}) · started {} ago · silent {}",
                terminal_safe(&w.job),
                terminal_safe(&w.task),
                w.attempt,
                ago(s, w.started_at),
                HumanDuration::from_secs(w.silent_secs)
            );
            if let Some(u) = &w.usage {
                let _ = write!(out, " · {}", spend(u));
            }
            if let Some(a) = &w.agent {
                let _ = write!(out, " · {} {} for {}", a.kind, a.state, ago(s, a.since));
                if let Some(n) = a
                    .notification
                    .as_deref()
                    .filter(|_| a.state == crate::agent::AgentState::WaitingInput)
                {
                    let _ = write!(out, ": {}", terminal_safe(n));
                }
            }
            let _ = writeln!(out);
        }
    }
    let (hour, day) = (&s.usage.hour, &s.usage.day);
    if !day.tokens.is_zero() {
        let _ = writeln!(
            out,
            "usage    {} this hour · {} today{}",
            spend(hour),
            spend(day),
            if s.usage.priced || day.usd.is_some() {
                ""
            } else {
                " (no [budget.prices]: tokens only)"
            }
        );
    }
    if !s.register.ok {
        let _ = writeln!(
            out,
            "register {}: {}",
            paint.paint(Style::Red, "UNREADABLE, dispatch refused"),
            terminal_safe(s.register.error.as_deref().unwrap_or("unknown error"))
        );
    }
    let e = &s.escalation;
    let tier2 = if e.dry_run {
        "tier 2 dry-run"
    } else {
        "tier 2 enabled"
    };
    // Off is off: "required" would read as a call to act that nothing will answer.
    let state = if !e.enabled {
        paint.paint(Style::Dim, "off")
    } else if e.required {
        format!("{} ({tier2})", paint.paint(Style::Yellow, "required"))
    } else if e.signals.is_empty() {
        format!("not required, no signals ({tier2})")
    } else {
        format!("not required ({tier2})")
    };
    let _ = writeln!(out, "escalation {state}");
    if let Some(left) = e.budget_left {
        let firing = e
            .alerts
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .count();
        let acked = e
            .alerts
            .iter()
            .filter(|a| a.state == AlertState::Acknowledged)
            .count();
        let pending = e
            .alerts
            .iter()
            .filter(|a| a.state == AlertState::Pending)
            .count();
        let managers = if e.live_managers.is_empty() {
            "none".to_owned()
        } else {
            e.live_managers
                .iter()
                .map(|m| terminal_safe(m))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "tier 2   {firing} firing · {acked} acknowledged · {pending} pending · {left} spawn{} left this hour · managers: {managers}",
            plural(usize::try_from(left).unwrap_or(usize::MAX))
        );
    }
    if e.needs_human {
        let _ = writeln!(
            out,
            "{}: escalation is due and refused (spawn budget exhausted or ledger unreadable); see `warden escalations`",
            paint.paint(Style::Red, "NEEDS HUMAN")
        );
    }
    if !e.signals.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Escalation signals ({})", e.signals.len());
        let code_w = e
            .signals
            .iter()
            .map(|x| x.code.as_str().len())
            .max()
            .unwrap_or(0);
        for sig in &e.signals {
            let _ = writeln!(
                out,
                "  {} {:<code_w$}  {} (since {} ago)",
                paint.cell(severity_style(sig.severity), sig.severity.as_str(), 8),
                sig.code.as_str(),
                terminal_safe(&sig.message),
                ago(s, sig.since),
            );
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The state column of the heartbeat: one short word per agent state.
/// `$0.42, 1.2M tokens`; tokens only without a price.
pub(crate) fn spend(t: &crate::usage::Totals) -> String {
    let tokens = t.tokens.total();
    #[allow(clippy::cast_precision_loss)]
    let count = match tokens {
        0..=9_999 => tokens.to_string(),
        10_000..=999_999 => format!("{:.1}k", tokens as f64 / 1e3),
        _ => format!("{:.1}M", tokens as f64 / 1e6),
    };
    match t.usd {
        Some(usd) => format!(
            "${usd:.2}{}, {count} tokens",
            if t.usd_complete { "" } else { "+" }
        ),
        None => format!("{count} tokens"),
    }
}

#[cfg(test)]
#[path = "human_tests.rs"]
mod tests;
