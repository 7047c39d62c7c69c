//! A full disk for zabd: each server's dataDir on a small tmpfs of its own, and a nemesis that
//! fills one and frees it again.
//!
//! The tmpfs must outlive the server's process (a restarted server recovers from what its
//! disk kept) and must not appear in the host's mount table, nor need privilege. So the
//! campaign itself runs in a private mount namespace (`unshare --mount --map-root-user`,
//! entered by re-executing itself) and mounts there: every server it starts inherits the
//! namespace, and the mounts vanish with the campaign. Only the servers' data lives there;
//! configs, logs and the history stay on the host's disk.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// Set in the environment of a process that runs in the campaign's own mount namespace.
pub const NAMESPACE_ENV: &str = "ZAB_CHAOS_MOUNT_NAMESPACE";

/// The size of each server's tmpfs: far above what a campaign writes (a 60 s queue cell, the
/// largest, about 80 MB), so only the nemesis fills it.
pub const DISK_BYTES: u64 = 256 << 20;

/// The file that fills a server's disk.
const FILLER: &str = "zab-chaos.filler";

/// Whether this process runs in a mount namespace of its own (entered by `reexec`).
pub fn entered() -> bool {
    std::env::var_os(NAMESPACE_ENV).is_some()
}

/// Runs this program again, with the same arguments, in a private mount namespace (as root
/// of a new user namespace, so it needs no privilege); its exit status.
pub fn reexec() -> std::io::Result<ExitStatus> {
    let exe = std::env::current_exe()?;
    Command::new("unshare")
        .args([
            "--mount",
            "--map-root-user",
            "--propagation",
            "private",
            "--",
        ])
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(NAMESPACE_ENV, "1")
        .status()
        .map_err(|e| std::io::Error::new(e.kind(), format!("unshare (util-linux): {e}")))
}

/// Mounts a tmpfs of `bytes` on `dir`, which must exist (the namespace must be entered).
pub fn mount_tmpfs(dir: &Path, bytes: u64) -> std::io::Result<()> {
    if !entered() {
        return Err(std::io::Error::other(
            "a tmpfs disk needs the campaign's own mount namespace (namespace::reexec)",
        ));
    }
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o"])
        .arg(format!("size={bytes}"))
        .arg("zab-chaos-disk")
        .arg(dir)
        .output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "mount -t tmpfs on {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Fills the file system of `dir` with a filler file until a write fails with ENOSPC; the
/// filler.
pub fn fill(dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join(FILLER);
    let mut f = std::fs::File::create(&path)?;
    // Large chunks first, then smaller ones for the last partial chunk's room.
    for chunk in [1 << 20, 4096, 1] {
        let zeros = vec![0u8; chunk];
        loop {
            match f.write(&zeros) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::StorageFull => break,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(path)
}

/// Frees what `fill` took.
pub fn free(filler: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(filler) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mount_outside_the_namespace_is_refused() {
        if entered() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let err = mount_tmpfs(dir.path(), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("namespace"), "{err}");
    }
}
