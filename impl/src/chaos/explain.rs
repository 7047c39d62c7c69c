//! A failing register history made readable: each key whose operations cannot be
//! linearized is shrunk to its smallest failing window and drawn as a timeline, written
//! beside the history.

use super::linearizable::{self, Refuted};
use super::nemesis::FaultRecord;
use super::register::{Anomaly, Reads, Register, RegisterOperation};
use super::{shrink, timeline};
use std::path::{Path, PathBuf};

/// One key's anomaly, shrunk.
#[derive(Debug)]
pub struct Shrunk {
    /// The key.
    pub key: u32,
    /// The operations left in its smallest failing window.
    pub ops: usize,
    /// The timeline page.
    pub page: PathBuf,
}

/// The register's verdict on a history, as `zab-chaos run` and `zab-chaos check` give it.
#[derive(Debug, Default)]
pub struct RegisterVerdict {
    /// Anomalies beyond what `reads` promises.
    pub anomalies: Vec<Anomaly>,
    /// Anomalies `reads` allows (ZooKeeper's sync asks no quorum): listed, not failed on.
    pub allowed: Vec<Anomaly>,
    /// Each failing key's smallest failing window, drawn.
    pub shrunk: Vec<Shrunk>,
}

/// Checks `ops`, sorts the anomalies into those `reads` allows and the rest, and shrinks and
/// draws each key that is not linearizable (pages go to `dir`).
pub fn register_verdict(
    ops: &[RegisterOperation],
    reads: Reads,
    faults: &[FaultRecord],
    dir: &Path,
    budget: u64,
) -> std::io::Result<RegisterVerdict> {
    let found = crate::chaos::register::check(ops, reads, budget);
    let shrunk = shrink_anomalies(ops, &found, reads, faults, dir, budget)?;
    let (allowed, anomalies) = found.into_iter().partition(|a| a.allowed(reads));
    Ok(RegisterVerdict {
        anomalies,
        allowed,
        shrunk,
    })
}

/// Shrinks and draws each key that is not linearizable; pages go to `dir`.
pub fn shrink_anomalies(
    ops: &[RegisterOperation],
    anomalies: &[Anomaly],
    reads: Reads,
    faults: &[FaultRecord],
    dir: &Path,
    budget: u64,
) -> std::io::Result<Vec<Shrunk>> {
    let mut shrunk = Vec::new();
    for anomaly in anomalies {
        let Anomaly::NotLinearizable { key, .. } = anomaly else {
            continue;
        };
        let keyed: Vec<RegisterOperation> = ops
            .iter()
            .filter(|o| o.op.key() == *key && reads.checks(&o.op))
            .cloned()
            .collect();
        let fails =
            |w: &[RegisterOperation]| linearizable::check(&Register::ANY, w, budget).is_err();
        let Some(window) = shrink::smallest_window(&keyed, |o| o.is_read(), fails) else {
            continue;
        };
        let culprit = match linearizable::check(&Register::ANY, &window, budget) {
            Err(Refuted::NotLinearizable { op, .. }) => Some(op),
            _ => None,
        };
        let title = format!("key {key}: the smallest window that cannot be linearized");
        let page = dir.join(format!("anomaly-key-{key}.html"));
        std::fs::write(&page, timeline::html(&title, &window, faults, culprit))?;
        shrunk.push(Shrunk {
            key: *key,
            ops: window.len(),
            page,
        });
    }
    Ok(shrunk)
}
