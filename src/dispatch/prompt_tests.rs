use super::*;

fn name() -> &'static Path {
    Path::new("templates/prompt.md")
}

fn retry(ctx: &mut PromptContext) {
    ctx.attempt = 2;
    ctx.previous = Some(PreviousAttempt {
        job: "j000001".to_owned(),
        attempt: 1,
        end: "exit 3".to_owned(),
        log_tail: "boom: the build failed".to_owned(),
        agent_state: None,
        error: None,
    });
}

#[test]
fn every_variable_renders() {
    let t = "{{ task.id }}|{{ task.title }}|{{ task.status }}|{{ task.priority }}|{{ task.milestone }}|{{ task.owner }}|{{ task.depends_on | join(',') }}|{{ task.path }}|{{ task.file }}|{{ job }}|{{ attempt }}|{{ worktree }}|{{ previous is none }}\n{{ task.body }}";
    let out = render(t, name(), &sample()).expect("renders");
    assert_eq!(
        out,
        "T-1|A task|ready|p2|m1|someone|T-0|tasks/T-1.md|/repo/tasks/T-1.md|j000002|1|/repo|True\nWhat to do.\n"
    );
}

#[test]
fn an_unknown_variable_is_an_error_with_its_line() {
    let t = "line one\n{{ task.id }}\n{{ task.nope }}\n";
    let e = render(t, name(), &sample()).expect_err("strict");
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.contains("`task.nope`"), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "failed to render prompt template templates/prompt.md line 3: {}",
            e.message
        )
    );
    let e = render("a\n\n{{ tsk }}", name(), &sample()).expect_err("strict");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("`tsk`"), "{e}");
}

#[test]
fn a_syntax_error_names_its_line() {
    let e = render("ok\n{% if task.id %}\nno end", name(), &sample()).expect_err("syntax");
    assert!(e.line.is_some(), "{e}");
    assert!(e.to_string().contains("templates/prompt.md"), "{e}");
}

#[test]
fn a_retry_carries_the_previous_attempt() {
    let mut ctx = sample();
    let first = render(DEFAULT_TEMPLATE, name(), &ctx).expect("first attempt");
    assert!(!first.contains("previous attempt"), "{first}");
    assert!(first.contains("T-1: A task") && first.contains("tasks/T-1.md"));
    assert!(first.contains("What to do."));
    retry(&mut ctx);
    let second = render(DEFAULT_TEMPLATE, name(), &ctx).expect("retry");
    assert!(second.contains("(j000001) ended: exit 3"), "{second}");
    assert!(second.contains("boom: the build failed"), "{second}");
    assert!(second.contains("attempt 2"), "{second}");
}

#[test]
fn text_from_the_task_is_not_rendered_again() {
    let mut ctx = sample();
    ctx.task.body = "{{ job }} <b>&amp;</b>".to_owned();
    assert_eq!(
        render("{{ task.body }}", name(), &ctx).expect("renders"),
        "{{ job }} <b>&amp;</b>"
    );
}

#[test]
fn check_needs_previous_guarded() {
    check(DEFAULT_TEMPLATE, name()).expect("the default template is valid");
    let e = check("{{ previous.end }}", name()).expect_err("unguarded");
    assert_eq!(e.line, Some(1), "{e}");
    check("{% if previous %}{{ previous.end }}{% endif %}", name()).expect("guarded");
}

#[test]
fn the_body_is_bounded() {
    let big = "é".repeat(MAX_BODY_BYTES);
    let cut = bounded(&big, MAX_BODY_BYTES);
    assert!(cut.len() <= MAX_BODY_BYTES && cut.len() + 1 >= MAX_BODY_BYTES);
    assert_eq!(bounded("short", MAX_BODY_BYTES), "short");
}

#[test]
fn the_previous_attempts_output_is_its_own_part_of_the_log() {
    let log = "=== warden: j000001 attempt 1 of t started x ===\none\n[warden] job j000001 exit 1\n=== warden: j000003 attempt 2 of t started y ===\ntwo\n";
    assert_eq!(
        attempt_output(log, "j000001"),
        "one\n[warden] job j000001 exit 1\n"
    );
    assert_eq!(attempt_output(log, "j000003"), "two\n");
    assert_eq!(attempt_output(log, "j000009"), "");
}

#[test]
fn the_tail_is_bounded_in_lines_and_bytes() {
    let many: String = (1..=100).map(|i| format!("line {i}\n")).collect();
    let t = tail(&many);
    assert!(t.starts_with("line 41\n") && t.ends_with("line 100"), "{t}");
    assert_eq!(t.lines().count(), TAIL_LINES);
    let wide = "é".repeat(TAIL_BYTES);
    assert!(tail(&wide).len() <= TAIL_BYTES);
    assert_eq!(tail("a\nb\n\n\n"), "a\nb");
}
