//! The dispatch argv: placeholders filled in one pass (a task id that itself contains
//! `{job}` is not expanded again), never through a shell; and file-system-safe names for a
//! task's log, worktree and branch.

use std::collections::BTreeMap;

use crate::tmux::stable_hash;

/// The values a dispatch argv may refer to, as `{name}` and as `WARDEN_<NAME>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholders {
    pub(crate) values: BTreeMap<&'static str, String>,
}

impl Placeholders {
    pub(crate) fn new(
        task: &str,
        task_file: &str,
        worktree: &str,
        job: &str,
        attempt: u32,
    ) -> Self {
        let values = BTreeMap::from([
            ("task", task.to_owned()),
            ("task_file", task_file.to_owned()),
            ("worktree", worktree.to_owned()),
            ("job", job.to_owned()),
            ("attempt", attempt.to_string()),
        ]);
        Self { values }
    }

    /// `WARDEN_TASK=…` and friends, for the worker's environment.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(k, v)| (format!("WARDEN_{}", k.to_ascii_uppercase()), v.clone()))
            .collect()
    }

    /// Fills `{name}` in one element. Unknown names and lone braces stay as written.
    pub(crate) fn expand(&self, element: &str) -> String {
        let mut out = String::with_capacity(element.len());
        let mut rest = element;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').map(|close| (&after[..close], close)) {
                Some((name, close)) if self.values.contains_key(name) => {
                    out.push_str(&self.values[name]);
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    pub(crate) fn expand_argv(&self, argv: &[String]) -> Vec<String> {
        argv.iter().map(|a| self.expand(a)).collect()
    }
}

/// A name safe for a file, a folder, a git branch and a tmux window: letters, digits, `.`,
/// `_` and `-` kept, anything else `_`. When that changed the id (or it starts with `.` or
/// `-`), a short hash of the original keeps two different ids apart.
pub(crate) fn safe_name(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let risky =
        clean != id || clean.is_empty() || clean.starts_with(['.', '-']) || clean.contains("..");
    let clean: String = clean.chars().take(80).collect();
    if risky {
        let clean = clean.replace("..", "__");
        let stem = clean.trim_start_matches(['.', '-']);
        let stem = if stem.is_empty() { "task" } else { stem };
        format!("{stem}-{:08x}", stable_hash(id.as_bytes()) & 0xffff_ffff)
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(task: &str) -> Placeholders {
        Placeholders::new(task, "tasks/t.md", "/repo/.worktrees/t", "j000007", 2)
    }

    #[test]
    fn expands_each_placeholder_once() {
        let argv: Vec<String> = [
            "scripts/dispatch",
            "{task}",
            "--job={job}",
            "{attempt}{attempt}",
            "{unknown}",
            "{",
            "}{",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(
            p("t1").expand_argv(&argv),
            [
                "scripts/dispatch",
                "t1",
                "--job=j000007",
                "22",
                "{unknown}",
                "{",
                "}{"
            ]
        );
    }

    #[test]
    fn hostile_ids_pass_through_unchanged_and_are_not_re_expanded() {
        for id in [
            "a b",
            "it's",
            "\"q\"",
            "$(touch /tmp/pwned)",
            "`id`",
            "naïve-✓",
            "{job}",
            "--help",
            "a;b|c&d",
        ] {
            let out = p(id).expand_argv(&["{task}".to_owned(), "x{task}y".to_owned()]);
            assert_eq!(out, [id.to_owned(), format!("x{id}y")], "{id}");
        }
    }

    #[test]
    fn env_names() {
        let env = p("t").env();
        assert!(env.contains(&("WARDEN_TASK".to_owned(), "t".to_owned())));
        assert!(env.contains(&("WARDEN_TASK_FILE".to_owned(), "tasks/t.md".to_owned())));
        assert!(env.contains(&("WARDEN_ATTEMPT".to_owned(), "2".to_owned())));
    }

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("fix-login_2.0"), "fix-login_2.0");
        for hostile in [
            "a b",
            "../../etc",
            "$(x)",
            "naïve",
            ".hidden",
            "-rf",
            "a/b",
            "",
        ] {
            let s = safe_name(hostile);
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
                "{s}"
            );
            assert!(
                !s.starts_with(['.', '-']) && !s.contains(".."),
                "{hostile:?} -> {s}"
            );
        }
        assert_ne!(safe_name("a b"), safe_name("a_b"));
        assert_ne!(safe_name("a/b"), safe_name("a b"));
    }
}
