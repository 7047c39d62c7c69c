//! Runs `zab-chaos run` and reads its table row.

use std::path::Path;
use std::process::{Command, Output};

/// The figures of one campaign's row.
#[derive(Debug)]
pub struct Row {
    pub invoked: usize,
    pub ok: usize,
    pub failed: usize,
    pub unknown: usize,
    pub anomalies: usize,
    pub faults: usize,
}

/// Runs a campaign of `secs` seconds of faults (and 3 of healing) with `args`, its servers
/// and history in `dir`; its output is printed, so a failing run shows its seed.
pub fn campaign(exe: &str, dir: &Path, args: &[&str], secs: u32) -> (Output, Row) {
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
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    println!("{text}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.starts_with("zab-chaos: seed "), "the seed comes first");
    let row = text
        .lines()
        .find(|l| l.starts_with("zabd ") || l.starts_with("zookeeper "))
        .unwrap_or_else(|| panic!("no table row in {text}"));
    let n: Vec<usize> = row
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // servers, invoked, ok, failed, unknown, anomalies, faults
    assert_eq!(n.len(), 7, "{row}");
    (
        out,
        Row {
            invoked: n[1],
            ok: n[2],
            failed: n[3],
            unknown: n[4],
            anomalies: n[5],
            faults: n[6],
        },
    )
}
