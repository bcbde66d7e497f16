//! One line of a Claude Code transcript: the usage of an assistant line, or nothing.
//! Claude Code writes one line per content block of a response (text, thinking, each tool
//! call), each repeating the response's `message.id`, `requestId` and usage; the key lets
//! the reader count a response once.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::cursor::fingerprint;
use super::tokens::{Spend, Tokens};

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    message: Option<Message<'a>>,
    #[serde(rename = "requestId", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    model: Option<String>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
pub(super) struct Usage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
}

impl Usage {
    /// The messages API's usage object as warden's tokens.
    pub(super) fn tokens(&self) -> Tokens {
        Tokens {
            input: self.input_tokens,
            output: self.output_tokens,
            cache_read: self.cache_read_input_tokens,
            cache_creation: self.cache_creation_input_tokens,
        }
    }
}

/// An assistant line's usage and the key of its response (`None` when the line names
/// neither a message id nor a request id, so it cannot be matched with its repeats).
/// Anything else (other line types, lines without usage or with zero tokens, text that is
/// not JSON or has the wrong shape) is `None`: a transcript is the agent's file, and no
/// line of it is an error.
pub(crate) fn assistant_usage(line: &[u8]) -> Option<(Option<u64>, Spend)> {
    let line: Line<'_> = serde_json::from_slice(line).ok()?;
    if line.kind.as_deref() != Some("assistant") {
        return None;
    }
    let message = line.message?;
    let usage = message.usage?;
    let tokens = usage.tokens();
    if tokens.is_zero() {
        return None;
    }
    let key = match (message.id.as_deref(), line.request_id.as_deref()) {
        (None, None) => None,
        (id, request) => Some(fingerprint(&[
            id.unwrap_or_default().as_bytes(),
            request.unwrap_or_default().as_bytes(),
        ])),
    };
    let at = line
        .timestamp
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    Some((
        key,
        Spend {
            at,
            model: message.model,
            tokens,
            usd: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASSISTANT: &str = r#"{"parentUuid":"p","isSidechain":false,"type":"assistant","message":{"id":"msg_01A","type":"message","role":"assistant","model":"claude-opus-4-1","content":[{"type":"text","text":"hi \"there\""}],"usage":{"input_tokens":3,"cache_creation_input_tokens":1200,"cache_read_input_tokens":15000,"output_tokens":42,"service_tier":"standard"}},"requestId":"req_011","uuid":"u","timestamp":"2026-01-01T12:00:30.500Z"}"#;

    #[test]
    fn reads_an_assistant_lines_usage() {
        let (key, spend) = assistant_usage(ASSISTANT.as_bytes()).expect("usage");
        assert_eq!(key, Some(fingerprint(&[b"msg_01A", b"req_011"])));
        assert_eq!(spend.model.as_deref(), Some("claude-opus-4-1"));
        assert_eq!(
            spend.tokens,
            Tokens {
                input: 3,
                output: 42,
                cache_read: 15000,
                cache_creation: 1200
            }
        );
        assert_eq!(
            spend.at.map(|t| t.to_rfc3339()),
            Some("2026-01-01T12:00:30.500+00:00".into())
        );
        assert_eq!(spend.usd, None);
    }

    #[test]
    fn other_lines_are_nothing() {
        for line in [
            r#"{"type":"user","message":{"role":"user","content":"x"},"timestamp":"2026-01-01T00:00:00Z"}"#,
            r#"{"type":"summary","summary":"s","leafUuid":"l"}"#,
            r#"{"type":"assistant","message":{"id":"m","content":[]}}"#,
            r#"{"type":"assistant","message":{"id":"m","usage":{"input_tokens":0,"output_tokens":0}}}"#,
            r#"{"type":"assistant","message":{"id":"m","usage":{"input_tokens":-1}}}"#,
            r#"{"type":"assistant","message":"#,
            "not json at all",
            "",
            "[1,2,3]",
        ] {
            assert!(assistant_usage(line.as_bytes()).is_none(), "{line}");
        }
    }

    #[test]
    fn keys_and_timestamps_are_optional() {
        let line = r#"{"type":"assistant","timestamp":"yesterday","message":{"usage":{"output_tokens":5}}}"#;
        let (key, spend) = assistant_usage(line.as_bytes()).expect("usage");
        assert_eq!((key, spend.at, spend.model), (None, None, None));
        assert_eq!(spend.tokens.output, 5);
        let only_request =
            r#"{"type":"assistant","requestId":"r","message":{"usage":{"output_tokens":5}}}"#;
        let (key, _) = assistant_usage(only_request.as_bytes()).expect("usage");
        assert_eq!(key, Some(fingerprint(&[b"", b"r"])));
    }
}
