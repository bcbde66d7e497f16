//! Worker output as a person reads it: `tmux pipe-pane` records the raw bytes an agent writes
//! to its terminal, colours, cursor moves, titles and progress bars included. This module
//! turns them into plain lines for logs, context packs and the manager.
//!
//! It works on bytes, not `str`: agent output is not guaranteed to be UTF-8, and a log must
//! keep every byte of text it cannot interpret rather than fail or replace it.

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
const BS: u8 = 0x08;
const CAN: u8 = 0x18;
const SUB: u8 = 0x1a;

/// Where the parser is within an escape sequence (the states follow the DEC/ECMA-48 parser
/// that terminals use, trimmed to what stripping needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// After ESC.
    Escape,
    /// After ESC and one or more intermediate bytes, e.g. `ESC (` of a charset designation.
    Intermediate,
    /// After `ESC [`; `params` is the offset of the first parameter byte.
    Csi {
        params: usize,
    },
    /// Inside OSC (`osc`: ends with BEL or ST) or DCS, SOS, PM, APC (end with ST only).
    Str {
        osc: bool,
    },
    /// After ESC inside a string: `\` ends it, anything else starts a new sequence.
    StrEscape,
}

/// Strips terminal escape sequences and resolves carriage returns and backspaces, so that
/// each line holds what the terminal finally showed on it.
///
/// - CSI (`ESC [` … final byte), OSC (`ESC ]` … BEL or `ESC \`), DCS, SOS, PM and APC
///   strings (… `ESC \`), charset designations (`ESC ( B`) and other two-byte sequences
///   are removed; a sequence cut off by the end of the input is dropped.
/// - `\r\n` becomes `\n`. A lone `\r` followed by more text on the same line means the line
///   was redrawn (a progress bar), so only the text after the last one is kept; a `\r` with
///   nothing after it on its line changes nothing.
/// - A backspace followed by text overwrites the character before it.
/// - `ESC [ K` right after a `\r` and `ESC [ 2 K` clear the line, as on screen.
/// - Other C0 control characters except tab are removed. 8-bit C1 controls (0x80–0x9F) are
///   kept as bytes: in UTF-8 output they are continuation bytes, not controls.
pub(crate) fn strip_escapes(bytes: &[u8]) -> Vec<u8> {
    let mut screen = Screen::with_capacity(bytes.len());
    let mut state = State::Ground;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // `None`: the byte was consumed. `Some(next)`: it ended or broke the current
        // sequence and is read again in `next`, so a cut-off sequence cannot swallow it.
        let reread = match state {
            State::Ground => {
                if b == ESC {
                    state = State::Escape;
                } else {
                    screen.ground(b);
                }
                None
            }
            State::Escape => match b {
                b'[' => {
                    state = State::Csi { params: i + 1 };
                    None
                }
                b']' => {
                    state = State::Str { osc: true };
                    None
                }
                b'P' | b'X' | b'^' | b'_' => {
                    state = State::Str { osc: false };
                    None
                }
                0x20..=0x2f => {
                    state = State::Intermediate;
                    None
                }
                0x30..=0x7e => {
                    state = State::Ground;
                    None
                }
                ESC => None,
                _ => Some(State::Ground),
            },
            State::Intermediate => match b {
                0x20..=0x2f => None,
                0x30..=0x7e => {
                    state = State::Ground;
                    None
                }
                ESC => {
                    state = State::Escape;
                    None
                }
                _ => Some(State::Ground),
            },
            State::Csi { params } => match b {
                0x20..=0x3f => None,
                0x40..=0x7e => {
                    if b == b'K' {
                        screen.erase_in_line(&bytes[params..i]);
                    }
                    state = State::Ground;
                    None
                }
                ESC => {
                    state = State::Escape;
                    None
                }
                _ => Some(State::Ground),
            },
            State::Str { osc } => match b {
                ESC => {
                    state = State::StrEscape;
                    None
                }
                BEL if osc => {
                    state = State::Ground;
                    None
                }
                CAN | SUB => {
                    state = State::Ground;
                    None
                }
                // A title or hyperlink never spans lines: a newline means the OSC was cut
                // off, and the rest of the log must not disappear into it.
                b'\n' if osc => Some(State::Ground),
                _ => None,
            },
            State::StrEscape => {
                if b == b'\\' {
                    state = State::Ground;
                    None
                } else {
                    Some(State::Escape)
                }
            }
        };
        match reread {
            Some(next) => state = next,
            None => i += 1,
        }
    }
    screen.out
}

