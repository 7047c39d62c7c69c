//! `zab-bench` against a running 3-server `zabd ensemble`: the JSON it promises, the
//! read/write mix it was asked for, `--compare`, `--preload`, `--rss`, `--workload churn`,
//! `children` and `watch`, and clear errors
//! for bad arguments and an unreachable target.

use std::process::{Command, Output};
use support::Ensemble;

mod support;

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zab-bench"))
        .args(args)
        .output()
        .expect("run zab-bench")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "zab-bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn bench_measures_a_zabd_ensemble() {
    let e = Ensemble::zabd(3, 0);
    let common = [
        "--clients",
        "4",
        "--pipeline",
        "8",
        "--ops",
        "2000",
        "--json",
    ];

    let mixed = json(&bench(&[&["--connect", &e.hosts], &common[..]].concat()));
    let t = &mixed["targets"][0];
    assert_eq!(t["connect"], e.hosts.as_str());
    assert!(t["writes_per_s"].as_f64().unwrap() > 0.0, "{mixed}");
    assert!(t["reads_per_s"].as_f64().unwrap() > 0.0, "{mixed}");
    let ms = |k: &str| {
        t[k].as_f64()
            .unwrap_or_else(|| panic!("{k} missing: {mixed}"))
    };
    let (p50, p99, p999) = (ms("p50_ms"), ms("p99_ms"), ms("p999_ms"));
    assert!(0.0 < p50 && p50 <= p99 && p99 <= p999, "{mixed}");
    // The default read ratio is 0.5: about as many reads as writes (2,000 seeded choices).
    let (reads, writes) = (ms("reads_per_s"), ms("writes_per_s"));
    let share = reads / (reads + writes);
    assert!((0.4..0.6).contains(&share), "read share {share}: {mixed}");
    assert!(mixed.get("ratio").is_none(), "no ratio without --compare");

    let writes = json(&bench(
        &[&["--connect", &e.hosts, "--read-ratio", "0"], &common[..]].concat(),
    ));
    assert_eq!(writes["targets"][0]["reads_per_s"], 0.0, "{writes}");
    assert!(writes["targets"][0]["writes_per_s"].as_f64().unwrap() > 0.0);

    let twice = json(&bench(
        &[&["--connect", &e.hosts, "--compare", &e.hosts], &common[..]].concat(),
    ));
    assert_eq!(twice["targets"].as_array().unwrap().len(), 2);
    assert!(twice["ratio"]["writes"].as_f64().unwrap() > 0.0, "{twice}");
    assert!(twice["ratio"]["reads"].as_f64().unwrap() > 0.0, "{twice}");

    let table = bench(&["--connect", &e.hosts, "--ops", "500"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(table.status.success() && text.contains("writes/s") && text.contains("p999 ms"));
}

/// `--preload` creates its znodes once (a second run finds them and creates none), and
/// `--rss` finds each local server's process by its port and reports its memory.
#[test]
fn bench_preloads_and_reports_each_servers_memory() {
    let e = Ensemble::zabd(3, 0);
    let args = ["--preload", "3000", "--rss", "--ops", "500", "--json"];
    let first = json(&bench(&[&["--connect", &e.hosts], &args[..]].concat()));
    let t = &first["targets"][0];
    assert_eq!(t["preloaded"], 3000, "{first}");
    assert!(t["preload_per_s"].as_f64().unwrap() > 0.0, "{first}");
    let rss = t["rss_mb"].as_array().expect("rss_mb");
    assert_eq!(rss.len(), 3, "{first}");
    assert!(
        rss.iter().all(|m| m.as_f64().is_some_and(|m| m > 1.0)),
        "every server measured: {first}"
    );
    let again = json(&bench(&[&["--connect", &e.hosts], &args[..]].concat()));
    assert_eq!(again["targets"][0]["preloaded"], 0, "{again}");
}

/// Churn: creates and deletes only, and every create's delete is sent even when the budget
/// runs out between them (an odd `--ops` over pipelined sessions): a second run creates the
/// same children again, which fails with NodeExists if the first left one behind.
#[test]
fn bench_churns_creates_and_deletes_and_leaves_no_child() {
    let e = Ensemble::zabd(3, 0);
    let args = [
        "--workload",
        "churn",
        "--clients",
        "4",
        "--pipeline",
        "3",
        "--ops",
        "1001",
        "--json",
    ];
    for run in 0..2 {
        let out = json(&bench(&[&["--connect", &e.hosts], &args[..]].concat()));
        let t = &out["targets"][0];
        assert_eq!(t["reads_per_s"], 0.0, "run {run}: {out}");
        assert!(
            t["writes_per_s"].as_f64().unwrap() > 0.0,
            "run {run}: {out}"
        );
    }
}

/// getChildren of a znode with 300 children: reads only, every one answered without an
/// error (an error would fail the run), and a second run reuses the children.
#[test]
fn bench_lists_the_children_of_a_wide_znode() {
    let e = Ensemble::zabd(3, 0);
    let args = [
        "--workload",
        "children",
        "--children",
        "300",
        "--ops",
        "500",
        "--json",
    ];
    for run in 0..2 {
        let out = json(&bench(&[&["--connect", &e.hosts], &args[..]].concat()));
        let t = &out["targets"][0];
        assert_eq!(t["writes_per_s"], 0.0, "run {run}: {out}");
        assert!(t["reads_per_s"].as_f64().unwrap() > 0.0, "run {run}: {out}");
    }
}

/// 50 watchers of one znode spread over 3 servers, 20 writes: each write reaches all 50
/// (a missed notification fails the run), so the notifications are 50 times the writes,
/// and the table says what its columns mean for this workload.
#[test]
fn bench_times_a_write_to_its_last_watcher() {
    let e = Ensemble::zabd(3, 0);
    let args = ["--workload", "watch", "--watchers", "50", "--ops", "20"];
    let out = json(&bench(
        &[&["--connect", &e.hosts, "--json"], &args[..]].concat(),
    ));
    let t = &out["targets"][0];
    let (writes, reads) = (
        t["writes_per_s"].as_f64().unwrap(),
        t["reads_per_s"].as_f64().unwrap(),
    );
    assert!(writes > 0.0, "{out}");
    assert!((reads / writes - 50.0).abs() < 1e-6, "{out}");
    assert_eq!(t["watchers"], 50, "{out}");
    let table = bench(&[&["--connect", &e.hosts], &args[..]].concat());
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("50 watchers"), "{text}");
}

#[test]
fn bench_rejects_bad_arguments_and_unreachable_targets() {
    for args in [
        &["--connect", "127.0.0.1:1", "--read-ratio", "1.5"][..],
        &["--connect", "127.0.0.1:1", "--clients", "0"][..],
        &["--connect", "no-port-here"][..],
    ] {
        let out = bench(args);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(!out.stderr.is_empty(), "{args:?} gave no reason");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = bench(&["--connect", &format!("127.0.0.1:{port}"), "--ops", "10"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&port.to_string()));
}
