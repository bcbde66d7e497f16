//! The prompt of a job, rendered from a template with the task, the attempt and, on a
//! retry, how the previous attempt ended. Pure: the texts are read by the caller. Strict:
//! a variable the context does not have is an error naming the template's line, never an
//! empty string in an agent's instructions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use crate::task::{Priority, Status};

/// The prompt used when `dispatch.prompt_template` is not set; `warden init` writes the same
/// text to `templates/prompt.md`.
pub(crate) const DEFAULT_TEMPLATE: &str = include_str!("../../templates/prompt.md");

/// The name the built-in template goes by in errors.
pub(crate) const DEFAULT_TEMPLATE_NAME: &str = "(built-in prompt template)";

/// A task body is cut to this many bytes (a task file is at most 1 MiB anyway).
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The previous attempt's output is cut to its last this many lines …
pub(crate) const TAIL_LINES: usize = 60;
/// … and this many bytes.
pub(crate) const TAIL_BYTES: usize = 8 * 1024;

/// The placeholder (and `WARDEN_PROMPT_FILE`) for the job's prompt file.
pub(crate) const PROMPT_FILE: &str = "prompt_file";
/// The placeholder for the prompt's text, as one argument.
pub(crate) const PROMPT: &str = "prompt";

/// The per-job prompt file, `<jobs>/<job>.prompt.md`.
pub(crate) fn prompt_path(jobs: &Path, job: &str) -> PathBuf {
    jobs.join(format!("{job}.prompt.md"))
}

/// The task, as a template sees it (`task.*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PromptTask {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) status: Status,
    pub(crate) priority: Priority,
    pub(crate) milestone: Option<String>,
    pub(crate) owner: Option<String>,
    pub(crate) depends_on: Vec<String>,
    /// Relative to the repository root, as the task's path is written in reports.
    pub(crate) path: String,
    /// Absolute, as `{task_file}`.
    pub(crate) file: String,
    /// The file's text after its front matter.
    pub(crate) body: String,
}

/// The attempt before this one (`previous.*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PreviousAttempt {
    pub(crate) job: String,
    pub(crate) attempt: u32,
    /// As `JobEnd` shows it: `exit 3`, `killed by SIGKILL`, `lost (…)`.
    pub(crate) end: String,
    /// Its last lines of output, terminal escapes stripped.
    pub(crate) log_tail: String,
    /// From its agent record, when its agent reported through hooks.
    pub(crate) agent_state: Option<String>,
    pub(crate) error: Option<String>,
}

/// Everything a template may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PromptContext {
    pub(crate) task: PromptTask,
    pub(crate) job: String,
    pub(crate) attempt: u32,
    /// The folder the job runs in, absolute.
    pub(crate) worktree: String,
    /// `None` on a task's first attempt.
    pub(crate) previous: Option<PreviousAttempt>,
}

/// A template that does not parse or does not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to render prompt template {}{}: {message}", name.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub(crate) struct PromptError {
    pub(crate) name: PathBuf,
    pub(crate) line: Option<usize>,
    pub(crate) message: String,
}

/// The variables a template may name, dotted as `undeclared_variables(true)` gives them.
const KNOWN: [&str; 23] = [
    "task",
    "task.id",
    "task.title",
    "task.status",
    "task.priority",
    "task.milestone",
    "task.owner",
    "task.depends_on",
    "task.path",
    "task.file",
    "task.body",
    "job",
    "attempt",
    "worktree",
    "previous",
    "previous.job",
    "previous.attempt",
    "previous.end",
    "previous.log_tail",
    "previous.agent_state",
    "previous.error",
    // minijinja's own globals.
    "range",
    "loop",
];

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // A prompt is plain text: nothing is escaped for HTML, whatever the file is called.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // The prompt ends as the template does.
    if let Ok(syntax) = SyntaxConfig::builder().keep_trailing_newline(true).build() {
        env.set_syntax(syntax);
    }
    env
}

