//! Random histories of appends, syncs, crashes, truncations, snapshots and purges: the
//! memory and file backends must answer every operation alike and recover to the same
//! state, and that state must be what a plain model of a disk says it is.

use super::*;
use crate::storage::Recovered;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::mem::discriminant;

#[derive(Clone, Debug)]
enum Op {
    /// Appends `n` records, the first of them in a new epoch if `new_epoch`.
    Append {
        n: u32,
        new_epoch: bool,
    },
    Sync,
    Crash,
    /// Truncates to the `i`-th modelled record (modulo the count), or zero when none.
    Truncate {
        i: usize,
    },
    /// Snapshots the state at the last logged record.
    Snapshot,
    Purge {
        keep: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u32..5, proptest::bool::weighted(0.2))
            .prop_map(|(n, new_epoch)| Op::Append { n, new_epoch }),
        3 => Just(Op::Sync),
        1 => Just(Op::Crash),
        1 => any::<usize>().prop_map(|i| Op::Truncate { i }),
        1 => Just(Op::Snapshot),
        1 => (1usize..3).prop_map(|keep| Op::Purge { keep }),
    ]
}

/// What a disk holds, without files: the log, how much of it is durable, the snapshots.
#[derive(Default)]
struct Model {
    log: Vec<TxnEntry>,
    durable: usize,
    snapshots: BTreeMap<Zxid, Vec<u8>>,
}

impl Model {
    fn last(&self) -> Zxid {
        let logged = self.log.last().map_or(Zxid::ZERO, TxnEntry::zxid);
        let snap = self
            .snapshots
            .keys()
            .next_back()
            .copied()
            .unwrap_or(Zxid::ZERO);
        logged.max(snap)
    }

    fn next_entries(&self, n: u32, new_epoch: bool) -> Vec<TxnEntry> {
        let last = self.last();
        let (epoch, first) = match new_epoch || last == Zxid::ZERO {
            true => (last.epoch() + 1, 1),
            false => (last.epoch(), last.counter() + 1),
        };
        entries(epoch, first, first + n - 1)
    }

    fn truncate(&mut self, zxid: Zxid) {
        self.log.retain(|e| e.zxid() <= zxid);
        self.durable = self.durable.min(self.log.len());
        self.snapshots.retain(|&s, _| s <= zxid);
    }

    /// The newest snapshot and the records after it.
    fn expected(&self) -> (Option<Zxid>, Vec<TxnEntry>) {
        let snap = self.snapshots.keys().next_back().copied();
        let base = snap.unwrap_or(Zxid::ZERO);
        let after = self.log.iter().filter(|e| e.zxid() > base).cloned();
        (snap, after.collect())
    }
}

/// Both backends give the same answer: both `Ok` with equal values, or the same error.
fn same<T: PartialEq + std::fmt::Debug>(
    mem: Result<T, StorageError>,
    file: Result<T, StorageError>,
) -> Result<Option<T>, TestCaseError> {
    match (mem, file) {
        (Ok(m), Ok(f)) => {
            prop_assert_eq!(&m, &f);
            Ok(Some(m))
        }
        (Err(m), Err(f)) => {
            prop_assert_eq!(discriminant(&m), discriminant(&f), "{} vs {}", m, f);
            Ok(None)
        }
        (m, f) => Err(TestCaseError::fail(format!("mem {m:?}, file {f:?}"))),
    }
}

struct Pair {
    mem: MemStorage,
    file: FileDisk,
    model: Model,
}

impl Pair {
    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let (mem, file) = (&mut self.mem, &mut self.file.storage);
        match *op {
            Op::Append { n, new_epoch } => {
                let batch = self.model.next_entries(n, new_epoch);
                same(mem.append(&batch), file.append(&batch))?;
                self.model.log.extend(batch);
            }
            Op::Sync => {
                same(mem.sync(), file.sync())?;
                self.model.durable = self.model.log.len();
            }
            Op::Crash => return self.crash(),
            Op::Truncate { i } => {
                let zxid = match self.model.log.len() {
                    0 => Zxid::ZERO,
                    len => self.model.log[i % len].zxid(),
                };
                if same(mem.truncate_log(zxid), file.truncate_log(zxid))?.is_some() {
                    self.model.truncate(zxid);
                }
            }
            Op::Snapshot => {
                let zxid = mem.last_logged_zxid();
                let data = zxid.0.to_be_bytes().to_vec();
                same(
                    mem.save_snapshot(zxid, &data),
                    file.save_snapshot(zxid, &data),
                )?;
                self.model.snapshots.insert(zxid, data);
            }
            Op::Purge { keep } => {
                if let Some(report) = same(mem.purge(keep), file.purge(keep))? {
                    for z in report.snapshots_removed {
                        self.model.snapshots.remove(&z);
                    }
                }
            }
        }
        prop_assert_eq!(
            self.mem.last_logged_zxid(),
            self.file.storage.last_logged_zxid()
        );
        prop_assert_eq!(
            self.mem.log_file_starts(),
            self.file.storage.log_file_starts()
        );
        Ok(())
    }

    fn crash(&mut self) -> Result<(), TestCaseError> {
        self.mem.crash();
        self.file
            .reopen()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        self.model.log.truncate(self.model.durable);
        self.check_recovery()
    }

    fn check_recovery(&mut self) -> Result<(), TestCaseError> {
        let view = |r: Recovered| (r.snapshot.map(|s| s.zxid), r.entries, r.report);
        let got = same(
            self.mem.recover().map(view),
            self.file.storage.recover().map(view),
        )?;
        // Purge may remove records the model still lists, but never ones recovery needs;
        // a truncation that would have made a gap was refused.
        let Some((snap, entries, report)) = got else {
            return Err(TestCaseError::fail("recovery failed on both backends"));
        };
        prop_assert!(report.is_clean(), "{}", report);
        prop_assert_eq!((snap, entries), self.model.expected());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn storage_backends_agree_with_each_other_and_a_model(ops in proptest::collection::vec(op(), 1..40)) {
        // Three records a file, so histories roll, purge and cut across files.
        let size = records_per_file(3);
        let mut pair = Pair {
            mem: MemStorage::new(size),
            file: FileDisk::new(size),
            model: Model::default(),
        };
        for op in &ops {
            pair.step(op)?;
        }
        pair.crash()?;
    }
}
