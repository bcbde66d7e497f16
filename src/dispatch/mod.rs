//! Dispatch: the argv template and safe names, the prompt, the retry policy.

mod policy;
mod prompt;
mod template;

pub(crate) use policy::{Hold, Policy, holds, next_attempt};
pub(crate) use prompt::{
    DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_NAME, MAX_BODY_BYTES, PROMPT, PROMPT_FILE, PreviousAttempt,
    PromptContext, PromptError, PromptTask, attempt_output, bounded, check as check_prompt,
    prompt_path, render as render_prompt, tail,
};
#[cfg(test)]
pub(crate) use template::is_safe_name;
pub(crate) use template::{Placeholders, safe_name, worker_window};