/// Renders `template` (named `name` in errors) with `ctx`.
pub(crate) fn render(
    template: &str,
    name: &Path,
    ctx: &PromptContext,
) -> Result<String, PromptError> {
    let env = environment();
    let label = name.to_string_lossy();
    let fail = |e: &minijinja::Error, unknown: &[String]| {
        let mut message = e
            .detail()
            .map_or_else(|| e.kind().to_string(), str::to_owned);
        if e.kind() == ErrorKind::UndefinedError && !unknown.is_empty() {
            message = format!(
                "{message}: unknown variable{} {}",
                if unknown.len() == 1 { "" } else { "s" },
                unknown
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        PromptError {
            name: name.to_path_buf(),
            line: e.line(),
            message,
        }
    };
    let tmpl = env
        .template_from_named_str(&label, template)
        .map_err(|e| fail(&e, &[]))?;
    tmpl.render(Value::from(Serde(ctx))).map_err(|e| {
        let known: BTreeSet<&str> = KNOWN.into_iter().collect();
        let mut unknown: Vec<String> = tmpl
            .undeclared_variables(true)
            .into_iter()
            .filter(|v| !known.contains(v.as_str()))
            .collect();
        unknown.sort();
        fail(&e, &unknown)
    })
}

/// Renders `template` against a sample first attempt and a sample retry, as `warden check`
/// does before any dispatch: a syntax error, an unknown variable or a `previous.*` used
/// without `{% if previous %}` shows here, not in a launch.
pub(crate) fn check(template: &str, name: &Path) -> Result<(), PromptError> {
    let mut ctx = sample();
    render(template, name, &ctx)?;
    ctx.attempt = 2;
    ctx.previous = Some(PreviousAttempt {
        job: "j000001".to_owned(),
        attempt: 1,
        end: "exit 1".to_owned(),
        log_tail: "the last lines of output".to_owned(),
        agent_state: Some("error".to_owned()),
        error: Some("an error".to_owned()),
    });
    render(template, name, &ctx).map(drop)
}

fn sample() -> PromptContext {
    PromptContext {
        task: PromptTask {
            id: "T-1".to_owned(),
            title: "A task".to_owned(),
            status: Status::Ready,
            priority: Priority::default(),
            milestone: Some("m1".to_owned()),
            owner: Some("someone".to_owned()),
            depends_on: vec!["T-0".to_owned()],
            path: "tasks/T-1.md".to_owned(),
            file: "/repo/tasks/T-1.md".to_owned(),
            body: "What to do.\n".to_owned(),
        },
        job: "j000002".to_owned(),
        attempt: 1,
        worktree: "/repo".to_owned(),
        previous: None,
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub(crate) fn bounded(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One attempt's part of a task's dispatch log (escapes already stripped): the lines after
/// `=== warden: <job> attempt …` up to the next such header. Empty when the log (or the
/// part of it that was read) does not hold that header.
pub(crate) fn attempt_output<'a>(log: &'a str, job: &str) -> &'a str {
    let header = format!("=== warden: {job} attempt ");
    let mut start = None;
    let mut offset = 0;
    for line in log.split_inclusive('\n') {
        let next = offset + line.len();
        match start {
            None if line.starts_with(&header) => start = Some(next),
            Some(s) if line.starts_with("=== warden: ") => return &log[s..offset],
            _ => {}
        }
        offset = next;
    }
    start.map_or("", |s| &log[s..])
}

/// The last `TAIL_LINES` lines of `text`, at most `TAIL_BYTES`, trailing blank lines dropped.
pub(crate) fn tail(text: &str) -> &str {
    let text = text.trim_end();
    let from_lines = text
        .char_indices()
        .filter(|&(_, c)| c == '\n')
        .map(|(i, _)| i + 1)
        .rev()
        .nth(TAIL_LINES - 1)
        .unwrap_or(0);
    let mut from = from_lines.max(text.len().saturating_sub(TAIL_BYTES));
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..]
}

#[cfg(test)]
#[path = "prompt_tests.rs"]
mod tests;
