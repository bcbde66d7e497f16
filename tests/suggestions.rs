//! A task id that names no task is an error that says so and suggests the close ids; a task
//! never dispatched says that instead of "no log".

mod support;

use support::Repo;

#[test]
fn an_unknown_task_suggests_close_ids_and_an_undispatched_one_says_so() {
    let repo = Repo::new();
    repo.write("tasks/auth.md", "---\nid: auth\nstatus: ready\n---\n")
        .write("tasks/schema.md", "---\nid: schema\nstatus: ready\n---\n");
    let typo = repo.run(&["logs", "atuh"]);
    assert_eq!(typo.code, 9, "{}", typo.stderr);
    assert!(
        typo.stderr.contains("no task \"atuh\"; did you mean auth?"),
        "{}",
        typo.stderr
    );
    let never = repo.run(&["logs", "schema"]);
    assert_eq!(never.code, 9, "{}", never.stderr);
    assert!(
        never.stderr.contains("\"schema\" was never dispatched"),
        "{}",
        never.stderr
    );
}
