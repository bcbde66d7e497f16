//! The context pack a manager reads: a folder per escalation with `context.md` (the prompt)
//! and the evidence beside it. `build_pack` is pure and deterministic: the same state gives
//! the same bytes, apart from the pack's id and the times in it. The total is bounded; a
//! file that does not fit is cut, and the cut is marked.

use std::fmt::Write as _;
use std::path::Path;

use super::alert::Alert;
use crate::detect::Signal;

/// Everything a pack is made from, gathered by the supervisor.
#[derive(Debug, Clone, Default)]
pub(crate) struct PackInput {
    pub(crate) id: String,
    pub(crate) repository: String,
    /// The pack's own folder, absolute: the manager runs in the repository, not here.
    pub(crate) dir: String,
    /// A step-up from a one-shot: which one, and the tail of what it printed.
    pub(crate) step_up: Option<StepUp>,
    pub(crate) alerts: Vec<Alert>,
    /// The current signals behind the alerts (for their evidence).
    pub(crate) signals: Vec<Signal>,
    pub(crate) snapshot_json: String,
    /// (task id, file name in the pack, content) of each involved task file.
    pub(crate) task_files: Vec<(String, String, Vec<u8>)>,
    /// (task id, the tail of its dispatch log, rendered as `warden logs` shows it).
    pub(crate) log_tails: Vec<(String, Vec<u8>)>,
    /// (job id, the last screen of its pane).
    pub(crate) screens: Vec<(String, String)>,
    pub(crate) git_status: String,
    pub(crate) git_worktrees: String,
    /// Recent ledger decisions, one per line.
    pub(crate) recent_decisions: Vec<String>,
    pub(crate) budget_left: u32,
    pub(crate) max_bytes: usize,
}

/// A manager window brought in because a one-shot did not settle the trouble.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StepUp {
    /// The one-shot's action id.
    pub(crate) from: String,
    /// The tail of its output (rendered as `warden logs` shows it).
    pub(crate) output: Vec<u8>,
}

/// `docs/manager-guide.md`, built in.
const MANAGER_GUIDE: &str = include_str!("../../docs/manager-guide.md");

const CUT: &str = "\n[… cut by warden: the context pack is limited to its size budget]\n";

/// The files of the pack, in order: (name relative to the pack folder, bytes).
pub(crate) fn build_pack(input: &PackInput) -> Vec<(String, Vec<u8>)> {
    let mut others: Vec<(String, Vec<u8>)> = vec![(
        "snapshot.json".to_owned(),
        input.snapshot_json.clone().into_bytes(),
    )];
    for (_, name, bytes) in &input.task_files {
        others.push((format!("tasks/{name}"), bytes.clone()));
    }
    for (task, bytes) in &input.log_tails {
        others.push((
            format!("logs/{}.log", crate::dispatch::safe_name(task)),
            bytes.clone(),
        ));
    }
    for (job, text) in &input.screens {
        others.push((format!("screens/{job}.txt"), text.clone().into_bytes()));
    }
    if let Some(step) = &input.step_up {
        others.push((format!("oneshot-{}.log", step.from), step.output.clone()));
    }
    others.push((
        "git.txt".to_owned(),
        format!(
            "$ git status --short\n{}\n$ git worktree list\n{}\n",
            input.git_status, input.git_worktrees
        )
        .into_bytes(),
    ));
    others.push((
        "ledger.txt".to_owned(),
        format!("{}\n", input.recent_decisions.join("\n")).into_bytes(),
    ));
    // The manager's standing instructions travel with every pack, first after the prompt.
    others.insert(
        0,
        (
            "manager-guide.md".to_owned(),
            MANAGER_GUIDE.as_bytes().to_vec(),
        ),
    );

    let context = context_md(
        input,
        &others.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
    );
    let mut left = input.max_bytes;
    let mut files = Vec::with_capacity(others.len() + 1);
    for (name, mut bytes) in
        std::iter::once(("context.md".to_owned(), context.into_bytes())).chain(others)
    {
        if bytes.len() > left {
            bytes.truncate(left.saturating_sub(CUT.len()));
            bytes.extend_from_slice(CUT.as_bytes());
            bytes.truncate(left);
        }
        left -= bytes.len();
        files.push((name, bytes));
    }
    files
}

