//! The Prometheus metrics endpoint (`metricsProvider.className` naming ZooKeeper's
//! Prometheus provider): a known workload moves each metric by what it should, the leader of
//! an ensemble reports its synced followers and an election, Debian's `promtool` reads the
//! scrape, and a port that cannot be bound stops the server at start with exit code 3.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::http::get as http_get;
use support::process::{free_port, refused_start, Zabd};
use support::{zk_connect, Ensemble};
use zab::config::endpoints::PROMETHEUS_PROVIDER;
use zookeeper_client as zk;

mod support;

/// zoo.cfg lines that turn the endpoint on at `port`.
fn metrics_cfg(port: u16) -> String {
    format!("metricsProvider.className={PROMETHEUS_PROVIDER}\nmetricsProvider.httpPort={port}\n")
}

/// A scrape as sample name (with its labels) → value.
fn scrape(port: u16) -> HashMap<String, f64> {
    let (code, body) = http_get(port, "/metrics");
    assert_eq!(code, 200, "{body}");
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap();
            (name.to_string(), value.parse().unwrap())
        })
        .collect()
}

/// What `promtool check metrics` says of a scrape: its exit code and complaints.
fn promtool(text: &str) -> (i32, Vec<String>) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (scripts/test.sh installs Debian's prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (
        out.status.code().unwrap_or(-1),
        said.lines().map(str::to_string).collect(),
    )
}

