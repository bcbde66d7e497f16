//! Pure parsers for the `-F` output warden asks tmux for. Fields are tab-separated; the
//! one free-text field (the window name) comes last so a tab inside it cannot shift the
//! others.

/// The format `list_panes` asks for; `parse_pane_row` reads one line of it.
pub(crate) const PANE_FORMAT: &str = "#{pane_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{window_id}\t#{@warden_job}\t#{window_name}";

/// The format printed by `new-window -P` / `split-window -P`.
pub(crate) const NEW_PANE_FORMAT: &str = "#{pane_id}\t#{pane_pid}\t#{window_id}";

/// One pane as `list-panes` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PaneRow {
    pub(crate) pane_id: String,
    pub(crate) pane_pid: Option<u32>,
    /// The pane's process has exited (its pty closed); the status may not be known yet.
    pub(crate) dead: bool,
    /// Exit code, once tmux has reaped the process and it exited normally.
    pub(crate) dead_status: Option<i32>,
    /// Signal number (Linux prints numbers), once reaped and killed by a signal.
    pub(crate) dead_signal: Option<i32>,
    pub(crate) window_id: String,
    /// The `@warden_job` pane option: which job runs here.
    pub(crate) job: Option<String>,
    pub(crate) window_name: String,
}

/// A freshly created pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewPane {
    pub(crate) pane_id: String,
    pub(crate) pane_pid: u32,
    pub(crate) window_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected tmux output {line:?}: {why}")]
pub(crate) struct FormatError {
    pub(crate) line: String,
    pub(crate) why: &'static str,
}

fn err(line: &str, why: &'static str) -> FormatError {
    FormatError {
        line: line.to_owned(),
        why,
    }
}

fn opt_num<T: std::str::FromStr>(field: &str, line: &str) -> Result<Option<T>, FormatError> {
    if field.is_empty() {
        return Ok(None);
    }
    field
        .parse()
        .map(Some)
        .map_err(|_| err(line, "a numeric field is not a number"))
}

pub(crate) fn parse_pane_row(line: &str) -> Result<PaneRow, FormatError> {
    let mut f = line.splitn(8, '\t');
    let mut next = || f.next().ok_or_else(|| err(line, "too few fields"));
    let pane_id = next()?.to_owned();
    let pane_pid = opt_num(next()?, line)?;
    let dead = match next()? {
        "1" => true,
        "0" | "" => false,
        _ => return Err(err(line, "pane_dead is not 0 or 1")),
    };
    let dead_status = opt_num(next()?, line)?;
    let dead_signal = opt_num(next()?, line)?;
    let window_id = next()?.to_owned();
    let job = Some(next()?.to_owned()).filter(|j| !j.is_empty());
    let window_name = next()?.to_owned();
    if !pane_id.starts_with('%') {
        return Err(err(line, "pane id does not start with %"));
    }
    Ok(PaneRow {
        pane_id,
        pane_pid,
        dead,
        dead_status,
        dead_signal,
        window_id,
        job,
        window_name,
    })
}

/// Parses every non-empty line.
pub(crate) fn parse_pane_rows(text: &str) -> Result<Vec<PaneRow>, FormatError> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(parse_pane_row)
        .collect()
}

pub(crate) fn parse_new_pane(text: &str) -> Result<NewPane, FormatError> {
    let line = text.lines().next().unwrap_or("");
    let mut f = line.split('\t');
    let pane_id = f
        .next()
        .filter(|p| p.starts_with('%'))
        .ok_or_else(|| err(line, "no pane id"))?;
    let pane_pid = f
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| err(line, "no pane pid"))?;
    let window_id = f
        .next()
        .filter(|w| w.starts_with('@'))
        .ok_or_else(|| err(line, "no window id"))?;
    Ok(NewPane {
        pane_id: pane_id.to_owned(),
        pane_pid,
        window_id: window_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pane_rows() {
        let text = "%0\t100\t0\t\t\t@0\t\twarden\n\
                    %3\t204\t1\t3\t\t@2\tj000002\ttask one\n\
                    %4\t205\t1\t\t15\t@3\tj000003\tname\twith\ttabs\n\
                    %5\t\t1\t\t\t@4\tj000004\tdead, not reaped yet\n";
        let rows = parse_pane_rows(text).expect("valid");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].job, None);
        assert!(!rows[0].dead);
        assert_eq!(rows[1].dead_status, Some(3));
        assert_eq!(rows[1].job.as_deref(), Some("j000002"));
        assert_eq!(rows[1].window_name, "task one");
        assert_eq!(rows[2].dead_signal, Some(15));
        assert_eq!(rows[2].window_name, "name\twith\ttabs");
        assert_eq!(
            (rows[3].dead, rows[3].dead_status, rows[3].pane_pid),
            (true, None, None)
        );
    }

    #[test]
    fn bad_rows_are_errors_not_panics() {
        for line in [
            "",
            "%1\t2",
            "x\t1\t0\t\t\t@1\t\tn",
            "%1\tpid\t0\t\t\t@1\t\tn",
            "%1\t1\t7\t\t\t@1\t\tn",
            "%1\t1\t1\tTERM\t\t@1\t\tn",
        ] {
            assert!(parse_pane_row(line).is_err(), "{line:?}");
        }
    }

    #[test]
    fn new_pane() {
        assert_eq!(
            parse_new_pane("%7\t4242\t@5\n"),
            Ok(NewPane {
                pane_id: "%7".into(),
                pane_pid: 4242,
                window_id: "@5".into()
            })
        );
        assert!(parse_new_pane("").is_err());
        assert!(parse_new_pane("%7\tx\t@5").is_err());
    }
}
