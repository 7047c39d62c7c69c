//! The command line: exit codes 0 (all hold), 1 (counterexample), 2 (bad usage), and the JSON
//! report's shape.

use std::process::Command;

fn zab_model(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zab-model"))
        .args(args)
        .output()
        .expect("run zab-model");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn passing_check_exits_zero_with_json() {
    let (code, out, err) = zab_model(&["check", "--crashes", "0", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["result"], "pass");
    assert_eq!(v["unique_states"], 8347);
    assert!(v["total_states"].as_u64().unwrap() >= 8347);
    assert!(v["seconds"].as_f64().unwrap() >= 0.0);
    let props = v["properties"].as_array().unwrap();
    assert!(props
        .iter()
        .any(|p| p["name"] == "agreement" && p["holds"] == true));
    // Progress goes to stderr, never into the JSON.
    assert!(err.contains("unique states"));
}

#[test]
fn counterexample_exits_one_and_prints_a_trace() {
    let (code, out, _) = zab_model(&["check", "--bug", "zk-4685"]);
    assert_eq!(code, 1);
    assert!(out.contains("ack_consistent"));
    assert!(out.contains("counterexample to ack_consistent"));
    // One line per step: who, what message, resulting role.
    assert!(out.contains("→") && out.contains("ACK(NEWLEADER") && out.contains("FOLLOWING"));
    // And where the Explorer shows it (the route itself is checked in tests/bugs.rs).
    assert!(out.contains(
        "in the Explorer (zab-model explore with the same flags): http://127.0.0.1:3000/#/steps/0/"
    ));
}

#[test]
fn scenarios_are_listed_and_each_prints_its_steps() {
    let (code, out, _) = zab_model(&["scenarios"]);
    assert_eq!(code, 0);
    for name in zab_model::scenarios::names() {
        assert!(out.contains(name), "{name} listed");
    }
    let (code, out, _) = zab_model(&["scenarios", "uncommitted-write-truncated"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("TRUNC(0.0)") && out.contains("s1 crashes"),
        "{out}"
    );
    assert!(out.contains("http://127.0.0.1:3000/#/steps/0/"));
    let (code, _, err) = zab_model(&["scenarios", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown scenario"));
}

#[test]
fn liveness_exits_one_on_a_lasso() {
    let (code, out, _) = zab_model(&["liveness", "--bug", "zk-1419", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["result"], "fail");
    assert!(!v["properties"][0]["cycle"].as_array().unwrap().is_empty());
}

#[test]
fn a_search_cut_short_is_inconclusive_not_a_pass() {
    let (code, out, _) = zab_model(&[
        "check",
        "--election",
        "fle",
        "--txns",
        "1",
        "--crashes",
        "1",
        "--timeout",
        "1",
        "--json",
    ]);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["result"], "incomplete");
    assert_eq!(v["complete"], false);
}

#[test]
fn bad_usage_exits_two() {
    for args in [
        vec!["check", "--servers", "9"],
        vec!["check", "--bug", "zk-0000"],
        vec!["check", "--symmetry", "--election", "fle"],
        vec!["check", "--property", "no_such_property"],
        vec!["check", "--txns", "many"],
        vec!["frobnicate"],
    ] {
        let (code, _, err) = zab_model(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.is_empty());
    }
}

#[test]
fn bugs_lists_every_switch() {
    let (code, out, _) = zab_model(&["bugs"]);
    assert_eq!(code, 0);
    for name in [
        "zk-1419",
        "zk-2845",
        "zk-3911",
        "zk-3023",
        "zk-4394",
        "zk-4643",
        "zk-4646",
        "zk-4685",
        "zk-4712",
        "stale-ack",
        "zk-1675",
    ] {
        assert!(out.contains(name), "{name}");
    }
    assert_eq!(out.lines().count(), 11);
}