/// Scrapes until `ok` holds of a scrape (the server applies and counts asynchronously).
fn scrape_until(port: u16, ok: impl Fn(&HashMap<String, f64>) -> bool) -> HashMap<String, f64> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = scrape(port);
        if ok(&m) || Instant::now() > deadline {
            return m;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_known_workload_moves_each_metric_by_what_it_should() {
    let port = free_port();
    let z = Zabd::start(&metrics_cfg(port), &[]);
    let before = scrape(port);
    assert_eq!(before["num_alive_connections"], 0.0);
    assert_eq!(before["quorum_size"], 1.0, "standalone: one voter");
    assert_eq!(
        before["election_time_count"], 1.0,
        "its start was an election"
    );

    let c = zk_connect(&format!("127.0.0.1:{}", z.port)).await;
    let open = |mode: zk::CreateMode| mode.with_acls(zk::Acls::anyone_all());
    c.create("/m", b"hello", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    c.create("/m/e", b"eph", &open(zk::CreateMode::Ephemeral))
        .await
        .unwrap();
    let (_data, _stat, _watcher) = c.get_and_watch_data("/m").await.unwrap();

    let m = scrape_until(port, |m| m["watch_count"] == 1.0);
    assert_eq!(m["znode_count"], before["znode_count"] + 2.0);
    assert_eq!(m["ephemerals_count"], 1.0);
    assert_eq!(m["watch_count"], 1.0);
    // Paths and data: "/m" + "hello", "/m/e" + "eph".
    assert_eq!(
        m["approximate_data_size"],
        before["approximate_data_size"] + 14.0
    );
    assert_eq!(m["num_alive_connections"], 1.0);
    assert_eq!(m["outstanding_requests"], 0.0);
    // The handshake does not count; the two creates and the read do (and any pings).
    assert!(m["packets_received"] >= 3.0, "{m:?}");
    assert!(
        m["packets_sent"] >= 4.0,
        "replies and the handshake's answer: {m:?}"
    );
    assert!(
        m["avg_latency"] > 0.0 && m["min_latency"] <= m["max_latency"],
        "{m:?}"
    );
    assert!(m["uptime"] > 0.0);
    assert_eq!(m["synced_followers"], 0.0);
    // The scrape these values came from passes promtool.
    let (status, said) = promtool(&http_get(port, "/metrics").1);
    assert_eq!(
        (status, said),
        (0, vec![]),
        "promtool on the workload's scrape"
    );

    c.delete("/m/e", None).await.unwrap();
    drop(c);
    let m = scrape_until(port, |m| m["num_alive_connections"] == 0.0);
    assert_eq!(m["num_alive_connections"], 0.0);
    assert_eq!(m["ephemerals_count"], 0.0);
    assert_eq!(
        m["approximate_data_size"],
        before["approximate_data_size"] + 7.0
    );

    assert_eq!(http_get(port, "/nothing-here").0, 404);
}

/// promtool parses and lints the scrape without a finding. ZooKeeper's three `_count` names
/// are declared `untyped`, the rest gauges (a gauge named `*_count` is a lint finding).
#[test]
fn promtool_passes_the_scrape() {
    let port = free_port();
    let _z = Zabd::start(&metrics_cfg(port), &[]);
    let (code, text) = http_get(port, "/metrics");
    assert_eq!(code, 200);
    let (status, said) = promtool(&text);
    assert_eq!(
        (status, said),
        (0, vec![]),
        "promtool's exit code and findings"
    );
    for name in ["znode_count", "ephemerals_count", "watch_count"] {
        assert!(text.contains(&format!("# TYPE {name} untyped\n")), "{text}");
    }
    assert!(text.contains("# TYPE uptime gauge\n"), "{text}");
    assert!(text.contains("# TYPE election_time summary\n"), "{text}");
}

#[test]
fn the_leader_reports_its_followers_and_its_election() {
    let e = Ensemble::zabd_metrics(3);
    let leader = e.leader().expect("a leader");
    let ports = e.metrics_ports();
    let index = e.client_ports().iter().position(|&p| p == leader).unwrap();
    let m = scrape_until(ports[index], |m| m["synced_followers"] == 2.0);
    assert_eq!(m["quorum_size"], 3.0);
    assert_eq!(m["synced_followers"], 2.0);
    assert_eq!(m["synced_observers"], 0.0);
    assert!(m["election_time_count"] >= 1.0, "{m:?}");
    assert!(m["election_time_sum"] >= 0.0 && m["election_time{quantile=\"0.5\"}"] >= 0.0);
    for (i, &p) in ports.iter().enumerate().filter(|&(i, _)| i != index) {
        let f = scrape(p);
        assert_eq!(f["synced_followers"], 0.0, "server {} follows", i + 1);
        assert_eq!(f["quorum_size"], 3.0);
    }
    // mntr has the leader's keys ZooKeeper 3.8 prints, and the descriptor counts.
    let mntr = zab::server::fourlw::ask(leader, "mntr").expect("mntr answers");
    let value = |key: &str| {
        mntr.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}\t")))
            .unwrap_or_else(|| panic!("no {key} in\n{mntr}"))
            .to_string()
    };
    for (key, want) in [
        ("zk_learners", "2"),
        ("zk_synced_followers", "2"),
        ("zk_synced_observers", "0"),
        ("zk_pending_syncs", "0"),
        ("zk_quorum_size", "3"),
    ] {
        assert_eq!(value(key), want, "{key}");
    }
    let open: u64 = value("zk_open_file_descriptor_count").parse().unwrap();
    let max: u64 = value("zk_max_file_descriptor_count").parse().unwrap();
    assert!(open > 3 && open < max, "{open} of {max}");
    let follower = e.client_ports()[(index + 1) % 3];
    let f = zab::server::fourlw::ask(follower, "mntr").expect("mntr answers");
    assert!(
        !f.contains("zk_learners") && f.contains("zk_quorum_size\t3"),
        "{f}"
    );
}

#[test]
fn a_metrics_port_that_cannot_be_bound_stops_the_start_with_code_3() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = refused_start(&metrics_cfg(port));
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("metrics port"),
        "{err}"
    );
}

#[test]
fn a_bad_provider_is_a_configuration_error() {
    let out = refused_start("metricsProvider.className=com.example.Nope\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("metricsProvider.className"));
}
