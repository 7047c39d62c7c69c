//! Storage throughput and recovery time on a real file system (a temp dir).
//!
//! - `append`: one batch appended and synced per iteration (group commit: one fsync per
//!   batch), at batch sizes 1, 10 and 100. Criterion's elements/s is records/s; the time
//!   per iteration is the time per fsync.
//! - `recover`: opening and recovering a directory holding 100k logged transactions after a
//!   100 MB snapshot (a stand-in for about 1M znodes). The files are in the page cache, so
//!   this measures reading, checksumming and decoding, not a cold disk.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zab::storage::{FileConfig, FileStorage, Storage};
use zab::{Txn, TxnEntry, TxnHeader, Zxid};

/// A SetData of 64 bytes on a realistic path: about 120 bytes logged.
fn entry(counter: u32) -> TxnEntry {
    TxnEntry {
        header: TxnHeader {
            session_id: 0x1000_0000_0000_0001,
            cxid: counter as i32,
            zxid: Zxid::new(1, counter),
            time: 1_700_000_000_000,
        },
        txn: Txn::SetData {
            path: format!("/app/config/node-{:06}", counter % 1_000_000),
            data: vec![counter as u8; 64].into(),
            version: counter as i32,
        },
    }
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("append");
    for batch in [1u32, 10, 100] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut storage = FileStorage::open(FileConfig::new(dir.path())).expect("open");
        let mut next = 1u32;
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(BenchmarkId::from_parameter(batch), |b| {
            b.iter(|| {
                let records: Vec<TxnEntry> = (next..next + batch).map(entry).collect();
                next += batch;
                storage.append(&records).expect("append");
                storage.sync().expect("sync");
            })
        });
    }
    group.finish();
}

const TXNS: u32 = 100_000;
const SNAPSHOT_BYTES: usize = 100 << 20;

/// A directory with a snapshot at 1.1 and the 100k transactions after it.
fn recovery_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut storage = FileStorage::open(FileConfig::new(dir.path())).expect("open");
    storage.append(&[entry(1)]).expect("append");
    storage.sync().expect("sync");
    // Not all one byte: a compressible blob could flatter a file system that compresses.
    let blob: Vec<u8> = (0..SNAPSHOT_BYTES).map(|i| (i * 31 % 251) as u8).collect();
    storage
        .save_snapshot(Zxid::new(1, 1), &blob)
        .expect("snapshot");
    for chunk in (2..TXNS + 2).collect::<Vec<_>>().chunks(1000) {
        let records: Vec<TxnEntry> = chunk.iter().map(|&c| entry(c)).collect();
        storage.append(&records).expect("append");
        storage.sync().expect("sync");
    }
    dir
}

fn recover(c: &mut Criterion) {
    let dir = recovery_dir();
    let mut group = c.benchmark_group("recover");
    group.sample_size(10);
    group.bench_function("100k_txns_100MB_snapshot", |b| {
        b.iter(|| {
            let mut storage = FileStorage::open(FileConfig::new(dir.path())).expect("open");
            let recovered = storage.recover().expect("recover");
            assert_eq!(recovered.entries.len(), TXNS as usize);
            assert_eq!(
                recovered.snapshot.map(|s| s.data.len()),
                Some(SNAPSHOT_BYTES)
            );
        })
    });
    group.finish();
}

criterion_group!(benches, append, recover);
criterion_main!(benches);
