//! The servers' disks: their dataDirs, restarts on a failing or slow disk (the faults build's
//! switches), and a full disk (a tmpfs the nemesis fills).

use super::Cluster;
use crate::chaos::namespace;
use std::path::Path;

impl Cluster {
    /// Server `id`'s dataDir.
    pub fn data_dir(&self, id: usize) -> &Path {
        &self.members[id - 1].data
    }

    /// Kills server `id` and starts it again with `lines` added to its zoo.cfg (a disk
    /// fault of the faults build): it may exit, as it should on a failing disk.
    pub fn restart_with(&mut self, id: usize, lines: &[String]) -> std::io::Result<()> {
        self.kill(id);
        let m = &mut self.members[id - 1];
        let extra: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&m.cfg, format!("{}{extra}", m.base))?;
        m.disk_fault = true;
        self.spawn(id)
    }

    /// Fills server `id`'s disk (a tmpfs of `Spec::disk_bytes`): its next write fails with
    /// ENOSPC, and it should exit with code 4.
    pub fn fill_disk(&mut self, id: usize) -> std::io::Result<()> {
        if self.spec.disk_bytes.is_none() {
            return Err(std::io::Error::other(
                "the servers' disks are not tmpfs mounts",
            ));
        }
        let m = &mut self.members[id - 1];
        m.filler = Some(namespace::fill(&m.data)?);
        m.was_full = true;
        Ok(())
    }

    /// Ends a disk fault: the disk has room again; the server runs again on its own zoo.cfg.
    pub(super) fn restore_disk(&mut self, id: usize) -> std::io::Result<()> {
        self.reap(id);
        if let Some(filler) = self.members[id - 1].filler.take() {
            namespace::free(&filler)?;
        }
        if self.members[id - 1].disk_fault {
            self.kill(id);
            let m = &mut self.members[id - 1];
            std::fs::write(&m.cfg, &m.base)?;
            m.disk_fault = false;
        }
        Ok(())
    }
}
