//! Dependencies and the dispatch queue. Pure: a list of tasks in, a plan out.
//!
//! A task is dispatchable when its status is `ready`, every `depends_on` task exists and is
//! completed, and it is not part of a dependency cycle. The queue is the dispatchable tasks
//! ordered by priority, then age (`created_at`, else the file's mtime), then id. A task
//! with a live worker is running, not waiting: dispatch does not edit task files, so its
//! status may still say `ready`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::model::{Status, Task};

/// The outcome of resolving dependencies over a backlog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Dispatchable task ids in dispatch order.
    pub(crate) queue: Vec<String>,
    /// Per task: dependencies that exist but are not completed yet.
    pub(crate) waiting_on: BTreeMap<String, Vec<String>>,
    /// Per task: dependencies that name no task.
    pub(crate) missing: BTreeMap<String, Vec<String>>,
    /// Per task: dependencies that were cancelled, so the task can never become ready.
    pub(crate) cancelled: BTreeMap<String, Vec<String>>,
    /// Each dependency cycle, as its member ids in sorted order.
    pub(crate) cycles: Vec<Vec<String>>,
    /// Per queued task: since when it has been dispatchable: the latest of its file's mtime,
    /// its dependencies' completion and the end of its own last attempt.
    pub(crate) ready_since: BTreeMap<String, DateTime<Utc>>,
    /// Task id → position in the task list the plan was made from, for O(1) lookups.
    pub(crate) index: HashMap<String, usize>,
}

/// What the register says about tasks, as far as the queue cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Activity {
    /// Tasks with a live worker.
    pub(crate) running: BTreeSet<String>,
    /// Per task: when its latest attempt ended. A failed task waits again from then.
    pub(crate) last_ended: BTreeMap<String, DateTime<Utc>>,
    /// Tasks the retry policy holds back (backoff, gave up, succeeded, killed).
    pub(crate) held: BTreeSet<String>,
}

/// Strongly connected components with more than one member, or with a self-edge, found with
/// an iterative Tarjan (a 10,000-task chain must not overflow the stack).
fn cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut found = Vec::new();
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        // (node, position in its edge list)
        let mut work = vec![(start, 0usize)];
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if *pos == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = edges[v].get(*pos) {
                *pos += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || edges[v].contains(&v) {
                    found.push(component);
                }
            }
        }
    }
    found
}

