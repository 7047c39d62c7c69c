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
