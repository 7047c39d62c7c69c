//! The AdminServer (`admin.enableServer`): ZooKeeper's HTTP admin commands. A known workload
//! shows in each command's JSON; the four-letter-word whitelist closes the commands it
//! closes over `nc`; a port that cannot be bound stops the start with exit code 3.
//! `admin_vs_zookeeper.rs` compares the JSON with Apache ZooKeeper 3.8's.

mod support;

use serde_json::Value;
use support::admin::{command, command_until, follower_and_leader, workload};
use support::process::{free_port, refused_start, Zabd};
use support::{http, Ensemble};

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

    // dump: only the leader expires sessions, so only its buckets hold the session; both
    // list its ephemeral node.
    let owned = serde_json::json!({ session.to_string(): ["/eph"] });
    for port in [admin[f], admin[l]] {
        let d = command(port, "dump").1;
        assert_eq!(d["session_id_to_ephemeral_paths"], owned, "{d}");
    }
    let due = command(admin[l], "dump").1["expiry_time_to_session_ids"].clone();
    let ids: Vec<&Value> = due
        .as_object()
        .unwrap()
        .values()
        .flat_map(|v| v.as_array().unwrap())
        .collect();
    assert_eq!(ids, [&Value::from(session)], "{due}");
    assert_eq!(
        command(admin[f], "dump").1["expiry_time_to_session_ids"],
        serde_json::json!({})
    );

    // The resets zero what `server_stats` and `connections` count (the workload's six
    // requests; a ping may come in after a reset).
    let count = |c: &str, k: &str| {
        let v = command(admin[f], c).1;
        let n = if c == "srvr" {
            &v["server_stats"][k]
        } else {
            &v["connections"][0][k]
        };
        n.as_u64().unwrap_or_else(|| panic!("{c}.{k}: {v}"))
    };
    assert!(count("srvr", "packets_received") >= 6);
    let r = command(admin[f], "srst").1;
    assert_eq!(
        r,
        serde_json::json!({"command": "stat_reset", "error": null})
    );
    assert!(count("srvr", "packets_received") <= 1);
    assert!(
        count("cons", "packets_received") >= 6,
        "a connection's stay"
    );
    let r = command(admin[f], "crst").1;
    let crst = serde_json::json!({"command": "connection_stat_reset", "error": null});
    assert_eq!(r, crst);
    assert!(count("cons", "packets_received") <= 1);
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