fn context_md(input: &PackInput, files: &[&str]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# warden escalation {}\n", input.id);
    let _ = writeln!(
        s,
        "You are the manager of the task backlog in `{}` (Tier 2). warden (Tier 1, no LLM) \
         dispatches ready tasks to agent workers in tmux, watches their exit codes and output, \
         and brought you in because the alerts below are firing. Your job: find out why, fix \
         what can be fixed, and tell warden when it is handled.\n",
        input.repository
    );
    let _ = writeln!(
        s,
        "This pack is the folder `{dir}`: every file named below is in it (you run in the \
         repository, so use this path). Read `{dir}/manager-guide.md` first.\n",
        dir = input.dir
    );
    if let Some(step) = &input.step_up {
        let _ = writeln!(
            s,
            "## A step-up\n\nA one-shot manager (`{from}`) was brought in for this trouble \
             before you, and it is still firing: you are the manager window now. What it \
             printed is in `oneshot-{from}.log`; carry on from there rather than starting over.\n",
            from = step.from
        );
    }
    let _ = writeln!(s, "## Firing alerts\n");
    let mut alerts: Vec<&Alert> = input.alerts.iter().collect();
    alerts.sort_by(|a, b| a.key.cmp(&b.key));
    for a in alerts {
        let _ = writeln!(
            s,
            "- `{}`: {} ({}, episode {}, firing since {})",
            a.key,
            a.message,
            a.severity,
            a.episode,
            a.firing_since.map_or_else(
                || "now".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
            )
        );
        for sig in input
            .signals
            .iter()
            .filter(|sig| super::alert::alert_key(sig.code, &sig.subject) == a.key)
        {
            if let Ok(ev) = serde_json::to_string(&sig.evidence) {
                let _ = writeln!(s, "  evidence: `{ev}`");
            }
        }
    }
    let _ = writeln!(
        s,
        "\n## What to do\n\n\
         0. Read `manager-guide.md` in the pack's folder first: your role and your limits.\n\
         1. Read the evidence in the pack's folder: the task files (`tasks/`), the tails of their \
            dispatch logs (`logs/`), the last screens of their panes (`screens/`), `git.txt`, \
            the snapshot and the recent decisions (`ledger.txt`).\n\
         2. Find the cause. A task that keeps failing usually needs a clearer task file, a \
            dependency, or a fix outside the task.\n\
         3. Act through the task files and warden: edit a task (status, `depends_on`, the \
            description), `warden retry TASK` to let warden try it again, `warden kill TASK` to \
            stop a runaway worker, `warden dispatch TASK` to start one now, `warden logs TASK` \
            to read more.\n\
         4. When it is handled: `warden ack KEY --for 30m` (no repeats while you work) or \
            `warden resolve KEY` (you fixed it; if the condition is still there it fires \
            again as a new episode).\n\n\
         ## What not to do\n\n\
         - Do not stop warden (`warden down`), kill its tmux server, or edit anything under \
           `.warden/`.\n\
         - Do not start agents by hand outside warden, or delete logs and snapshots.\n\
         - Do not mark a task completed that is not done.\n"
    );
    let _ = writeln!(s, "## This pack\n");
    for f in files {
        let _ = writeln!(s, "- `{f}`");
    }
    let _ = writeln!(
        s,
        "\nWhile you work, new alerts for you are appended to `{dir}/updates.md`. When you are \
         done, write what you did to `{dir}/manager-notes.md`, then exit.\n\
         Manager spawns left in this hour's budget: {}.",
        input.budget_left,
        dir = input.dir
    );
    s
}

