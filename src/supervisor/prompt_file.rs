//! A job's prompt, read and written: the template and the task file (bounded, regular
//! files only, no link), the previous attempt's end, the tail of its output and its agent
//! record, rendered (`dispatch::render_prompt`) and written to `<jobs>/<job>.prompt.md`
//! before the job's pane exists. The text reaches the agent through that file or one argv
//! element, never a shell or a terminal.

use std::path::{Path, PathBuf};

use crate::agent::read_agent_record;
use crate::config::Config;
use crate::dispatch::{
    DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_NAME, MAX_BODY_BYTES, PreviousAttempt, PromptContext,
    PromptError, PromptTask, attempt_output, bounded, prompt_path, render_prompt, tail,
};
use crate::register::{JobEnd, JobRecord};
use crate::state::write_replace;
use crate::task::{Task, read_task_file, task_body};

/// Only the end of a task's dispatch log is read for the previous attempt's output.
const LOG_WINDOW: u64 = 1024 * 1024;

/// A prompt template's text and the name its errors give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) text: String,
    pub(crate) name: PathBuf,
}

/// A file's text, when it is a regular file (not a link) of at most 1 MiB.
fn read_no_link(path: &Path) -> Result<String, String> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err("it is a symbolic link, and warden does not read through links".to_owned());
    }
    let bytes = read_task_file(path).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `dispatch.prompt_template` read from the repository, or the built-in template.
pub(crate) fn read_template(root: &Path, config: &Config) -> Result<Template, PromptError> {
    let Some(rel) = &config.dispatch.prompt_template else {
        return Ok(Template {
            text: DEFAULT_TEMPLATE.to_owned(),
            name: PathBuf::from(DEFAULT_TEMPLATE_NAME),
        });
    };
    let path = root.join(rel);
    read_no_link(&path)
        .map(|text| Template {
            text,
            name: path.clone(),
        })
        .map_err(|e| PromptError {
            name: path,
            line: None,
            message: format!("cannot read it: {e}"),
        })
}

/// The task's latest attempt before `record` that ended (a launch that never started is
/// not an attempt).
pub(crate) fn previous_of<'j>(jobs: &'j [JobRecord], record: &JobRecord) -> Option<&'j JobRecord> {
    jobs.iter()
        .filter(|j| {
            j.task == record.task
                && j.job != record.job
                && j.attempt < record.attempt
                && j.end.as_ref().is_some_and(JobEnd::started)
        })
        .max_by_key(|j| j.attempt)
}

/// The last `LOG_WINDOW` bytes of a log, escapes stripped; empty when it cannot be read.
pub(crate) fn log_end(path: &Path) -> String {
    let (bytes, _) = crate::log_end::read_end(path, LOG_WINDOW).unwrap_or_default();
    String::from_utf8_lossy(&crate::logs::strip_escapes(&bytes)).into_owned()
}

fn previous_attempt(root: &Path, jobs_dir: &Path, prev: &JobRecord) -> PreviousAttempt {
    let log = log_end(&root.join(&prev.log_path));
    let agent = read_agent_record(jobs_dir, &prev.job);
    PreviousAttempt {
        job: prev.job.clone(),
        attempt: prev.attempt,
        end: prev
            .end
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        log_tail: tail(attempt_output(&log, &prev.job)).to_owned(),
        agent_state: agent.as_ref().map(|a| a.state.as_str().to_owned()),
        error: agent.and_then(|a| a.error),
    }
}

/// What one job's prompt is rendered from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PromptJob<'a> {
    pub(crate) root: &'a Path,
    pub(crate) jobs_dir: &'a Path,
    pub(crate) record: &'a JobRecord,
    pub(crate) task: &'a Task,
    pub(crate) cwd: &'a Path,
    pub(crate) previous: Option<&'a JobRecord>,
}

impl PromptJob<'_> {
    /// Reads the task file and the previous attempt. An error names the task file.
    pub(crate) fn context(&self) -> Result<PromptContext, String> {
        let file = self.root.join(&self.task.path);
        let text = read_no_link(&file)
            .map_err(|e| format!("failed to read task file {}: {e}", file.display()))?;
        let f = &self.task.fields;
        Ok(PromptContext {
            task: PromptTask {
                id: f.id.clone(),
                title: f.title.clone(),
                status: f.status,
                priority: f.priority,
                milestone: f.milestone.clone(),
                owner: f.owner.clone(),
                depends_on: f.depends_on.clone(),
                path: self.task.path.to_string_lossy().into_owned(),
                file: file.to_string_lossy().into_owned(),
                body: bounded(&task_body(&text), MAX_BODY_BYTES).to_owned(),
            },
            job: self.record.job.clone(),
            attempt: self.record.attempt,
            worktree: self.cwd.to_string_lossy().into_owned(),
            previous: self
                .previous
                .map(|p| previous_attempt(self.root, self.jobs_dir, p)),
        })
    }

    /// Renders the prompt and writes it to `<jobs>/<job>.prompt.md` (replaced, never
    /// through a link). Returns the text, for `{prompt}`.
    pub(crate) fn write(&self, template: &Template) -> Result<String, String> {
        let ctx = self.context()?;
        let text =
            render_prompt(&template.text, &template.name, &ctx).map_err(|e| e.to_string())?;
        let path = prompt_path(self.jobs_dir, &self.record.job);
        write_replace(&path, text.as_bytes()).map_err(|e| e.to_string())?;
        Ok(text)
    }
}
