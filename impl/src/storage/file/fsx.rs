//! File-system helpers: names, directory fsync, atomic replacement.

use crate::storage::error::{IoContext, StorageError};
use crate::zxid::Zxid;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// Prefix of a transaction log file's name; the hex zxid of its first record follows.
pub const LOG_PREFIX: &str = "log.";
/// Prefix of a snapshot file's name; the hex zxid of the last transaction it holds follows.
pub const SNAP_PREFIX: &str = "snapshot.";
/// Suffix of a file being written before its atomic rename.
pub const TEMP_SUFFIX: &str = ".tmp";

/// `log.<hex zxid>` / `snapshot.<hex zxid>`, lower-case hex without padding, as ZooKeeper.
pub fn file_name(prefix: &str, zxid: Zxid) -> String {
    format!("{prefix}{:x}", zxid.0)
}

/// The zxid in a name `file_name` made; anything else (temp files, other files) is `None`.
pub fn parse_name(prefix: &str, name: &str) -> Option<Zxid> {
    let hex = name.strip_prefix(prefix)?;
    let value = u64::from_str_radix(hex, 16).ok()?;
    // Only the canonical spelling, so two names can never denote one zxid.
    (format!("{value:x}") == hex).then_some(Zxid(value))
}

fn entry_names(dir: &Path) -> Result<Vec<String>, StorageError> {
    let ctx = || format!("listing {}", dir.display());
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).ctx(ctx)? {
        names.push(entry.ctx(ctx)?.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

/// The zxids of the files named `prefix<hex>` in `dir`, ascending.
pub fn list(dir: &Path, prefix: &str) -> Result<Vec<Zxid>, StorageError> {
    let mut zxids: Vec<Zxid> = entry_names(dir)?
        .iter()
        .filter_map(|n| parse_name(prefix, n))
        .collect();
    zxids.sort();
    Ok(zxids)
}

/// The file whose lock marks a directory as in use by one `FileStorage`.
pub const LOCK_FILE: &str = "zab.lock";

/// Takes the directory's exclusive lock (an advisory `flock` on `zab.lock`), held for as long
/// as the returned file is open: a second server pointed at the same dataDir or dataLogDir
/// is refused instead of interleaving its writes. The OS drops the lock when the process
/// dies, so a crash never leaves a stale lock behind.
pub fn lock_dir(dir: &Path) -> Result<File, StorageError> {
    let path = dir.join(LOCK_FILE);
    let ctx = || format!("locking {}", path.display());
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .ctx(ctx)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(StorageError::Locked {
            dir: dir.display().to_string(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(e).ctx(ctx),
    }
}

/// Creates `dir` and its missing parents, and makes `dir`'s entry and its entries durable:
/// a directory whose entry never reached the disk may be gone after a power cut, with every
/// file fsynced in it since. Done at every start, not only when it creates: a server that
/// stopped between creating a directory (or a log file in it) and its fsync, or whose
/// directory fsync failed, would otherwise go on trusting an entry only the page cache holds.
pub fn create_dir_durably(dir: &Path) -> Result<(), StorageError> {
    // `dir` and its parents up to the first that existed before: each holds the entry of
    // the one below it (or, for `dir`, its files).
    let mut to_sync = vec![dir.to_path_buf()];
    let mut d = dir;
    while let Some(parent) = d.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        to_sync.push(parent.to_path_buf());
        if parent.exists() {
            break;
        }
        d = parent;
    }
    std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
    to_sync.iter().rev().try_for_each(|d| fsync_dir(d))
}

/// Makes the directory's entries (creations, renames, deletions) durable.
pub fn fsync_dir(dir: &Path) -> Result<(), StorageError> {
    let ctx = || format!("fsync of directory {}", dir.display());
    File::open(dir).ctx(ctx)?.sync_all().ctx(ctx)
}

/// Replaces `dir/name` with `parts` so that a crash leaves the old contents or the new, never
/// a mix (ZooKeeper's AtomicFileOutputStream): write a temp file, fsync it, rename it over
/// the target, fsync the directory.
pub fn atomic_write(dir: &Path, name: &str, parts: &[&[u8]]) -> Result<(), StorageError> {
    atomic_write_with(dir, name, |file| {
        parts.iter().try_for_each(|part| file.write_all(part))
    })
}

/// `atomic_write` of what `write` writes into the temp file (which it may also seek in).
pub fn atomic_write_with(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), StorageError> {
    let tmp = dir.join(format!("{name}{TEMP_SUFFIX}"));
    let ctx = || format!("writing {}", tmp.display());
    let mut file = File::create(&tmp).ctx(ctx)?;
    write(&mut file).ctx(ctx)?;
    file.sync_all().ctx(ctx)?;
    drop(file);
    let target = dir.join(name);
    fs::rename(&tmp, &target)
        .ctx(|| format!("renaming {} over {}", tmp.display(), target.display()))?;
    fsync_dir(dir)
}

/// Removes leftovers of interrupted atomic writes (their targets were never replaced, so
/// they hold nothing durable) and returns their names.
pub fn remove_temp_files(dir: &Path) -> Result<Vec<String>, StorageError> {
    let mut removed = Vec::new();
    for name in entry_names(dir)? {
        if name.ends_with(TEMP_SUFFIX) {
            let path = dir.join(&name);
            fs::remove_file(&path).ctx(|| format!("removing {}", path.display()))?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

pub fn remove(dir: &Path, name: &str) -> Result<(), StorageError> {
    let path = dir.join(name);
    fs::remove_file(&path).ctx(|| format!("removing {}", path.display()))
}

/// The whole file, or `None` if it does not exist.
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, StorageError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).ctx(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_dir_durably_makes_missing_parents_and_keeps_existing_ones() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("a").join("b").join("version-2");
        create_dir_durably(&nested).unwrap();
        assert!(nested.is_dir());
        std::fs::write(nested.join("kept"), b"x").unwrap();
        create_dir_durably(&nested).unwrap();
        assert!(nested.join("kept").exists());
        // Under a file it cannot be created: a named error, not a panic.
        let file = root.path().join("plain");
        std::fs::write(&file, b"x").unwrap();
        let err = create_dir_durably(&file.join("sub")).unwrap_err();
        assert!(err.to_string().contains("creating"), "{err}");
    }
}
