//! The one shell string warden ever hands tmux: the `pipe-pane` command that appends a
//! pane's output to a file. tmux runs it with `/bin/sh -c`, so the path is single-quoted
//! here and nowhere else. tmux also expands it as a format first; `args::literal` doubles
//! its `#` when the command is sent, so the shell gets exactly this text.

use std::path::Path;

/// `exec cat >> '<path>'`, the path quoted for `sh`.
pub(crate) fn append_to(path: &Path) -> String {
    let quoted = path.to_string_lossy().replace('\'', r"'\''");
    format!("exec cat >> '{quoted}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_is_one_shell_word() {
        assert_eq!(
            append_to(Path::new("/a b/it's $(x).log")),
            r"exec cat >> '/a b/it'\''s $(x).log'"
        );
    }
}
