//! Disk faults for zabd: a crash in the middle of a log write (a torn tail), a disk whose
//! fsyncs start failing (the faults build's `zab.fault.fsyncFailsAfter`, on which zabd must
//! stop with exit code 4 rather than go on without durability), and a slow disk (every log
//! fsync delayed, `zab.fault.fsyncDelayMs`).

use super::cluster::Cluster;
use super::nemesis::Rng;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The newest transaction log file of a dataDir (`log.<first zxid in hex>`).
pub fn newest_log(data: &Path) -> std::io::Result<Option<PathBuf>> {
    let mut newest: Option<(u64, PathBuf)> = None;
    for entry in std::fs::read_dir(data)? {
        let path = entry?.path();
        let zxid = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("log."))
            .and_then(|hex| u64::from_str_radix(hex, 16).ok());
        if let Some(z) = zxid {
            if newest.as_ref().is_none_or(|(best, _)| z > *best) {
                newest = Some((z, path));
            }
        }
    }
    Ok(newest.map(|(_, p)| p))
}

/// SIGKILL server `id` as it writes: its newest log file ends in a partial record (up to
/// 100 bytes of it), which a restart must cut off and go on from.
pub fn tear_tail(cluster: &mut Cluster, id: usize, rng: &mut Rng) -> std::io::Result<()> {
    cluster.kill(id);
    if let Some(log) = newest_log(cluster.data_dir(id))? {
        let partial: Vec<u8> = (0..1 + rng.below(100))
            .map(|_| rng.next_u64() as u8)
            .collect();
        std::fs::OpenOptions::new()
            .append(true)
            .open(log)?
            .write_all(&partial)?;
    }
    cluster.restart(id)
}

/// Restarts server `id` on a disk whose log fsyncs fail after `after` more.
pub fn fail_fsync(cluster: &mut Cluster, id: usize, after: u64) -> std::io::Result<()> {
    cluster.restart_with(id, &[format!("zab.fault.fsyncFailsAfter={after}")])
}

/// Restarts server `id` on a disk whose every log fsync takes `ms` longer.
pub fn slow_fsync(cluster: &mut Cluster, id: usize, ms: u64) -> std::io::Result<()> {
    cluster.restart_with(id, &[format!("zab.fault.fsyncDelayMs={ms}")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_log_is_the_highest_zxid() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "log.100000001",
            "log.2000000a1",
            "log.30000001",
            "snapshot.500000000",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let newest = newest_log(dir.path()).unwrap().unwrap();
        assert!(newest.ends_with("log.2000000a1"), "{newest:?}");
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(newest_log(empty.path()).unwrap(), None);
    }
}