/// Resolves dependencies and orders the queue.
pub(crate) fn plan(tasks: &[Task], activity: &Activity) -> Plan {
    let by_id: HashMap<&str, usize> = tasks.iter().enumerate().map(|(i, t)| (t.id(), i)).collect();
    let edges: Vec<Vec<usize>> = tasks
        .iter()
        .map(|t| {
            t.fields
                .depends_on
                .iter()
                .filter_map(|d| by_id.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    let mut plan = Plan {
        index: by_id.iter().map(|(id, &i)| ((*id).to_owned(), i)).collect(),
        ..Plan::default()
    };
    let mut in_cycle = vec![false; tasks.len()];
    for component in cycles(&edges) {
        if component.iter().all(|&i| tasks[i].status().is_terminal()) {
            continue;
        }
        for &i in &component {
            in_cycle[i] = true;
        }
        let mut ids: Vec<String> = component
            .iter()
            .map(|&i| tasks[i].id().to_owned())
            .collect();
        ids.sort();
        plan.cycles.push(ids);
    }
    plan.cycles.sort();

    let mut queued: Vec<&Task> = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        if task.status().is_terminal() {
            continue;
        }
        let mut missing = Vec::new();
        let mut waiting = Vec::new();
        let mut cancelled = Vec::new();
        let mut ready_since = task.mtime;
        for dep in &task.fields.depends_on {
            match by_id.get(dep.as_str()).map(|&j| &tasks[j]) {
                None => missing.push(dep.clone()),
                Some(d) if d.status() == Status::Cancelled => cancelled.push(dep.clone()),
                Some(d) if d.status() != Status::Completed => waiting.push(dep.clone()),
                Some(d) => ready_since = ready_since.max(d.fields.completed_at.unwrap_or(d.mtime)),
            }
        }
        if let Some(&ended) = activity.last_ended.get(task.id()) {
            ready_since = ready_since.max(ended);
        }
        let dispatchable = task.status() == Status::Ready
            && !activity.running.contains(task.id())
            && !activity.held.contains(task.id())
            && missing.is_empty()
            && cancelled.is_empty()
            && waiting.is_empty()
            && !in_cycle[i];
        if !missing.is_empty() {
            plan.missing.insert(task.id().to_owned(), missing);
        }
        if !cancelled.is_empty() {
            plan.cancelled.insert(task.id().to_owned(), cancelled);
        }
        if !waiting.is_empty() {
            plan.waiting_on.insert(task.id().to_owned(), waiting);
        }
        if dispatchable {
            plan.ready_since.insert(task.id().to_owned(), ready_since);
            queued.push(task);
        }
    }
    queued.sort_by(|a, b| {
        (a.fields.priority, a.age_key(), a.id()).cmp(&(b.fields.priority, b.age_key(), b.id()))
    });
    plan.queue = queued.into_iter().map(|t| t.id().to_owned()).collect();
    plan
}

#[cfg(test)]
mod tests {

    use chrono::TimeZone;

    use super::*;
    use crate::task::Priority;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0)
            .single()
            .expect("valid time")
    }

    fn t(id: &str, status: Status, priority: Priority, deps: &[&str], minute: u32) -> Task {
        let mut task = crate::task::testing::task(id, status, at(minute));
        let fields = std::sync::Arc::make_mut(&mut task.fields);
        fields.priority = priority;
        fields.depends_on = deps.iter().map(|d| (*d).to_owned()).collect();
        task
    }

    use Priority::{P0, P1, P2};
    use Status::{Backlog, Completed, InProgress, Ready};

    #[test]
    fn queue_orders_by_priority_then_age_then_id() {
        let tasks = [
            t("c", Ready, P2, &[], 1),
            t("b", Ready, P2, &[], 1),
            t("old", Ready, P2, &[], 0),
            t("urgent", Ready, P0, &[], 9),
            t("high", Ready, P1, &[], 5),
            t("not-ready", Backlog, P0, &[], 0),
        ];
        assert_eq!(
            plan(&tasks, &Activity::default()).queue,
            ["urgent", "high", "old", "b", "c"]
        );
    }

    #[test]
    fn dependencies_gate_dispatch() {
        let tasks = [
            t("done", Completed, P2, &[], 0),
            t("doing", InProgress, P2, &[], 0),
            t("after-done", Ready, P2, &["done"], 1),
            t("after-doing", Ready, P2, &["doing"], 1),
            t("after-ghost", Ready, P2, &["ghost"], 1),
            t("dropped", Status::Cancelled, P2, &[], 0),
            t("after-dropped", Ready, P2, &["dropped"], 1),
        ];
        let p = plan(&tasks, &Activity::default());
        assert_eq!(p.queue, ["after-done"]);
        assert_eq!(p.waiting_on["after-doing"], ["doing"]);
        assert_eq!(p.missing["after-ghost"], ["ghost"]);
        assert_eq!(p.cancelled["after-dropped"], ["dropped"]);
        assert!(p.cycles.is_empty());
    }

    #[test]
    fn ready_since_counts_from_the_last_dependency_completion() {
        let mut done = t("done", Completed, P2, &[], 0);
        std::sync::Arc::make_mut(&mut done.fields).completed_at = Some(at(30));
        let tasks = [done, t("next", Ready, P2, &["done"], 10)];
        assert_eq!(
            plan(&tasks, &Activity::default()).ready_since["next"],
            at(30)
        );
    }

    #[test]
    fn running_tasks_leave_the_queue_and_failures_restart_the_wait() {
        let tasks = [t("busy", Ready, P0, &[], 0), t("failed", Ready, P1, &[], 0)];
        let mut activity = Activity {
            running: ["busy".to_owned()].into(),
            last_ended: [("failed".to_owned(), at(45))].into(),
            held: BTreeSet::new(),
        };
        let p = plan(&tasks, &activity);
        assert_eq!(p.queue, ["failed"]);
        assert_eq!(p.ready_since["failed"], at(45));
        activity.held.insert("failed".to_owned());
        assert!(plan(&tasks, &activity).queue.is_empty(), "held tasks wait");
    }

    #[test]
    fn cycles_are_found_and_not_dispatched() {
        let tasks = [
            t("a", Ready, P2, &["b"], 0),
            t("b", Ready, P2, &["c"], 0),
            t("c", Ready, P2, &["a"], 0),
            t("self", Ready, P2, &["self"], 0),
            t("free", Ready, P2, &[], 0),
            t("old-x", Completed, P2, &["old-y"], 0),
            t("old-y", Completed, P2, &["old-x"], 0),
        ];
        let p = plan(&tasks, &Activity::default());
        assert_eq!(p.queue, ["free"]);
        assert_eq!(p.cycles, vec![vec!["a", "b", "c"], vec!["self"]]);
    }

    #[test]
    fn a_long_chain_does_not_overflow() {
        let n = 20_000;
        let ids: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
        let tasks: Vec<Task> = (0..n)
            .map(|i| {
                let deps: Vec<&str> = if i + 1 < n {
                    vec![ids[i + 1].as_str()]
                } else {
                    vec![ids[0].as_str()]
                };
                t(&ids[i], Ready, P2, &deps, 0)
            })
            .collect();
        let p = plan(&tasks, &Activity::default());
        assert_eq!(p.cycles.len(), 1);
        assert_eq!(p.cycles[0].len(), n);
    }
}
