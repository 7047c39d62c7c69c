//! Runs `zab-chaos run` and reads its table row.
#![allow(dead_code)] // each test binary reads its own fields

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

/// One campaign at a time per test binary: two ensembles, their clients and their checks
/// on two cores starve each other, and a starved run times out more requests, whose
/// unknown outcomes make its histories slow to check.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The figures of one campaign's row.
#[derive(Debug)]
pub struct Row {
    pub invoked: usize,
    pub ok: usize,
    pub failed: usize,
    pub unknown: usize,
    /// Acknowledged writes missing at the end, where the workload tells.
    pub lost: Option<usize>,
    pub anomalies: usize,
    pub faults: usize,
}

/// Runs a campaign of `secs` seconds of faults (and 3 of healing) with `args`, its servers
/// and history in `dir`; its output is printed, so a failing run shows its seed.
pub fn campaign(exe: &str, dir: &Path, args: &[&str], secs: u32) -> (Output, Row) {
    let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new(exe)
        .args([
            "run",
            "--duration",
            &secs.to_string(),
            "--healing",
            "3",
            "--dir",
        ])
        .arg(dir)
        .args(args)
        .output()
        .expect("zab-chaos runs");
    drop(turn);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    println!("{text}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("zab-chaos: seed "), "the seed comes first");
    let row = text
        .lines()
        .find(|l| l.starts_with("zabd ") || l.starts_with("zookeeper "))
        .unwrap_or_else(|| panic!("no table row in {text}"));
    // target servers workload faults invoked ok failed unknown lost anomalies faults
    let f: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(f.len(), 11, "{row}");
    let n = |i: usize| -> usize { f[i].parse().unwrap_or_else(|_| panic!("{row}")) };
    (
        out,
        Row {
            invoked: n(4),
            ok: n(5),
            failed: n(6),
            unknown: n(7),
            lost: f[8].parse().ok(),
            anomalies: n(9),
            faults: n(10),
        },
    )
}
