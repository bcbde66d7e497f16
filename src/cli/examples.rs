//! The examples at the end of a command's `--help` (not `-h`), and of the man page.

pub(crate) const UP: &str = "\
Examples:
  warden up --attach             start the session and watch it (C-b d detaches)
  warden up --max-workers 2      at most two agents at once, this session only
  warden up --layout mine        .warden/layouts/mine.toml (see `warden layouts`)
  warden -C ~/src/app up         the repository in ~/src/app, from anywhere";

pub(crate) const STATUS: &str = "\
Examples:
  warden status                  the heartbeat: tasks, queue, workers, escalation
  warden status --json | jq .escalation.signals
  warden --color never status    no colour (as does NO_COLOR=1)";

pub(crate) const TASKS: &str = "\
Examples:
  warden tasks                   every task with its status, priority and title
  warden tasks --queue           what will be dispatched next, in order
  warden tasks --json | jq -r '.tasks[] | select(.status == \"blocked\") | .id'";

pub(crate) const JOBS: &str = "\
Examples:
  warden jobs                    every attempt, newest first
  warden jobs fix-login          only fix-login's attempts
  warden jobs --json | jq '.jobs[0].usage'";

pub(crate) const LOGS: &str = "\
Examples:
  warden logs fix-login          the log as the terminal showed it
  warden logs -f fix-login       keep following it (Ctrl-C to stop)
  warden logs --raw fix-login > fix-login.log";

pub(crate) const ATTACH: &str = "\
Examples:
  warden attach                  the supervisor window
  warden attach fix-login        fix-login's worker pane
  warden attach manager          the manager agent's window";

pub(crate) const DOWN: &str = "\
Examples:
  warden down                    stop the supervisor; workers keep running
  warden down --kill-workers     stop everything and end the session
  warden down --kill-workers --timeout 30s";

pub(crate) const DISPATCH: &str = "\
Examples:
  warden dispatch fix-login      start fix-login now
  warden retry fix-login         let the retry policy start it again instead";

pub(crate) const HEARTBEAT: &str = "\
Examples:
  warden heartbeat --once        one pass: write the snapshot, print the heartbeat
  warden heartbeat --once --json
  */5 * * * * warden -C /srv/app heartbeat --once --dispatch-ready   (a crontab line)";

pub(crate) const INIT: &str = "\
Examples:
  warden init --agent claude     wire Claude Code and its hooks
  warden init --agent codex --justfile
  warden init --force            write warden.toml and scripts/dispatch afresh";

pub(crate) const DOCTOR: &str = "\
Examples:
  warden doctor                  each finding with its fix
  warden doctor --json | jq '.findings[] | select(.level == \"fail\")'";

pub(crate) const CHECK: &str = "\
Examples:
  warden check                   in CI or a pre-commit hook: exit 3 on problems
  warden check --json";

pub(crate) const ACK: &str = "\
Examples:
  warden escalations             find the alert's key
  warden ack dispatch_stalled/task:fix-login --for 1h
  warden silence repeated_failure/task:flaky-test --for 30m
  warden resolve dispatch_stalled/task:fix-login";

pub(crate) const ESCALATIONS: &str = "\
Examples:
  warden escalations             alerts, managers and recent decisions
  warden escalations --json";

pub(crate) const COMPLETIONS: &str = "\
Examples:
  warden completions bash > ~/.local/share/bash-completion/completions/warden
  warden completions zsh > \"${fpath[1]}/_warden\"
  warden completions fish > ~/.config/fish/completions/warden.fish";

/// The man page's EXAMPLES section: a first session, start to finish.
pub(crate) const SESSION: &str = "\
Examples:
  warden init --agent claude     set the repository up
  warden doctor                  is everything in place?
  warden up --attach             start the session and watch it
  warden status                  what runs, what waits, what needs you
  warden logs -f fix-login       follow one task's worker
  warden down --kill-workers     stop everything";
