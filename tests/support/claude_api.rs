//! A stand-in for the Anthropic messages API on 127.0.0.1, for running the real Claude Code
//! CLI in a test: `POST /v1/messages` answers with a short text reply (streamed as SSE when
//! the request asks for `"stream": true`), `POST /v1/messages/count_tokens` with a count,
//! `HEAD /` (the CLI's connectivity check) with 200, anything else with a 404 error. Every
//! request is recorded, so a test can assert the CLI really called it. Knobs: the reply text,
//! a delay before each messages reply (a slow API), and a 429 `rate_limit_error`.
//!
//! The server lives on threads that stop when the `StubApi` is dropped (a shutdown flag,
//! polled by a nonblocking accept loop and by connections with a read timeout) and after
//! `MAX_LIFETIME` at the latest, even if it is never dropped.

use std::io::ErrorKind::{Interrupted, TimedOut, WouldBlock};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;

/// The server stops by itself after this long, dropped or not.
const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// How often the accept loop and idle connections look at the shutdown flag.
const POLL: Duration = Duration::from_millis(20);
/// A request's headers larger than this close the connection.
const MAX_HEAD: usize = 64 * 1024;

/// The reply text unless `set_text` changes it.
pub(crate) const DEFAULT_TEXT: &str = "Stub model here.";
/// The usage every messages reply reports (distinct numbers, so a test can tell them apart).
pub(crate) const INPUT_TOKENS: u64 = 21;
pub(crate) const OUTPUT_TOKENS: u64 = 5;
pub(crate) const CACHE_CREATION_INPUT_TOKENS: u64 = 7;
pub(crate) const CACHE_READ_INPUT_TOKENS: u64 = 3;
/// What `count_tokens` answers.
pub(crate) const COUNTED_TOKENS: u64 = 42;

/// One request the stub received.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// With its query string (`/v1/messages?beta=true`).
    pub(crate) path: String,
    pub(crate) body_len: usize,
    /// The body's `model` field, if it was JSON with one.
    pub(crate) model: Option<String>,
    /// The body's `stream` field was `true`.
    pub(crate) stream: bool,
}

impl Request {
    /// A `POST /v1/messages` (any query string), not `count_tokens`.
    pub(crate) fn is_messages(&self) -> bool {
        self.method == "POST" && route(&self.path) == "/v1/messages"
    }
}

#[derive(Clone)]
struct Behaviour {
    text: String,
    delay: Duration,
    rate_limited: bool,
}

struct Shared {
    started: Instant,
    stop: AtomicBool,
    requests: Mutex<Vec<Request>>,
    behaviour: Mutex<Behaviour>,
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.started.elapsed() > MAX_LIFETIME
    }

    fn behaviour(&self) -> Behaviour {
        lock(&self.behaviour).clone()
    }
}

/// A lock that a panicked holder did not poison for the others (test support: the data is
/// a log and settings, always consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) struct StubApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl StubApi {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stub API on 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("nonblocking stub listener");
        let addr = listener.local_addr().expect("stub API address");
        let shared = Arc::new(Shared {
            started: Instant::now(),
            stop: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            behaviour: Mutex::new(Behaviour {
                text: DEFAULT_TEXT.to_owned(),
                delay: Duration::ZERO,
                rate_limited: false,
            }),
        });
        let serving = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("stub-api".to_owned())
            .spawn(move || accept_loop(&listener, &serving))
            .expect("stub API thread");
        Self {
            addr,
            shared,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`, for `ANTHROPIC_BASE_URL`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The text of every later messages reply.
    pub(crate) fn set_text(&self, text: &str) {
        text.clone_into(&mut lock(&self.shared.behaviour).text);
    }

    /// Wait this long before answering each later messages request (a slow API).
    pub(crate) fn set_delay(&self, delay: Duration) {
        lock(&self.shared.behaviour).delay = delay;
    }

    /// Answer later messages requests with 429 `rate_limit_error` (and `x-should-retry:
    /// false`, so the client gives up at once instead of retrying) while `on`.
    pub(crate) fn set_rate_limited(&self, on: bool) {
        lock(&self.shared.behaviour).rate_limited = on;
    }

    /// Every request so far, oldest first.
    pub(crate) fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// How many `POST /v1/messages` requests came in so far.
    pub(crate) fn messages_calls(&self) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.is_messages())
            .count()
    }
}

impl Drop for StubApi {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(shared);
                let spawned = std::thread::Builder::new()
                    .name("stub-api-conn".to_owned())
                    .spawn(move || serve(stream, &shared));
                if let Ok(handle) = spawned {
                    connections.push(handle);
                }
            }
            // WouldBlock (nothing to accept) or a transient error.
            Err(_) => std::thread::sleep(POLL),
        }
        connections.retain(|c| !c.is_finished());
    }
    for c in connections {
        let _ = c.join();
    }
}