/// Writes the pack's files under `dir` (created). Returns the path of `context.md`.
pub(crate) fn write_pack(
    dir: &Path,
    files: &[(String, Vec<u8>)],
) -> Result<std::path::PathBuf, crate::state::WriteError> {
    for (name, bytes) in files {
        crate::state::write_atomic(&dir.join(name), bytes)?;
    }
    Ok(dir.join("context.md"))
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::detect::{Severity, SignalCode, Subject};

    fn input(id: &str, max: usize) -> PackInput {
        let sig = Signal {
            code: SignalCode::RepeatedFailure,
            severity: Severity::Critical,
            subject: Subject::Task("t".into()),
            task: Some("t".into()),
            message: "t failed 3 times".into(),
            evidence: crate::detect::Evidence::default(),
            since: crate::clock::test_now(),
        };
        PackInput {
            id: id.into(),
            repository: "/repo".into(),
            dir: format!("/repo/tasks/logs/task_manager/escalations/{id}"),
            step_up: None,
            alerts: vec![Alert::open(&sig, 1, sig.since)],
            signals: vec![sig],
            snapshot_json: "{}".into(),
            task_files: vec![("t".into(), "t.md".into(), b"---\nid: t\n---\n".to_vec())],
            log_tails: vec![("t".into(), "line\n".repeat(1000).into_bytes())],
            screens: vec![("j1".into(), "$ screen\n".into())],
            git_status: String::new(),
            git_worktrees: "/repo abc [main]".into(),
            recent_decisions: vec!["spawn e0001".into()],
            budget_left: 2,
            max_bytes: max,
        }
    }

    #[test]
    fn deterministic_apart_from_the_id() {
        let a = build_pack(&input("e0001", 200_000));
        let b = build_pack(&input("e0001", 200_000));
        assert_eq!(a, b);
        let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "context.md",
                "manager-guide.md",
                "snapshot.json",
                "tasks/t.md",
                "logs/t.log",
                "screens/j1.txt",
                "git.txt",
                "ledger.txt"
            ]
        );
        let context = String::from_utf8_lossy(&a[0].1).into_owned();
        for needle in [
            "repeated_failure/task:t",
            "warden ack",
            "warden resolve",
            "What not to do",
            "budget: 2",
            // Where the pack is: the manager runs in the repository, not in this folder.
            "This pack is the folder `/repo/tasks/logs/task_manager/escalations/e0001`",
            "/repo/tasks/logs/task_manager/escalations/e0001/manager-guide.md",
            "/repo/tasks/logs/task_manager/escalations/e0001/updates.md",
        ] {
            assert!(context.contains(needle), "{needle}: {context}");
        }
        assert!(!context.contains("step-up"), "not a step-up");
    }

    #[test]
    fn a_step_up_says_so_and_carries_the_one_shots_output() {
        let mut step = input("e0002", 200_000);
        step.step_up = Some(StepUp {
            from: "e0001".into(),
            output: b"tried: restarted the flaky test\n".to_vec(),
        });
        let files = build_pack(&step);
        let context = String::from_utf8_lossy(&files[0].1).into_owned();
        assert!(context.contains("## A step-up"), "{context}");
        assert!(
            context.contains("A one-shot manager (`e0001`)"),
            "{context}"
        );
        assert!(context.contains("`oneshot-e0001.log`"), "{context}");
        let log = files
            .iter()
            .find(|(n, _)| n == "oneshot-e0001.log")
            .expect("the one-shot's output");
        assert_eq!(log.1, b"tried: restarted the flaky test\n");
    }

    #[test]
    fn bounded_with_the_cut_marked() {
        let files = build_pack(&input("e1", 1500));
        let total: usize = files.iter().map(|(_, b)| b.len()).sum();
        assert!(total <= 1500, "{total}");
        assert!(
            files
                .iter()
                .any(|(_, b)| String::from_utf8_lossy(b).contains("cut by warden"))
        );
    }
}
