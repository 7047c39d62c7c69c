//! What `zab-chaos run` and `zab-chaos check` print: a campaign's table row, its anomalies
//! (and those ZooKeeper's guarantees allow), the shrunk windows, and the verdict as an exit
//! code.

use super::BUDGET;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;
use zab::chaos::campaign::{Campaign, Report, WorkloadKind};
use zab::chaos::explain::{self, Shrunk};
use zab::chaos::history;
use zab::chaos::nemesis::FaultRecord;
use zab::chaos::register::Reads;

/// The workload's name in the table: `register-lin` when reads are checked as linearizable.
fn workload_label(c: &Campaign) -> String {
    let name = format!("{:?}", c.workload).to_lowercase();
    match (c.workload, c.reads) {
        (WorkloadKind::Register, Reads::Linearizable) => format!("{name}-lin"),
        _ => name,
    }
}

pub(crate) fn print_report(c: &Campaign, r: &Report, took: Duration) -> ExitCode {
    println!(
        "{:<9} {:>7} {:<9} {:<10} {:>8} {:>8} {:>7} {:>8} {:>5} {:>9} {:>7}",
        "target",
        "servers",
        "workload",
        "faults",
        "invoked",
        "ok",
        "failed",
        "unknown",
        "lost",
        "anomalies",
        "faults"
    );
    println!(
        "{:<9} {:>7} {:<9} {:<10} {:>8} {:>8} {:>7} {:>8} {:>5} {:>9} {:>7}",
        c.spec.target.name(),
        c.spec.servers,
        workload_label(c),
        format!("{:?}", c.schedule.kind).to_lowercase(),
        r.invoked,
        r.ok,
        r.failed,
        r.unknown,
        r.lost.map_or("-".to_string(), |n| n.to_string()),
        r.anomalies.len(),
        r.faults.len()
    );
    println!(
        "history: {} ({:.0} s)",
        r.history.display(),
        took.as_secs_f64()
    );
    if r.disk_exits > 0 {
        println!(
            "servers on a failing or full disk stopped, as they should: {}",
            r.disk_exits
        );
    }
    for (id, status) in &r.exits {
        println!("server {id} exited by itself: {status}");
    }
    for a in &r.anomalies {
        println!("anomaly: {a}");
    }
    print_allowed(r.allowed.iter());
    print_shrunk(&r.shrunk);
    if r.anomalies.is_empty() && r.exits.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Anomalies ZooKeeper's guarantees allow: listed, not failed on.
fn print_allowed(allowed: impl Iterator<Item = impl std::fmt::Display>) {
    for a in allowed {
        println!("allowed by ZooKeeper's sync (not quorum-confirmed): {a}");
    }
}

fn print_shrunk(shrunk: &[Shrunk]) {
    for s in shrunk {
        println!(
            "key {}: shrunk to {} operations, drawn in {}",
            s.key,
            s.ops,
            s.page.display()
        );
    }
}

pub(crate) fn check(path: &Path, linearizable_reads: bool) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("zab-chaos: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let events = match history::from_json_lines(&text) {
        Ok(e) => e,
        Err((line, e)) => {
            eprintln!("zab-chaos: {}:{line}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let ops = match history::operations(&events) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("zab-chaos: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let reads = if linearizable_reads {
        Reads::Linearizable
    } else {
        Reads::Sequential
    };
    // The faults of the same run, if they are beside the history.
    let dir = path.parent().unwrap_or(Path::new("."));
    let faults: Vec<FaultRecord> = std::fs::read_to_string(dir.join("faults.jsonl"))
        .map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default();
    let v = match explain::register_verdict(&ops, reads, &faults, dir, BUDGET) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("zab-chaos: timelines not written: {e}");
            return ExitCode::from(3);
        }
    };
    println!(
        "{} operations, {} anomalies, {} allowed",
        ops.len(),
        v.anomalies.len(),
        v.allowed.len()
    );
    for a in &v.anomalies {
        println!("anomaly: {a}");
    }
    print_allowed(v.allowed.iter());
    print_shrunk(&v.shrunk);
    if v.anomalies.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
