//! Usage from the end of a job's output, for agents whose usage is not in a transcript:
//! the result object `claude -p --output-format json` (or `stream-json`) prints last, and
//! the `turn.completed` events of `codex exec --json`. The output is the dispatch log,
//! terminal escapes and all, so it is stripped first; a line that is not such an object is
//! skipped, never an error. Pass only the bytes of this job's attempt: a log shared by
//! several attempts would count an earlier one's result again.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::line::Usage;
use super::tokens::{Spend, Tokens};
use crate::logs::strip_escapes;

/// What the result object of `claude -p` says about the run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClaudeResult {
    /// One spend per model of `modelUsage` with its `costUSD`; without `modelUsage`, one
    /// spend of `usage` with `total_cost_usd` and no model.
    pub(crate) spends: Vec<Spend>,
    pub(crate) session_id: Option<String>,
    pub(crate) num_turns: Option<u64>,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) is_error: bool,
}

#[derive(Deserialize)]
struct ResultObject {
    #[serde(rename = "type")]
    kind: String,
    total_cost_usd: Option<f64>,
    usage: Option<Usage>,
    #[serde(rename = "modelUsage")]
    model_usage: Option<BTreeMap<String, ModelUsage>>,
    session_id: Option<String>,
    num_turns: Option<u64>,
    duration_ms: Option<u64>,
    #[serde(default)]
    is_error: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
}

#[derive(Deserialize)]
struct CodexEvent {
    #[serde(rename = "type")]
    kind: String,
    usage: Option<CodexUsage>,
}

#[derive(Deserialize)]
struct CodexUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cached_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

/// A USD figure an agent reported, if it is one.
fn usd(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite() && *v >= 0.0)
}

/// The JSON objects of the text, one per line, from its last line up. A line may carry
/// other text before its object (a prompt, a tmux artefact), never after it.
fn objects(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b'\n').rev().filter_map(|line| {
        let start = line.iter().position(|&b| b == b'{')?;
        Some(line[start..].trim_ascii_end()).filter(|l| l.ends_with(b"}"))
    })
}

/// The last `"type":"result"` object in `tail`, if any.
pub(crate) fn claude_result(tail: &[u8]) -> Option<ClaudeResult> {
    let text = strip_escapes(tail);
    let object = objects(&text)
        .filter_map(|line| serde_json::from_slice::<ResultObject>(line).ok())
        .find(|o| o.kind == "result")?;
    let spends = match object.model_usage.filter(|m| !m.is_empty()) {
        Some(models) => models
            .into_iter()
            .map(|(model, u)| Spend {
                at: None,
                model: Some(model),
                tokens: Tokens {
                    input: u.input_tokens,
                    output: u.output_tokens,
                    cache_read: u.cache_read_input_tokens,
                    cache_creation: u.cache_creation_input_tokens,
                },
                usd: usd(u.cost_usd),
            })
            .collect(),
        None => object
            .usage
            .map(|u| Spend {
                at: None,
                model: None,
                tokens: u.tokens(),
                usd: usd(object.total_cost_usd),
            })
            .into_iter()
            .collect(),
    };
    Some(ClaudeResult {
        spends,
        session_id: object.session_id,
        num_turns: object.num_turns,
        duration_ms: object.duration_ms,
        is_error: object.is_error,
    })
}

