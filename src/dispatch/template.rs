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

    /// One more value (`{agent_settings}`, `{codex_notify}`).
    pub(crate) fn with(mut self, name: &'static str, value: String) -> Self {
        self.values.insert(name, value);
        self
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

/// A worker's window: `<prefix>-<task>`, and `#<attempt>` from the second attempt on, so
/// each job's window has a name of its own.
pub(crate) fn worker_window(prefix: &str, task: &str, attempt: u32) -> String {
    if attempt > 1 {
        format!("{prefix}-{}#{attempt}", safe_name(task))
    } else {
        format!("{prefix}-{}", safe_name(task))
    }
}

/// The longest name `safe_name` keeps as it is; longer ones are cut and hashed.
const KEEP_CHARS: usize = 80;

/// A name safe for a file, a folder, a git branch and a tmux window: letters, digits, `.`,
/// `_` and `-` kept, anything else `_`. An id that needs no change is its own name. Any
/// other (changed, cut, or one git or the file system would refuse) gets `-` and 8 hex
/// digits of a hash of the whole id, so two ids share a name only if they share the first
/// 80 characters and a 32-bit hash. A plain id that ends like such a name is hashed too, so
/// it cannot take the name of a changed one.
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
    let plain = clean == id
        && !clean.is_empty()
        && clean.len() <= KEEP_CHARS
        && !clean.starts_with(['.', '-'])
        && !clean.contains("..")
        // git refuses a branch name ending in `.` or `.lock`.
        && !clean.ends_with('.')
        && !clean.ends_with(".lock")
        && !looks_hashed(&clean);
    if plain {
        return clean;
    }
    // `clean` is ASCII, so characters are bytes.
    let cut = clean
        .get(..KEEP_CHARS)
        .unwrap_or(&clean)
        .replace("..", "__");
    let stem = cut.trim_start_matches(['.', '-']);
    let stem = if stem.is_empty() { "task" } else { stem };
    format!("{stem}-{:08x}", stable_hash(id.as_bytes()) & 0xffff_ffff)
}

/// Ends in `-` and 8 lowercase hex digits, as every hashed name does.
fn looks_hashed(name: &str) -> bool {
    name.len() > 9
        && name.as_bytes()[name.len() - 9] == b'-'
        && name.as_bytes()[name.len() - 8..]
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `name` is one safe component of a path, a git branch and a tmux window name.
#[cfg(test)]
pub(crate) fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !name.starts_with(['.', '-'])
        && !name.contains("..")
        && !name.ends_with('.')
        && !name.ends_with(".lock")
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
        // The examples in docs/configuration.md.
        assert_eq!(safe_name("a b/../c"), "a_b____c-4505b569");
        assert_eq!(safe_name("release-20260322"), "release-20260322-6856a2be");
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

    #[test]
    fn long_ids_that_share_their_first_80_characters_get_different_names() {
        let a = format!("{}-one", "a".repeat(80));
        let b = format!("{}-two", "a".repeat(80));
        assert_ne!(safe_name(&a), safe_name(&b));
        assert!(safe_name(&a).len() <= 100, "{}", safe_name(&a));
    }

    #[test]
    fn a_plain_id_never_takes_the_name_of_a_changed_one() {
        let hashed = safe_name("a b");
        assert_ne!(safe_name(&hashed), hashed);
        // Git refuses a branch component ending in `.` or `.lock`.
        for id in ["x.", "x.lock"] {
            let s = safe_name(id);
            assert!(!s.ends_with('.') && !s.ends_with(".lock"), "{id} -> {s}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Ids with the characters that matter here: safe ones, ones that get replaced, the
        /// hash's own shape, and lengths around the cut.
        fn id() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a.\\-_ /]{0,12}",
                "[ab]{78,84}[-.a-f0-9 ]{0,12}",
                "[a-z0-9]{1,8}(-[0-9a-f]{8})?",
                prop::collection::vec(any::<char>(), 0..100).prop_map(String::from_iter),
            ]
        }

        /// Two ids, often sharing a long beginning.
        fn pair() -> impl Strategy<Value = (String, String)> {
            (id(), id(), id()).prop_map(|(p, x, y)| (format!("{p}{x}"), format!("{p}{y}")))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn distinct_ids_get_distinct_names((a, b) in pair()) {
                prop_assume!(a != b);
                prop_assert_ne!(safe_name(&a), safe_name(&b), "{:?} and {:?}", a, b);
            }

            #[test]
            fn every_name_is_a_safe_component(id in id()) {
                let s = safe_name(&id);
                prop_assert!(is_safe_name(&s), "{:?} -> {:?}", id, s);
            }
        }
    }

    #[test]
    fn each_attempt_has_a_window_of_its_own() {
        assert_eq!(worker_window("w", "auth", 1), "w-auth");
        assert_eq!(worker_window("w", "auth", 3), "w-auth#3");
        assert_eq!(
            worker_window("w", "a b", 2),
            format!("w-{}#2", safe_name("a b"))
        );
    }
}
