//! For the same ensemble state, the AdminServer's JSON has Apache ZooKeeper 3.8's command
//! names, keys and types, with equal values where they are deterministic.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use support::admin::{command, command_until, follower_and_leader, workload};
use support::Ensemble;

/// The JSON type of a value, numbers split as Jackson writes them (a long or a double).
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "double",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Compares one object of zabd's answer with ZooKeeper's: every key zabd writes is one of
/// ZooKeeper's with the same type, and ZooKeeper writes no other (`monitor` excepted: it
/// has some 500 more metrics of ZooKeeper's own processors, so only the first check).
fn same_shape(what: &str, zabd: &Value, zk: &Value, problems: &mut Vec<String>) {
    let (Some(z), Some(j)) = (zabd.as_object(), zk.as_object()) else {
        return problems.push(format!("{what}: not objects: {zabd} / {zk}"));
    };
    for (k, v) in z {
        match j.get(k) {
            None => problems.push(format!("{what}.{k}: ZooKeeper has no such key")),
            Some(w) if kind(v) != kind(w) => problems.push(format!(
                "{what}.{k}: {} here, {} in ZooKeeper ({v} / {w})",
                kind(v),
                kind(w)
            )),
            Some(w) if kind(v) == "object" && what != "monitor" && !k.contains("session") => {
                same_shape(&format!("{what}.{k}"), v, w, problems)
            }
            Some(_) => {}
        }
    }
    if what == "monitor" {
        return;
    }
    let missing: BTreeSet<&str> = j
        .keys()
        .filter(|k| !z.contains_key(*k))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        problems.push(format!("{what}: ZooKeeper's keys not here: {missing:?}"));
    }
}

/// Values both report the same for the same ensemble state and role.
const DETERMINISTIC: [(&str, &str); 16] = [
    ("server_stats", "node_count"),
    ("server_stats", "read_only"),
    ("monitor", "server_state"),
    ("monitor", "peer_state"),
    ("monitor", "znode_count"),
    ("monitor", "ephemerals_count"),
    ("monitor", "watch_count"),
    ("monitor", "num_alive_connections"),
    ("monitor", "quorum_size"),
    ("monitor", "synced_followers"),
    ("watch_summary", "num_connections"),
    ("watch_summary", "num_paths"),
    ("watch_summary", "num_total_watches"),
    ("leader", "is_leader"),
    ("is_read_only", "read_only"),
    ("configuration", "max_client_cnxns"),
];

#[tokio::test(flavor = "multi_thread")]
async fn the_json_matches_apache_zookeeper_for_the_same_state() {
    let targets = [Ensemble::zabd_admin(3, &[]), Ensemble::zookeeper_admin(3)];
    let mut answers: Vec<BTreeMap<String, Value>> = Vec::new();
    let mut sessions = Vec::new();
    for e in &targets {
        let (f, l) = follower_and_leader(e);
        let host = format!("127.0.0.1:{}", e.client_ports()[f]);
        sessions.push(workload(&host).await.0);
        let admin = e.admin_ports();
        command_until(admin[f], "mntr", |m| m["watch_count"] == 3);
        command_until(admin[l], "mntr", |m| m["synced_followers"] == 2);
        let mut got = BTreeMap::new();
        for (role, i) in [("follower", f), ("leader", l)] {
            for c in zab::server::admin::COMMANDS {
                let (code, v) = command(admin[i], c.name);
                assert_eq!(code, 200, "{}: {}", c.name, v);
                got.insert(format!("{role} {}", c.name), v);
            }
        }
        answers.push(got);
    }
    let (zabd, zk) = (&answers[0], &answers[1]);
    let mut problems = Vec::new();
    for (key, ours) in zabd {
        let theirs = &zk[key];
        let name = key.split(' ').nth(1).unwrap();
        for field in ["command", "error"] {
            if ours[field] != theirs[field] {
                problems.push(format!(
                    "{key}.{field}: {} / {}",
                    ours[field], theirs[field]
                ));
            }
        }
        same_shape(name, ours, theirs, &mut problems);
        for (c, field) in DETERMINISTIC.iter().filter(|(c, _)| *c == name) {
            if ours.get(field) != theirs.get(field) {
                problems.push(format!(
                    "{key}.{field}: {:?} / {:?} ({c})",
                    ours.get(field),
                    theirs.get(field)
                ));
            }
        }
        let (o, t) = (&ours["server_stats"], &theirs["server_stats"]);
        if o.is_object() && o["server_state"] != t["server_state"] {
            problems.push(format!(
                "{key}: server_state {} / {}",
                o["server_state"], t["server_state"]
            ));
        }
    }
    for key in ["follower connections", "follower stats"] {
        let (o, t) = (&zabd[key]["connections"], &zk[key]["connections"]);
        let what = format!("{}.connections", key.split(' ').nth(1).unwrap());
        match (o.get(0), t.get(0)) {
            (Some(o), Some(t)) => same_shape(&what, o, t, &mut problems),
            _ => problems.push(format!("{key}: a connection on each side: {o} / {t}")),
        }
    }
    assert!(
        problems.is_empty(),
        "differences from ZooKeeper 3.8:\n{}",
        problems.join("\n")
    );
    drop(sessions);
}
