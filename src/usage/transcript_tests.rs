//! `read_increment` against real files: repeats, incomplete lines, caps, replaced and
//! truncated files, a FIFO, links and lines over the limit.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use super::cursor::Cursor;
use super::transcript::{Increment, MAX_LINE, Restart, TranscriptError, read_increment};

/// An assistant line: one content block of response `id`.
fn assistant(id: &str, request: &str, output: u64) -> String {
    format!(
        r#"{{"type":"assistant","message":{{"id":"{id}","model":"claude-opus-4-1","content":[{{"type":"text","text":"x"}}],"usage":{{"input_tokens":1,"output_tokens":{output},"cache_read_input_tokens":100,"cache_creation_input_tokens":10}}}},"requestId":"{request}","timestamp":"2026-01-01T00:00:00Z"}}"#
    ) + "\n"
}

fn user(size: usize) -> String {
    format!(
        r#"{{"type":"user","message":{{"role":"user","content":[{{"type":"tool_result","content":"{}"}}]}}}}"#,
        "y".repeat(size)
    ) + "\n"
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open");
    f.write_all(text.as_bytes()).expect("append");
}

fn read(path: &Path, cursor: &Cursor) -> Increment {
    read_increment(path, cursor, u64::MAX).expect("read")
}

fn outputs(inc: &Increment) -> Vec<u64> {
    inc.spends.iter().map(|s| s.tokens.output).collect()
}

#[test]
fn a_response_repeated_per_content_block_counts_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.jsonl");
    let text = [
        assistant("m1", "r1", 5),
        assistant("m1", "r1", 5),
        user(10),
        assistant("m1", "r1", 5),
        assistant("m2", "r2", 7),
        "not json\n".to_owned(),
        assistant("m1", "r9", 3),
    ]
    .concat();
    append(&path, &text);
    let inc = read(&path, &Cursor::default());
    assert_eq!(outputs(&inc), [5, 7, 3]);
    assert_eq!(inc.cursor.offset, text.len() as u64);
    assert_eq!((inc.restart, inc.more), (None, false));
    // The keys outlive the pass: a repeat in the next increment is still one response.
    append(
        &path,
        &(assistant("m2", "r2", 7) + &assistant("m3", "r3", 11)),
    );
    let next = read(&path, &inc.cursor);
    assert_eq!(outputs(&next), [11]);
    // Read again from its cursor, nothing new: nothing counted.
    assert!(read(&path, &next.cursor).spends.is_empty());
}

#[test]
fn an_incomplete_last_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.jsonl");
    let line = assistant("m1", "r1", 5);
    let first = assistant("m0", "r0", 2);
    append(&path, &(first.clone() + &line[..40]));
    let inc = read(&path, &Cursor::default());
    assert_eq!(outputs(&inc), [2]);
    assert_eq!(inc.cursor.offset, first.len() as u64);
    assert!(!inc.more);
    append(&path, &line[40..]);
    let next = read(&path, &inc.cursor);
    assert_eq!(outputs(&next), [5]);
    assert_eq!(next.restart, None);
}

#[test]
fn a_capped_pass_stops_at_a_line_end_and_the_next_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.jsonl");
    let mut text = String::new();
    for i in 0..500 {
        text += &assistant(&format!("m{i}"), &format!("r{i}"), 1);
        text += &user(300);
    }
    append(&path, &text);
    let mut cursor = Cursor::default();
    let (mut passes, mut count) = (0, 0);
    loop {
        let inc = read_increment(&path, &cursor, 20_000).expect("read");
        passes += 1;
        count += inc.spends.len();
        assert!(inc.cursor.offset == text.len() as u64 || inc.more);
        // Every pass ends just after a newline.
        assert_eq!(text.as_bytes()[inc.cursor.offset as usize - 1], b'\n');
        cursor = inc.cursor;
        if !inc.more {
            break;
        }
    }
    assert_eq!(count, 500);
    assert!(passes > 5, "{passes} passes");
}