/// One keep-alive connection: requests until the peer closes, an error, or shutdown.
fn serve(stream: TcpStream, shared: &Shared) {
    // Accepted sockets may inherit the listener's nonblocking mode.
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    while !shared.stopping() {
        let Some((head, body)) = conn.read_request(shared) else {
            return;
        };
        if answer(&mut conn.stream, &head, &body, shared).is_err() {
            return;
        }
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// The next request's head (request line and headers, as text) and body, or `None`
    /// when the connection ends or the server stops.
    fn read_request(&mut self, shared: &Shared) -> Option<(String, Vec<u8>)> {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_HEAD || !self.fill(shared) {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 4);
        let len = header(&head, "content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        while self.buf.len() < len {
            if !self.fill(shared) {
                return None;
            }
        }
        let body = self.buf.drain(..len).collect();
        Some((head, body))
    }

    /// Reads more bytes; false at EOF, on an error, or when the server stops.
    fn fill(&mut self, shared: &Shared) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if shared.stopping() {
                return false;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return true;
                }
                Err(e) if matches!(e.kind(), WouldBlock | TimedOut | Interrupted) => {}
                Err(_) => return false,
            }
        }
    }
}

/// A header's value (names compared case-insensitively).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

/// The path without its query string.
fn route(path: &str) -> &str {
    path.split_once('?').map_or(path, |(p, _)| p)
}

fn answer(out: &mut TcpStream, head: &str, body: &[u8], shared: &Shared) -> std::io::Result<()> {
    let mut words = head.lines().next().unwrap_or_default().split_whitespace();
    let method = words.next().unwrap_or_default().to_owned();
    let path = words.next().unwrap_or_default().to_owned();
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let request = Request {
        method: method.clone(),
        path: path.clone(),
        body_len: body.len(),
        model: json["model"].as_str().map(str::to_owned),
        stream: json["stream"].as_bool() == Some(true),
    };
    lock(&shared.requests).push(request.clone());

    match (method.as_str(), route(&path)) {
        ("POST", "/v1/messages") => {
            let how = shared.behaviour();
            let until = Instant::now() + how.delay;
            while Instant::now() < until {
                if shared.stopping() {
                    return Ok(());
                }
                std::thread::sleep(POLL);
            }
            let model = request.model.as_deref().unwrap_or("claude-stub");
            if how.rate_limited {
                let limit =
                    "Number of request tokens has exceeded your per-minute rate limit (stub)";
                let error = json!({"type": "error",
                    "error": {"type": "rate_limit_error", "message": limit}});
                let extra = ["retry-after: 60", "x-should-retry: false"];
                respond_json(out, "429 Too Many Requests", &extra, &error)
            } else if request.stream {
                let sse = sse_reply(model, &how.text);
                respond(out, "200 OK", "text/event-stream", &[], sse.as_bytes())
            } else {
                respond_json(out, "200 OK", &[], &message_json(model, &how.text))
            }
        }
        ("POST", "/v1/messages/count_tokens") => {
            let count = json!({"input_tokens": COUNTED_TOKENS});
            respond_json(out, "200 OK", &[], &count)
        }
        ("HEAD", _) => respond(out, "200 OK", "text/plain", &[], b""),
        _ => {
            let error = json!({"type": "error", "error": {
                "type": "not_found_error", "message": format!("stub API: no {method} {path}")}});
            respond_json(out, "404 Not Found", &[], &error)
        }
    }
}

fn respond_json(
    out: &mut TcpStream,
    status: &str,
    extra: &[&str],
    body: &serde_json::Value,
) -> std::io::Result<()> {
    let body = body.to_string();
    respond(out, status, "application/json", extra, body.as_bytes())
}

fn respond(
    out: &mut TcpStream,
    status: &str,
    content_type: &str,
    extra: &[&str],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         connection: keep-alive\r\nrequest-id: req_stub\r\n",
        body.len()
    );
    for h in extra {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

fn usage() -> serde_json::Value {
    json!({"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS,
        "cache_creation_input_tokens": CACHE_CREATION_INPUT_TOKENS,
        "cache_read_input_tokens": CACHE_READ_INPUT_TOKENS})
}

/// The non-streamed reply.
fn message_json(model: &str, text: &str) -> serde_json::Value {
    json!({
        "id": "msg_stub", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn", "stop_sequence": null, "usage": usage(),
    })
}

/// The streamed reply: the event sequence of a one-text-block answer.
fn sse_reply(model: &str, text: &str) -> String {
    let mut start = message_json(model, "");
    start["content"] = json!([]);
    start["stop_reason"] = serde_json::Value::Null;
    let block = json!({"type": "text", "text": ""});
    let delta = json!({"type": "text_delta", "text": text});
    let end = json!({"stop_reason": "end_turn", "stop_sequence": null});
    let events = [
        json!({"type": "message_start", "message": start}),
        json!({"type": "content_block_start", "index": 0, "content_block": block}),
        json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": end,
            "usage": {"output_tokens": OUTPUT_TOKENS}}),
        json!({"type": "message_stop"}),
    ];
    let mut sse = String::new();
    for data in events {
        let name = data["type"].as_str().unwrap_or_default().to_owned();
        sse.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    }
    sse
}
