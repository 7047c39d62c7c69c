//! The AdminServer (`admin.enableServer`): ZooKeeper's HTTP admin commands. A known workload
//! shows in each command's JSON; the four-letter-word whitelist closes the commands it
//! closes over `nc`; a port that cannot be bound stops the start with exit code 3; and, for
//! the same ensemble state, the JSON has Apache ZooKeeper 3.8's command names, keys and
//! types, with equal values where they are deterministic.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use support::http;
use support::process::{free_port, refused_start, Zabd};
use support::{mode, zk_connect, Ensemble};
use zookeeper_client as zk;

/// `GET /commands/<name>` on `port`, as JSON.
fn command(port: u16, name: &str) -> (u16, Value) {
    let (code, body) = http::get(port, &format!("/commands/{name}"));
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: {e}: {body}"));
    (code, json)
}

/// `GET /commands/<name>` until `ok` holds of it (servers apply asynchronously).
fn command_until(port: u16, name: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, v) = command(port, name);
        assert_eq!(code, 200, "{name}: {v}");
        if ok(&v) || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The workload both targets get, through a client of the server on `host`: two
/// persistent nodes and an ephemeral, two data watches and a child watch. Returns the
/// session and its watches (kept: the client removes a watch whose watcher is dropped) and
/// the session's id.
async fn workload(host: &str) -> (Session, i64) {
    let c = zk_connect(host).await;
    let open = |mode: zk::CreateMode| mode.with_acls(zk::Acls::anyone_all());
    c.create("/app", b"hello", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    c.create("/app/child", b"", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    c.create("/eph", b"e", &open(zk::CreateMode::Ephemeral))
        .await
        .unwrap();
    let (_, _, data) = c.get_and_watch_data("/app").await.unwrap();
    let (_, _, children) = c.get_and_watch_children("/app").await.unwrap();
    let (_, exists) = c.check_and_watch_stat("/eph").await.unwrap();
    let id = c.session_id().0;
    (Session(c, vec![data, children, exists]), id)
}

/// A client and the watchers it holds.
struct Session(
    #[allow(dead_code)] zk::Client,
    #[allow(dead_code)] Vec<zk::OneshotWatcher>,
);

/// The index of the first server whose `srvr` says it follows, and the leader's.
fn follower_and_leader(e: &Ensemble) -> (usize, usize) {
    let modes: Vec<_> = e.client_ports().into_iter().map(mode).collect();
    let find = |m: &str| modes.iter().position(|x| x.as_deref() == Some(m));
    (find("follower").unwrap(), find("leader").unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn each_command_reports_a_known_workload() {
    let e = Ensemble::zabd_admin(3, &[]);
    let (f, l) = follower_and_leader(&e);
    let (clients, admin) = (e.client_ports(), e.admin_ports());
    let base = command(admin[f], "srvr").1["node_count"].as_u64().unwrap();
    let (_c, session) = workload(&format!("127.0.0.1:{}", clients[f])).await;

    let m = command_until(admin[f], "mntr", |m| m["watch_count"] == 3);
    assert_eq!(m["command"], "monitor", "an alias answers as its command");
    assert_eq!(m["error"], Value::Null);
    assert_eq!(m["znode_count"], base + 3);
    assert_eq!(m["ephemerals_count"], 1);
    assert_eq!(m["watch_count"], 3, "two data watches and a child watch");
    assert_eq!(m["num_alive_connections"], 1);
    assert_eq!(m["server_state"], "follower");
    assert_eq!(m["peer_state"], "following - broadcast");
    assert!(m.get("synced_followers").is_none(), "a leader's key: {m}");
    let lm = command_until(admin[l], "monitor", |m| m["synced_followers"] == 2);
    assert_eq!(
        (lm["synced_followers"].clone(), lm["quorum_size"].clone()),
        (2.into(), 3.into())
    );

    let w = command(admin[f], "wchs").1;
    assert_eq!(
        (
            &w["num_connections"],
            &w["num_paths"],
            &w["num_total_watches"]
        ),
        (&1.into(), &2.into(), &2.into()),
        "data watches only, as ZooKeeper counts: {w}"
    );
    // The four-letter word prints the same summary (it counted child watches as paths).
    let said = zab::server::fourlw::ask(clients[f], "wchs").unwrap();
    let same = format!(
        "{} connections watching {} paths\nTotal watches:{}\n",
        w["num_connections"], w["num_paths"], w["num_total_watches"]
    );
    assert_eq!(said, same);
    let by_session = command(admin[f], "watches").1;
    let expected: Value = serde_json::json!({ session.to_string(): ["/app", "/eph"] });
    assert_eq!(by_session["session_id_to_watched_paths"], expected);
    let by_path = command(admin[f], "wchp").1;
    let expected = serde_json::json!({ "/app": [session], "/eph": [session] });
    assert_eq!(by_path["path_to_session_ids"], expected);

    let cons = command(admin[f], "cons").1;
    let conns = cons["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{cons}");
    assert_eq!(conns[0]["session_id"], session);
    assert_eq!(
        conns[0]["session_timeout"], 10_000,
        "10 s asked, within 20 ticks"
    );
    let last = conns[0]["last_operation"].as_str().unwrap();
    assert!(
        ["EXIS", "PING"].contains(&last),
        "the last request, or a ping: {cons}"
    );
    assert!(
        conns[0]["established"].as_i64().unwrap() > 1_700_000_000_000,
        "{cons}"
    );
    if last == "EXIS" {
        assert!(conns[0]["last_cxid"].as_i64().unwrap() >= 6, "{cons}");
    }
    assert!(
        conns[0]["packets_received"].as_u64().unwrap() >= 6,
        "{cons}"
    );
    assert_eq!(
        command(admin[f], "stat").1["connections"][0].get("session_id"),
        None
    );

    for (i, &port) in admin.iter().enumerate() {
        let lead = command(port, "leader").1;
        assert_eq!(lead["is_leader"], i == l, "server {}", i + 1);
        assert_eq!(lead["leader_id"], l + 1);
        assert_eq!(lead["leader_ip"], "127.0.0.1");
        let s = command_until(port, "srvr", |s| s["node_count"] == base + 3);
        assert_eq!(s["node_count"], base + 3, "server {}", i + 1);
        let state = &s["server_stats"]["server_state"];
        assert_eq!(state, if i == l { "leader" } else { "follower" });
        assert!(
            s["server_stats"]["data_dir_size"].as_u64().unwrap() > 0,
            "{s}"
        );
        let conf = command(port, "conf").1;
        assert_eq!(conf["server_id"], i + 1);
        assert_eq!(conf["client_port"], clients[i]);
        assert_eq!(conf["tick_time"], 500, "zabd ensemble's tickTime");
        let dirs = command(port, "dirs").1;
        assert!(dirs["logdir_size"].as_u64().unwrap() > 0, "{dirs}");
    }
    assert_eq!(command(admin[f], "isro").1["read_only"], false);
    let ruok = command(admin[f], "ruok").1;
    assert_eq!(ruok, serde_json::json!({"command": "ruok", "error": null}));
}

#[test]
fn the_listing_unknown_names_and_methods_answer_as_zookeeper_does() {
    let port = free_port();
    // Over a 0 ms threshold every log sync counts: a session's creation and a create.
    let z = Zabd::start(
        &(admin_cfg(port, "*") + "fsync.warningthresholdms=0\n"),
        &[],
    );
    let mut s = support::raw::session_granted(z.port).expect("a session");
    support::raw::create(&mut s, 1, "/synced");
    let slow = &command(port, "srvr").1["server_stats"]["fsync_threshold_exceed_count"];
    assert!(slow.as_u64().unwrap() >= 2, "{slow}");
    assert!(z.log().contains("fsync.warningthresholdms"), "{}", z.log());
    let (code, listing) = http::get(port, "/commands");
    assert_eq!(code, 200);
    for name in [
        "configuration",
        "monitor",
        "server_stats",
        "watch_summary",
        "leader",
    ] {
        assert!(
            listing.contains(&format!("<a href=\"/commands/{name}\">{name}</a>")),
            "{listing}"
        );
    }
    let (code, unknown) = command(port, "nosuch");
    assert_eq!(code, 200, "ZooKeeper 3.8 answers 200 with the error");
    assert_eq!(unknown["error"], "Unknown command: nosuch");
    assert_eq!(command(port, "MNTR").1["error"], "Unknown command: MNTR");
    assert_eq!(http::request(port, "POST", "/commands/ruok").0, 405);
    assert_eq!(http::get(port, "/elsewhere").0, 404);
    let (code, lead) = http::get(port, "/commands/leader");
    assert_eq!(code, 200);
    let squeezed: String = lead.split_whitespace().collect();
    assert_eq!(
        squeezed, r#"{"error":"serverisnotinitialized","command":"leader"}"#,
        "standalone: ZooKeeper's error, written first"
    );
    let env = command(port, "envi").1;
    assert!(env["zookeeper.version"]
        .as_str()
        .unwrap()
        .starts_with("3.8.0"));
    drop(z);
}

/// zoo.cfg lines turning the AdminServer on at `port` with a whitelist.
fn admin_cfg(port: u16, words: &str) -> String {
    format!("admin.enableServer=true\nadmin.serverPort={port}\n4lw.commands.whitelist={words}\n")
}

#[test]
fn the_whitelist_closes_commands_as_it_closes_words() {
    let port = free_port();
    let _z = Zabd::start(&admin_cfg(port, "ruok"), &[]);
    assert_eq!(command(port, "ruok").0, 200);
    assert_eq!(command(port, "srvr").0, 200, "srvr is always open");
    for name in ["mntr", "monitor", "cons", "conf", "leader", "wchc", "envi"] {
        let (code, v) = command(port, name);
        assert_eq!(code, 403, "{name}: {v}");
        assert_eq!(v["command"], name);
        assert!(v["error"].as_str().unwrap().contains("whitelist"), "{v}");
        assert_eq!(v.as_object().unwrap().len(), 2, "nothing else shown: {v}");
    }
}

#[test]
fn an_admin_port_that_cannot_be_bound_stops_the_start_with_code_3() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = refused_start(&format!(
        "admin.enableServer=true\nadmin.serverPort={port}\n"
    ));
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("admin port"),
        "{err}"
    );
    for bad in [
        "admin.serverPort=http",
        "admin.enableServer=yes",
        "admin.commandURL=x",
        // Once a panic in the router at start (exit 101).
        "admin.commandURL=//",
    ] {
        let out = refused_start(&format!("{bad}\n"));
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let key = bad.split('=').next().unwrap();
        assert!(String::from_utf8_lossy(&out.stderr).contains(key), "{bad}");
    }
}

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
