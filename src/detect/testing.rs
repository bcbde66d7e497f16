//! Fixtures for the detection tests: a fixed now, tasks and jobs by age, and a `World` to
//! run detection over.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Observations, RegisterProblem, RuntimeHealth, Signal, SignalCode, detect};
use crate::config::Thresholds;
use crate::register::{JobEnd, JobRecord, Register};
use crate::task::{InvalidTask, Status, Task, plan};
use crate::worktree::WorktreeObservation;

pub(super) fn now() -> DateTime<Utc> {
    crate::clock::test_now()
}

pub(super) fn ago(secs: i64) -> DateTime<Utc> {
    now() - TimeDelta::seconds(secs)
}

pub(super) fn task(id: &str, status: Status, mtime_ago: i64) -> Task {
    crate::task::testing::task(id, status, ago(mtime_ago))
}

pub(super) fn job(n: u32, task: &str, started_ago: i64) -> JobRecord {
    JobRecord {
        argv: vec!["dispatch".to_owned(), task.to_owned()],
        ..crate::register::testing::job(&format!("j{n}"), task, n, ago(started_ago))
    }
}

pub(super) fn ended(mut j: JobRecord, ended_ago: i64, end: JobEnd) -> JobRecord {
    j.ended_at = Some(ago(ended_ago));
    j.end = Some(end);
    j
}

pub(super) fn exit(code: i32) -> JobEnd {
    JobEnd::Exited { code }
}

/// A world to run detection over.
#[derive(Default)]
pub(super) struct World {
    pub(super) tasks: Vec<Task>,
    pub(super) invalid: Vec<InvalidTask>,
    pub(super) jobs: Vec<JobRecord>,
    pub(super) worktrees: WorktreeObservation,
    pub(super) register_problem: Option<RegisterProblem>,
    pub(super) max_workers: u32,
    pub(super) max_runtime: Option<crate::config::HumanDuration>,
    pub(super) holds: std::collections::BTreeMap<String, crate::dispatch::Hold>,
    pub(super) runtime: RuntimeHealth,
    pub(super) agents: std::collections::BTreeMap<String, crate::agent::AgentRecord>,
    pub(super) usage: std::collections::BTreeMap<String, crate::usage::JobUsage>,
    pub(super) budget: crate::config::Budget,
}

impl World {
    pub(super) fn tasks(tasks: Vec<Task>) -> Self {
        Self {
            tasks,
            max_workers: 2,
            ..Self::default()
        }
    }

    pub(super) fn jobs(mut self, jobs: Vec<JobRecord>) -> Self {
        self.jobs = jobs;
        self
    }

    pub(super) fn run(&self) -> Vec<Signal> {
        let thresholds = Thresholds::default();
        let register = Register {
            jobs: self.jobs.clone(),
            ..Register::default()
        };
        let plan = plan(&self.tasks, &register.activity());
        detect(&Observations {
            tasks: &self.tasks,
            invalid: &self.invalid,
            plan: &plan,
            register: self.register_problem.is_none().then_some(&register),
            register_problem: self.register_problem.as_ref(),
            worktrees: &self.worktrees,
            holds: &self.holds,
            max_workers: self.max_workers,
            max_runtime: self.max_runtime,
            thresholds: &thresholds,
            runtime: &self.runtime,
            agents: &self.agents,
            usage: &self.usage,
            budget: &self.budget,
            breaches: &[],
            now: now(),
        })
    }

    pub(super) fn codes(&self, code: SignalCode) -> Vec<Signal> {
        self.run().into_iter().filter(|s| s.code == code).collect()
    }
}

/// Checks a table of (case name, world, expected count of `code`).
pub(super) fn table(code: SignalCode, cases: Vec<(&str, World, usize)>) {
    for (name, world, want) in cases {
        let got = world.codes(code);
        assert_eq!(got.len(), want, "{code} / {name}: {got:#?}");
        for s in &got {
            assert_eq!(s.severity, code.severity(), "{name}");
            assert!(!s.message.is_empty(), "{name}");
        }
    }
}

pub(super) const HOUR: i64 = 3600;