/// The sum of every `turn.completed` event's usage in `tail`; `None` when there is none.
/// Codex counts cached tokens inside `input_tokens` (OpenAI's convention), so they are
/// taken out of `input` and counted as `cache_read`; it reports no model and no USD.
pub(crate) fn codex_usage(tail: &[u8]) -> Option<Spend> {
    let text = strip_escapes(tail);
    let mut total: Option<Tokens> = None;
    for line in objects(&text) {
        let Ok(event) = serde_json::from_slice::<CodexEvent>(line) else {
            continue;
        };
        if let (true, Some(u)) = (event.kind == "turn.completed", event.usage) {
            let cached = u.cached_input_tokens.min(u.input_tokens);
            *total.get_or_insert_default() += Tokens {
                input: u.input_tokens - cached,
                output: u.output_tokens,
                cache_read: cached,
                cache_creation: 0,
            };
        }
    }
    total.map(|tokens| Spend {
        at: None,
        model: None,
        tokens,
        usd: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESULT: &str = r#"{"type":"result","subtype":"success","is_error":false,"duration_ms":2846,"duration_api_ms":4452,"num_turns":3,"result":"Done.\nAll {tests} pass.","session_id":"s-1","total_cost_usd":0.0323,"usage":{"input_tokens":4,"cache_creation_input_tokens":5215,"cache_read_input_tokens":13744,"output_tokens":5,"server_tool_use":{"web_search_requests":0},"service_tier":"standard"},"permission_denials":[],"uuid":"u"}"#;

    #[test]
    fn the_last_result_object_in_an_escaped_log() {
        let log = format!(
            "\x1b[1mwarden: job t-1 started\x1b[0m\r\n{{\"type\":\"system\"}}\r\n\x1b]0;claude\x07{RESULT}\r\n\x1b[?25h"
        );
        let r = claude_result(log.as_bytes()).expect("result");
        assert_eq!(r.session_id.as_deref(), Some("s-1"));
        assert_eq!(
            (r.num_turns, r.duration_ms, r.is_error),
            (Some(3), Some(2846), false)
        );
        assert_eq!(r.spends.len(), 1);
        let s = &r.spends[0];
        assert_eq!(
            (s.model.as_deref(), s.usd, s.at),
            (None, Some(0.0323), None)
        );
        assert_eq!(
            s.tokens,
            Tokens {
                input: 4,
                output: 5,
                cache_read: 13744,
                cache_creation: 5215
            }
        );
        assert_eq!(
            claude_result(b"no json here\n{\"type\":\"assistant\"}\n"),
            None
        );
        assert_eq!(claude_result(b""), None);
    }

    #[test]
    fn model_usage_gives_one_spend_per_model_with_its_cost() {
        let line = r#"{"type":"result","is_error":true,"total_cost_usd":0.5,"usage":{"input_tokens":1},"modelUsage":{"claude-opus-4-1":{"inputTokens":10,"outputTokens":20,"cacheReadInputTokens":30,"cacheCreationInputTokens":40,"webSearchRequests":0,"costUSD":0.4,"contextWindow":200000},"claude-haiku-4-5":{"inputTokens":1,"outputTokens":2,"costUSD":-1}}}"#;
        let r = claude_result(line.as_bytes()).expect("result");
        assert!(r.is_error);
        let got: Vec<_> = r
            .spends
            .iter()
            .map(|s| (s.model.clone().unwrap_or_default(), s.tokens.total(), s.usd))
            .collect();
        // A negative cost is no cost at all.
        assert_eq!(
            got,
            [
                ("claude-haiku-4-5".into(), 3, None),
                ("claude-opus-4-1".into(), 100, Some(0.4))
            ]
        );
    }

    #[test]
    fn codex_turns_are_summed_with_cached_input_apart() {
        let log = concat!(
            "{\"type\":\"thread.started\",\"thread_id\":\"t\"}\n",
            "{\"type\":\"turn.started\"}\n",
            "{\"type\":\"item.completed\",\"item\":{\"id\":\"i\",\"type\":\"agent_message\",\"text\":\"ok\"}}\n",
            "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":24763,\"cached_input_tokens\":24448,\"output_tokens\":122}}\r\n",
            "garbage {\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":100,\"cached_input_tokens\":500,\"output_tokens\":1}}\n",
            "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}} trailing\n",
            "{\"type\":\"turn.failed\",\"usage\":{\"input_tokens\":1000}}\n",
        );
        let spend = codex_usage(log.as_bytes()).expect("usage");
        assert_eq!(
            spend.tokens,
            Tokens {
                input: 315,
                output: 123,
                cache_read: 24548,
                cache_creation: 0
            }
        );
        assert_eq!((spend.model, spend.usd), (None, None));
        assert_eq!(codex_usage(b"{\"type\":\"turn.started\"}\n"), None);
    }
}