/// The output and where the cursor is on its last line, as far as stripping cares.
#[derive(Debug)]
struct Screen {
    out: Vec<u8>,
    /// Offset in `out` where the current line begins.
    line_start: usize,
    /// A lone `\r` was seen: the next text on this line replaces the line.
    pending_cr: bool,
    /// Backspaces not yet acted on: the next text replaces that many characters.
    pending_bs: usize,
}

impl Screen {
    fn with_capacity(n: usize) -> Self {
        Self {
            out: Vec::with_capacity(n),
            line_start: 0,
            pending_cr: false,
            pending_bs: 0,
        }
    }

    /// A byte outside any escape sequence.
    fn ground(&mut self, b: u8) {
        match b {
            b'\n' => {
                self.out.push(b'\n');
                self.line_start = self.out.len();
                self.pending_cr = false;
                self.pending_bs = 0;
            }
            b'\r' => {
                self.pending_cr = true;
                self.pending_bs = 0;
            }
            // At the start of the line a backspace goes nowhere.
            BS if !self.pending_cr => self.pending_bs += 1,
            b'\t' | 0x20..=0x7e | 0x80..=0xff => self.text(b),
            _ => {}
        }
    }

    fn text(&mut self, b: u8) {
        if self.pending_cr {
            self.out.truncate(self.line_start);
            self.pending_cr = false;
        }
        self.apply_backspaces();
        self.out.push(b);
    }

    fn apply_backspaces(&mut self) {
        for _ in 0..std::mem::take(&mut self.pending_bs) {
            self.pop_char();
        }
    }

    /// Removes the last character of the current line, all of its UTF-8 bytes.
    fn pop_char(&mut self) {
        while self.out.len() > self.line_start {
            match self.out.pop() {
                Some(b) if b & 0xc0 == 0x80 => {}
                _ => break,
            }
        }
    }