#[test]
fn a_truncated_replaced_or_rewritten_file_starts_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.jsonl");
    append(&path, &(assistant("a1", "r", 1) + &assistant("a2", "r", 2)));
    let first = read(&path, &Cursor::default());
    // Shorter than the offset.
    std::fs::write(&path, assistant("b1", "r", 3)).expect("truncate");
    let truncated = read(&path, &first.cursor);
    assert_eq!(truncated.restart, Some(Restart::Truncated));
    assert_eq!(outputs(&truncated), [3]);
    // Another file renamed over it: another inode.
    let other = dir.path().join("new.jsonl");
    std::fs::write(&other, assistant("c1", "r", 4)).expect("write");
    std::fs::rename(&other, &path).expect("rename");
    let replaced = read(&path, &truncated.cursor);
    assert_eq!(replaced.restart, Some(Restart::Replaced));
    assert_eq!(outputs(&replaced), [4]);
    // Rewritten in place, as long as before and longer than the offset.
    // (A response of its own: another message and request id.)
    let same_len = assistant("c2", "q", 5);
    std::fs::write(&path, same_len.clone() + &assistant("c3", "r", 6)).expect("rewrite");
    let rewritten = read(&path, &replaced.cursor);
    assert_eq!(rewritten.restart, Some(Restart::Rewritten));
    assert_eq!(outputs(&rewritten), [5, 6]);
    // A copy of responses already counted is not counted again.
    let copy = dir.path().join("copy.jsonl");
    std::fs::copy(&path, &copy).expect("copy");
    std::fs::rename(&copy, &path).expect("rename");
    let copied = read(&path, &rewritten.cursor);
    assert_eq!(copied.restart, Some(Restart::Replaced));
    assert!(copied.spends.is_empty());
}

#[test]
fn a_fifo_a_device_and_a_link_are_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo.jsonl");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(read_increment(&path, &Cursor::default(), 1024));
    });
    let got = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("a FIFO without a writer must not block");
    assert!(
        matches!(got, Err(TranscriptError::NotRegular { .. })),
        "{got:?}"
    );
    assert!(matches!(
        read_increment(Path::new("/dev/null"), &Cursor::default(), 1024),
        Err(TranscriptError::NotRegular { .. })
    ));
    let real = dir.path().join("real.jsonl");
    append(&real, &assistant("m", "r", 1));
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&real, &link).expect("link");
    let err = read_increment(&link, &Cursor::default(), 1024).expect_err("a link");
    assert!(matches!(err, TranscriptError::Link { .. }));
    assert!(
        err.to_string().starts_with("failed to open transcript "),
        "{err}"
    );
    assert!(matches!(
        read_increment(&dir.path().join("missing"), &Cursor::default(), 1024),
        Err(TranscriptError::Open { .. })
    ));
    // A kernel file claims size 0: nothing is read from it.
    let proc =
        read_increment(Path::new("/proc/self/status"), &Cursor::default(), 1024).expect("proc");
    assert_eq!((proc.cursor.offset, proc.spends.len()), (0, 0));
}

#[test]
fn a_line_over_the_limit_is_skipped_across_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.jsonl");
    let huge = user(MAX_LINE + 10);
    let text = assistant("m1", "r", 1) + &huge + &assistant("m2", "r", 2);
    append(&path, &text);
    // In one pass.
    let whole = read(&path, &Cursor::default());
    assert_eq!(outputs(&whole), [1, 2]);
    assert_eq!(whole.long_lines, 1);
    assert_eq!(whole.cursor.offset, text.len() as u64);
    // With a cap far below the line: each pass ends, none is stuck, and the memory of a
    // pass never holds more than the limit.
    let mut cursor = Cursor::default();
    let mut seen = Vec::new();
    let mut long = 0;
    for _ in 0..100 {
        let inc = read_increment(&path, &cursor, 256 * 1024).expect("read");
        seen.extend(outputs(&inc));
        long += inc.long_lines;
        assert!(inc.cursor.offset > cursor.offset || !inc.more);
        cursor = inc.cursor;
        if !inc.more {
            break;
        }
    }
    assert_eq!((seen, long), (vec![1, 2], 1));
    assert_eq!(cursor.offset, text.len() as u64);
    assert!(!cursor.skipping);
    // A line just under the limit is read whole.
    let big = dir.path().join("big.jsonl");
    let pad = MAX_LINE - assistant("m", "r", 9).len() - 20;
    let line = assistant("m", "r", 9).replacen(
        r#""text":"x""#,
        &format!(r#""text":"{}""#, "x".repeat(pad)),
        1,
    );
    assert!(line.len() <= MAX_LINE);
    append(&big, &line);
    assert_eq!(outputs(&read(&big, &Cursor::default())), [9]);
}
