//! Managers run with the same hooks as workers: new trouble for a live manager idle at its
//! prompt is typed to it as one line and confirmed by the prompt submission that follows;
//! a manager that does not take it gives the trouble to another. Real tmux on a private
//! server, the scripted fake agent as the manager (reading its pane like a prompt).

mod support;

use std::time::Duration;

use support::live::Live;

const WAIT: Duration = Duration::from_secs(60);

fn config(manager_steps: &str) -> String {
    format!(
        "[dispatch]\ncommand = [\"scripts/fake-agent\"]\nbackoff_initial = \"1s\"\nbackoff_max = \"1s\"\n\
         [heartbeat]\ninterval = \"1s\"\n\
         [escalation]\nenabled = true\nhold = \"1s\"\nmin_spacing = \"0s\"\ncooldown = \"0s\"\n\
         manager_command = [\"scripts/fake-agent\", \"hooks\", \"{manager_steps}\", \"--settings\", \"{{agent_settings}}\", \"--\", \"{{prompt_file}}\"]\n"
    )
}

fn actions(live: &Live) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(live.repo.path(".warden/ledger.json")).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default()["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn manager_agent(live: &Live, action: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(live.repo.path(&format!(".warden/jobs/{action}.agent.json")))
            .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

#[test]
fn new_trouble_is_typed_to_an_idle_manager_and_confirmed() {
    let live = Live::new(&config("start prompt stop waitloop"));
    live.task("flaky", "status: ready\nfake: exit 1 0.1");
    live.up(&[]);
    live.wait_for("the manager idle at its prompt", WAIT, |l| {
        let agent = manager_agent(l, "e0001");
        agent["state"] == "idle" && agent["last_event"] == "Stop"
    });
    assert_eq!(manager_agent(&live, "e0001")["prompts"], 1);
    // New trouble while the manager lives: no second manager, a line typed to this one.
    live.task("second", "status: ready\nfake: exit 1 0.1");
    live.wait_for("the manager to take a second prompt", WAIT, |l| {
        manager_agent(l, "e0001")["prompts"].as_u64() >= Some(2)
    });
    let screen = String::from_utf8_lossy(
        &live
            .tmux(&["capture-pane", "-p", "-J", "-t", "manager"])
            .stdout,
    )
    .into_owned();
    assert!(
        screen.contains("warden: new trouble for you; read"),
        "{screen}"
    );
    let action = &actions(&live)[0];
    let updates =
        std::path::Path::new(action["pack_dir"].as_str().expect("pack")).join("updates.md");
    let text = std::fs::read_to_string(&updates).expect("updates.md");
    assert!(text.contains("repeated_failure/task:second"), "{text}");
    // Confirmed: it keeps the slot, and nobody else was brought in.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(actions(&live).len(), 1, "{:#?}", actions(&live));
}

#[test]
fn a_manager_that_does_not_take_the_line_gives_the_trouble_to_another() {
    // `hang`: at its prompt, but it never reads what is typed.
    let live = Live::new(&config("start prompt stop hang"));
    live.task("flaky", "status: ready\nfake: exit 1 0.1");
    live.up(&[]);
    live.wait_for("the manager idle at its prompt", WAIT, |l| {
        let agent = manager_agent(l, "e0001");
        agent["state"] == "idle" && agent["last_event"] == "Stop"
    });
    live.task("second", "status: ready\nfake: exit 1 0.1");
    live.wait_for(
        "a second manager for the trouble the first did not take",
        WAIT,
        |l| actions(l).len() >= 2,
    );
    let second = &actions(&live)[1];
    assert!(
        second["keys"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "repeated_failure/task:second")),
        "{second:#}"
    );
}
