//! `warden budget [reset]`: what the agents spent against `[budget]`, and `reset`, after
//! which the repository's rolling hour and day count afresh (a task's own budget is reset
//! by `warden retry TASK`).

use std::fmt::Write as _;

use super::output::print;
use crate::detect::SignalCode;
use crate::error::Error;
use crate::escape::terminal_safe;
use crate::exit_code::ExitCode;
use crate::heartbeat::Tier1;

fn limit(value: Option<f64>) -> String {
    value.map_or_else(|| "no limit".to_owned(), |v| format!("limit ${v:.2}"))
}

fn usd(t: &crate::usage::Totals) -> String {
    t.usd
        .map_or_else(|| "no USD (tokens only)".to_owned(), |u| format!("${u:.4}"))
}

pub(crate) fn run(mut tier1: Tier1, reset: bool) -> Result<ExitCode, Error> {
    let now = crate::clock::now();
    if reset {
        let loaded = tier1.loaded();
        let state = loaded.resolve(&loaded.config.paths.state);
        crate::usage::write_reset(&state, now)?;
        print(&format!(
            "the repository's budget windows count from {} (a running supervisor takes it at its next heartbeat)\n",
            now.format("%Y-%m-%d %H:%M:%S UTC")
        ))?;
        return Ok(ExitCode::Ok);
    }
    let pass = tier1.pass(now);
    let budget = &tier1.loaded().config.budget;
    let s = &pass.snapshot;
    let mut out = String::new();
    for (name, spent, max) in [
        ("this hour", &s.usage.hour, budget.max_usd_per_hour),
        ("today", &s.usage.day, budget.max_usd_per_day),
    ] {
        let _ = writeln!(
            out,
            "{name:<10} {} · {} tokens ({})",
            usd(spent),
            spent.tokens.total(),
            limit(max)
        );
    }
    if !s.usage.priced {
        out.push_str(
            "no [budget.prices]: spend the agents did not price is counted in tokens only\n",
        );
    }
    for sig in s
        .escalation
        .signals
        .iter()
        .filter(|x| x.code == SignalCode::BudgetExceeded)
    {
        let _ = writeln!(out, "OVER       {}", terminal_safe(&sig.message));
    }
    print(&out)?;
    Ok(ExitCode::Ok)
}
