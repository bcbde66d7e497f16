//! Tier 2 commands: `escalate`, `ack`, `silence`, `resolve`, `escalations`, `pack`.

use std::fmt::Write as _;
use std::time::Duration;

use super::output::{print, print_exact, print_painted};
use crate::config::{HumanDuration, LoadedConfig};
use crate::error::Error;
use crate::escalate::{
    AlertOp, DecisionRecord, Ledger, apply_alert_op, ledger_path, load_ledger, save_ledger,
};
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::paint::{Paint, Style, alert_style, severity_style};
use crate::supervisor::{Refusal, Request, Response, Role, RuntimePaths, SupervisorLock};

fn ask(paths: &RuntimePaths, req: &Request) -> Result<Response, Error> {
    super::control::ask(paths, req, Duration::from_secs(120))
}

fn render(decisions: &[DecisionRecord]) -> String {
    if decisions.is_empty() {
        return "no escalation decision: nothing is firing that escalates, or a guard holds it (see `warden escalations`)\n".to_owned();
    }
    let mut out = String::new();
    for d in decisions {
        let _ = writeln!(
            out,
            "{} {:<11} {}",
            d.at.format("%Y-%m-%d %H:%M:%S"),
            d.outcome.to_string(),
            terminal_safe(d.detail.as_deref().unwrap_or(""))
        );
        if let Some(argv) = &d.argv {
            let shown: Vec<String> = argv
                .iter()
                .map(|a| {
                    // One line: a `{prompt}` argument is the whole prompt, newlines and all.
                    let flat = terminal_safe(&a.replace('\n', "⏎")).into_owned();
                    match flat.char_indices().nth(60) {
                        Some((i, _)) => format!("{}…", &flat[..i]),
                        None => flat,
                    }
                })
                .collect();
            let _ = writeln!(out, "{:>31} command: {}", "", shown.join(" "));
        }
        if let Some(dir) = &d.pack_dir {
            let _ = writeln!(
                out,
                "{:>31} pack: {}",
                "",
                terminal_safe(&dir.join("context.md").to_string_lossy())
            );
        }
    }
    out
}

/// `warden escalate [--dry-run] [--json]`.
pub(crate) fn escalate(
    loaded: &LoadedConfig,
    dry_run: bool,
    json: bool,
) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let req = Request::Escalate {
        dry_run: dry_run.then_some(true),
    };
    let Response::Decisions { decisions } = ask(&paths, &req)? else {
        return Err(Error::Supervisor(
            "it answered `escalate` with something else than decisions".to_owned(),
        ));
    };
    if json {
        print_exact(&format!(
            "{}\n",
            serde_json::to_string_pretty(&decisions).unwrap_or_default()
        ))?;
    } else {
        let records: Vec<DecisionRecord> = serde_json::from_value(decisions)
            .map_err(|e| Error::Supervisor(format!("failed to read its decisions: {e}")))?;
        print(&render(&records))?;
    }
    Ok(ExitCode::Ok)
}

/// `warden ack|silence|resolve KEY`: through the supervisor when it runs, else on the
/// ledger file under the supervisor's lock. Both paths apply the same `apply_alert_op`.
pub(crate) fn alert_op(loaded: &LoadedConfig, key: &str, op: AlertOp) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let req = Request::Alert {
        key: key.to_owned(),
        op,
    };
    match ask(&paths, &req) {
        Ok(Response::Ok { message }) => {
            print(&format!("{}\n", terminal_safe(&message)))?;
            return Ok(ExitCode::Ok);
        }
        Ok(_) => return Ok(ExitCode::Ok),
        Err(Error::NotRunning(_)) => {}
        Err(e) => return Err(e),
    }
    let _lock = SupervisorLock::acquire(&paths.lock, Role::Pass)?;
    let dry_run = loaded.config.escalation.dry_run;
    let path = ledger_path(&paths.state, dry_run);
    let mut ledger = load_ledger(&path, dry_run)?;
    let message = apply_alert_op(&mut ledger.state, key, op, crate::clock::now()).map_err(|e| {
        Error::Refused(Refusal::Alert {
            error: e.to_string(),
        })
    })?;
    save_ledger(&path, &ledger)?;
    print(&format!("{}\n", terminal_safe(&message)))?;
    Ok(ExitCode::Ok)
}

