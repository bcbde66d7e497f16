//! `warden config`: the effective configuration and where each value came from; and a bad
//! value in an environment variable names the variable, not a flag nobody typed.

mod support;

use support::Repo;

const CONFIG: &str = "# warden\n[dispatch]\nmax_workers = 4\n\nbranch_prefix = \"t/\"\n[heartbeat]\ninterval = \"30s\"\n";

#[test]
fn config_names_the_default_the_line_the_variable_and_the_flag() {
    let repo = Repo::new();
    repo.write("warden.toml", CONFIG);
    let run = repo.run_env(
        &["config", "--escalation"],
        &[("WARDEN_HEARTBEAT_INTERVAL", "20s")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = |key: &str| -> String {
        run.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} in:\n{}", run.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("dispatch.max_workers"),
        "dispatch.max_workers = 4 # warden.toml:3"
    );
    assert_eq!(
        line("dispatch.branch_prefix"),
        "dispatch.branch_prefix = \"t/\" # warden.toml:5"
    );
    assert_eq!(
        line("heartbeat.interval"),
        "heartbeat.interval = \"20s\" # env:WARDEN_HEARTBEAT_INTERVAL"
    );
    assert_eq!(
        line("escalation.enabled"),
        "escalation.enabled = true # flag:--escalation"
    );
    assert_eq!(
        line("thresholds.stall_after"),
        "thresholds.stall_after = \"10m\" # default"
    );
    // The `#` column is aligned.
    let column = |key: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.find("  # "))
    };
    assert_eq!(
        column("dispatch.max_workers"),
        column("thresholds.stall_after")
    );

    let json = repo.run_env(
        &["config", "--json", "--max-workers=6"],
        &[("WARDEN_HEARTBEAT_INTERVAL", "20s")],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(value["format_version"], 1);
    let entry = |key: &str| {
        value["values"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["key"] == key))
            .cloned()
            .unwrap_or_else(|| panic!("no {key}"))
    };
    assert_eq!(
        entry("dispatch.max_workers"),
        serde_json::json!({"key": "dispatch.max_workers", "value": 6, "source": {"kind": "flag", "name": "--max-workers"}})
    );
    assert_eq!(
        entry("dispatch.branch_prefix")["source"],
        serde_json::json!({"kind": "file", "file": repo.path("warden.toml").canonicalize().expect("path").to_string_lossy(), "line": 5})
    );
    assert_eq!(
        entry("heartbeat.interval")["source"],
        serde_json::json!({"kind": "env", "name": "WARDEN_HEARTBEAT_INTERVAL"})
    );
    assert_eq!(
        entry("escalation.hold")["source"],
        serde_json::json!({"kind": "default"})
    );
}

#[test]
fn a_bad_value_in_an_environment_variable_names_the_variable() {
    let repo = Repo::new();
    for (name, value) in [
        ("WARDEN_MAX_WORKERS", "abc"),
        ("WARDEN_HEARTBEAT_INTERVAL", "15"),
        ("TASK_MANAGER_ESCALATION", "maybe"),
    ] {
        let run = repo.run_env(&["status"], &[(name, value)]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "invalid value '{value}' in the environment variable {name}"
            )),
            "{name}: {}",
            run.stderr
        );
    }
    // clap checks the variable even when the flag is typed: still the variable's fault.
    let run = repo.run_env(
        &["--max-workers", "7", "status"],
        &[("WARDEN_MAX_WORKERS", "abc")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("environment variable WARDEN_MAX_WORKERS"),
        "{}",
        run.stderr
    );
    // A bad typed flag is blamed as such.
    let run = repo.run(&["--max-workers", "xyz", "status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("'xyz' for '--max-workers"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("environment"), "{}", run.stderr);
    // A config file chosen by WARDEN_CONFIG that cannot be read says who chose it.
    let missing = repo.path("no-such.toml");
    let run = repo.run_env(
        &["status"],
        &[("WARDEN_CONFIG", &missing.to_string_lossy())],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("no-such.toml") && run.stderr.contains("WARDEN_CONFIG"),
        "{}",
        run.stderr
    );
    let run = repo.run(&["--config", &missing.to_string_lossy(), "status"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(!run.stderr.contains("WARDEN_CONFIG"), "{}", run.stderr);
}