    /// `ESC [ Ps K`: 0 (or nothing) erases from the cursor to the end of the line, 2 the
    /// whole line; 1 (to the start) is left alone, as the text after the cursor stays.
    fn erase_in_line(&mut self, params: &[u8]) {
        let params = params.strip_prefix(b"?").unwrap_or(params);
        match params {
            b"" | b"0" if self.pending_cr => self.out.truncate(self.line_start),
            b"" | b"0" => self.apply_backspaces(),
            b"2" => {
                self.out.truncate(self.line_start);
                self.pending_bs = 0;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).escape_debug().to_string()
    }

    #[test]
    fn strips_real_world_output() {
        let cases: &[(&str, &[u8], &[u8])] = &[
            ("plain text", b"hello\nworld\n", b"hello\nworld\n"),
            ("tabs kept", b"a\tb\n", b"a\tb\n"),
            ("empty", b"", b""),
            (
                "SGR colours",
                b"\x1b[1;31merror\x1b[0m: failed\n",
                b"error: failed\n",
            ),
            (
                "256 colours and true colour",
                b"\x1b[38;5;196mred\x1b[m \x1b[48;2;10;20;30mbg\x1b[39;49m\n",
                b"red bg\n",
            ),
            (
                "cursor moves and modes",
                b"\x1b[?25l\x1b[?1049h\x1b[2;10H\x1b[3Ax\x1b[10C\x1b[?2004hy\x1b[?25h\n",
                b"xy\n",
            ),
            (
                "cursor up is stripped, not emulated",
                b"a\n\x1b[1Ab\n",
                b"a\nb\n",
            ),
            ("CSI with intermediate byte", b"\x1b[2 qz", b"z"),
            (
                "title set with BEL",
                b"\x1b]0;claude: task-1\x07Working\n",
                b"Working\n",
            ),
            (
                "title set with ST",
                b"\x1b]2;title\x1b\\Working\n",
                b"Working\n",
            ),
            (
                "OSC 8 hyperlink",
                b"see \x1b]8;id=1;https://example.com/a?b=c\x1b\\the docs\x1b]8;;\x1b\\.\n",
                b"see the docs.\n",
            ),
            (
                "OSC 133 shell integration marks",
                b"\x1b]133;A\x07$ ls\x1b]133;C\x07\n",
                b"$ ls\n",
            ),
            (
                "charset designations",
                b"\x1b(Bplain\x1b)0\x1b(0lqk\x1b(B\x1b#8\n",
                b"plainlqk\n",
            ),
            (
                "two-byte sequences",
                b"\x1b7a\x1b8\x1b=b\x1b>\x1bMc\x1bc\n",
                b"abc\n",
            ),
            ("DCS", b"\x1bP1$r0m\x1b\\ok\n", b"ok\n"),
            (
                "tmux passthrough DCS with a nested OSC",
                b"\x1bPtmux;\x1b\x1b]0;t\x07\x1b\\ok\n",
                b"ok\n",
            ),
            (
                "APC, PM and SOS",
                b"\x1b_Gf=24,s=1;AAAA\x1b\\a\x1b^pm\x1b\\b\x1bXsos\x1b\\c\n",
                b"abc\n",
            ),
            ("ESC ESC", b"\x1b\x1b[31mx\n", b"x\n"),
            (
                "bell and other controls",
                b"ding\x07\x00\x0e\x7f!\n",
                b"ding!\n",
            ),
            ("CRLF", b"a\r\nb\r\n", b"a\nb\n"),
            ("CR CR LF from a pty", b"line\r\r\n", b"line\n"),
            (
                "progress bar redrawn with CR",
                b"Downloading  10%\rDownloading  50%\rDownloading 100%\n",
                b"Downloading 100%\n",
            ),
            (
                "a shorter redraw does not keep the old tail",
                b"Compiling abcdef\rDone\n",
                b"Done\n",
            ),
            ("trailing CR at the end", b"50%\r", b"50%"),
            (
                "CR then an escape then text",
                b"10%\r\x1b[32m20%\x1b[0m\n",
                b"20%\n",
            ),
            (
                "cargo style clear and redraw",
                b"    Building [==>   ] 3/9\r\x1b[K   Compiling x\n",
                b"   Compiling x\n",
            ),
            (
                "CR and erase leave an empty line",
                b"progress\r\x1b[K\nnext\n",
                b"\nnext\n",
            ),
            ("erase whole line", b"junk\x1b[2K\rdone\n", b"done\n"),
            (
                "erase to start leaves the text",
                b"keep\x1b[1K\n",
                b"keep\n",
            ),
            ("CR only affects its own line", b"a\nb\rc\n", b"a\nc\n"),
            (
                "spinner with backspaces",
                b"|\x08/\x08-\x08\\\x08done\n",
                b"done\n",
            ),
            ("man page overstrike", b"_\x08a_\x08b\n", b"ab\n"),
            (
                "backspace over a multibyte char",
                "é\x08e\n".as_bytes(),
                b"e\n",
            ),
            ("backspace then erase", b"abc\x08\x08\x1b[K\n", b"a\n"),
            (
                "backspace never crosses a line",
                b"a\n\x08\x08b\n",
                b"a\nb\n",
            ),
            ("backspace after CR goes nowhere", b"ab\r\x08c\n", b"c\n"),
            ("trailing backspace changes nothing", b"abc\x08\n", b"abc\n"),
            (
                "invalid UTF-8 kept byte for byte",
                b"caf\xe9 \xff\xfe \x1b[1m\xc3\x28\x1b[0m\n",
                b"caf\xe9 \xff\xfe \xc3\x28\n",
            ),
            ("C1 bytes are data", b"\x9b31m\n", b"\x9b31m\n"),
            (
                "UTF-8 text",
                "✓ tâche 完成\n".as_bytes(),
                "✓ tâche 完成\n".as_bytes(),
            ),
            ("cut-off CSI at the end is dropped", b"ok\x1b[31", b"ok"),
            ("cut-off ESC at the end is dropped", b"ok\x1b", b"ok"),
            ("cut-off CSI keeps the newline", b"a\x1b[31\nb\n", b"a\nb\n"),
            (
                "cut-off OSC keeps the next line",
                b"a\x1b]0;title\nb\n",
                b"a\nb\n",
            ),
            ("CAN aborts a string", b"\x1bPdata\x18ok\n", b"ok\n"),
            (
                "ESC inside a string starts a new sequence",
                b"\x1b]0;t\x1b[31mok\n",
                b"ok\n",
            ),
        ];
        for (name, input, expected) in cases {
            let got = strip_escapes(input);
            assert_eq!(
                show(&got),
                show(expected),
                "{name}: {} -> {}",
                show(input),
                show(&got)
            );
            assert_eq!(&got, expected, "{name}");
        }
    }

    #[test]
    fn stripping_twice_changes_nothing_more() {
        let input = b"\x1b[1mA\x1b[0m\r\nprogress 1\rprogress 2\n\x1b]0;t\x07b\x08c\n";
        let once = strip_escapes(input);
        assert_eq!(strip_escapes(&once), once);
    }
}