/// The operation for `warden ack` (`--for`, default `ack_for`), `silence --for`, `resolve`,
/// with its end counted from now.
pub(crate) fn alert_op_for(
    loaded: &LoadedConfig,
    verb: AlertVerb,
    duration: Option<HumanDuration>,
) -> AlertOp {
    let now = crate::clock::now();
    let until = |d: HumanDuration| d.after(now);
    match verb {
        AlertVerb::Ack => AlertOp::Ack {
            until: until(duration.unwrap_or(loaded.config.escalation.ack_for)),
        },
        AlertVerb::Silence => AlertOp::Silence {
            until: until(duration.unwrap_or(loaded.config.escalation.ack_for)),
        },
        AlertVerb::Resolve => AlertOp::Resolve,
    }
}

/// Which alert command was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlertVerb {
    Ack,
    Silence,
    Resolve,
}

/// The version of `warden escalations --json`'s shape (docs/json-outputs.md); each ledger
/// in it keeps its own `format_version`.
const ESCALATIONS_FORMAT_VERSION: u32 = 1;

/// `warden escalations [--json]`: the ledger (live, and dry-run when there is one).
pub(crate) fn escalations(
    loaded: &LoadedConfig,
    json: bool,
    paint: Paint,
) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    let mut ledgers: Vec<Ledger> = Vec::new();
    for dry in [false, true] {
        let path = ledger_path(&paths.state, dry);
        if path.exists() {
            ledgers.push(load_ledger(&path, dry)?);
        }
    }
    if json {
        let list = serde_json::json!({
            "format_version": ESCALATIONS_FORMAT_VERSION,
            "ledgers": ledgers,
        });
        print_exact(&format!(
            "{}\n",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        ))?;
        return Ok(ExitCode::Ok);
    }
    if ledgers.is_empty() {
        print("no escalation ledger yet (Tier 2 has not run)\n")?;
        return Ok(ExitCode::Ok);
    }
    let mut out = String::new();
    for l in &ledgers {
        let _ = writeln!(
            out,
            "== {} ledger",
            if l.dry_run { "dry-run" } else { "live" }
        );
        if l.state.needs_human {
            let _ = writeln!(
                out,
                "{}: escalation was due and the budget refused it",
                paint.paint(Style::Red, "NEEDS HUMAN")
            );
        }
        for a in l.state.alerts.values() {
            let _ = writeln!(
                out,
                "  alert   {} {} {} (episode {})",
                paint.cell(alert_style(a.state), a.state.as_str(), 12),
                paint.cell(severity_style(a.severity), a.severity.as_str(), 8),
                terminal_safe(&a.key),
                a.episode
            );
        }
        for a in &l.actions {
            let _ = writeln!(
                out,
                "  manager {} ({}) {}{}: {}",
                terminal_safe(&a.id),
                a.mode,
                a.phase,
                a.exit
                    .as_deref()
                    .or(a.error.as_deref())
                    .map(|x| format!(", {}", terminal_safe(x)))
                    .unwrap_or_default(),
                terminal_safe(&a.pack_dir.to_string_lossy())
            );
        }
        out.push_str(&render(
            &l.decisions[l.decisions.len().saturating_sub(20)..],
        ));
    }
    print_painted(&out)?;
    Ok(ExitCode::Ok)
}

/// `warden pack`.
pub(crate) fn pack(loaded: &LoadedConfig) -> Result<ExitCode, Error> {
    let paths = RuntimePaths::new(loaded);
    if let Response::Ok { message } = ask(&paths, &Request::Pack)? {
        print(&format!("{}\n", terminal_safe(&message)))?;
    }
    Ok(ExitCode::Ok)
}
