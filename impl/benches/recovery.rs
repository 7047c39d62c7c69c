//! A server's start from disk, end to end: open the data directory, recover the newest
//! snapshot and the log after it, restore the DataTree and session table from the snapshot and
//! replay the log through `Replica::new` — exactly what `zabd` does before it votes.
//!
//! The directory holds a snapshot of 1M znodes (1,000 parents × 1,000 children, 32-byte
//! values, 1,000 sessions) and 100k setData transactions logged after it. The files are in
//! the page cache, so this measures reading, checksumming, decoding and applying, not a cold
//! disk.

use criterion::{criterion_group, criterion_main, Criterion};
use zab::acl::Acl;
use zab::database::ZkDatabase;
use zab::replica::{Config, Replica, StateMachine};
use zab::storage::{recover_durable, EpochKind, FileConfig, FileStorage, Storage};
use zab::{CreateMode, Txn, TxnEntry, TxnHeader, Zxid};

const PARENTS: u32 = 1_000;
const CHILDREN: u32 = 1_000;
const TXNS: u32 = 100_000;
const SESSIONS: i64 = 1_000;

fn at(counter: u32, session_id: i64, txn: Txn) -> TxnEntry {
    TxnEntry {
        header: TxnHeader {
            session_id,
            cxid: counter as i32,
            zxid: Zxid::new(1, counter),
            time: 1_700_000_000_000 + i64::from(counter),
        },
        txn,
    }
}

fn create(path: String, parent_cversion: i32) -> Txn {
    Txn::Create {
        path,
        data: vec![7; 32].into(),
        acl: Acl::open_unsafe().into(),
        mode: CreateMode::Persistent,
        parent_cversion,
        ttl: -1,
    }
}

/// The database at the snapshot: sessions, parents, children, each a committed transaction.
fn populated() -> (ZkDatabase, u32) {
    let mut db = ZkDatabase::default();
    let mut n = 0;
    let mut next = |db: &mut ZkDatabase, session: i64, txn: Txn| {
        n += 1;
        let out = db.apply(&at(n, session, txn));
        assert_eq!(out.result.error(), None);
    };
    for s in 1..=SESSIONS {
        let create = Txn::CreateSession {
            timeout_ms: 10_000,
            password: zab::session::Password([s as u8; 16]),
        };
        next(&mut db, s, create);
    }
    for p in 0..PARENTS {
        next(&mut db, 1, create(format!("/app{p:04}"), p as i32 + 1));
        for c in 0..CHILDREN {
            next(
                &mut db,
                1,
                create(format!("/app{p:04}/node{c:06}"), c as i32 + 1),
            );
        }
    }
    (db, n)
}

fn recovery_dir() -> (tempfile::TempDir, Zxid) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut storage = FileStorage::open(FileConfig::new(dir.path())).expect("open");
    let (db, last) = populated();
    let builtin = ZkDatabase::default().tree().len();
    assert_eq!(
        db.tree().len() - builtin,
        (PARENTS * (CHILDREN + 1)) as usize
    );
    let snap = Zxid::new(1, last);
    storage
        .save_snapshot(snap, &db.snapshot())
        .expect("snapshot");
    for chunk in (last + 1..=last + TXNS).collect::<Vec<_>>().chunks(1000) {
        let records: Vec<TxnEntry> = chunk
            .iter()
            .map(|&n| {
                let target = n % (PARENTS * CHILDREN);
                let txn = Txn::SetData {
                    path: format!("/app{:04}/node{:06}", target / CHILDREN, target % CHILDREN),
                    data: vec![n as u8; 32].into(),
                    version: 1,
                };
                at(n, 1, txn)
            })
            .collect();
        storage.append(&records).expect("append");
        storage.sync().expect("sync");
    }
    storage.set_epoch(EpochKind::Accepted, 1).expect("epoch");
    storage.set_epoch(EpochKind::Current, 1).expect("epoch");
    (dir, Zxid::new(1, last + TXNS))
}

fn recover(c: &mut Criterion) {
    let (dir, last) = recovery_dir();
    let mut group = c.benchmark_group("start");
    group.sample_size(10);
    group.bench_function("1M_znodes_100k_txns", |b| {
        b.iter(|| {
            let mut storage = FileStorage::open(FileConfig::new(dir.path())).expect("open");
            let (durable, _) = recover_durable(&mut storage).expect("recover");
            let (replica, _) = Replica::new(
                Config::new(1, &[1, 2, 3], &[]),
                durable,
                ZkDatabase::default(),
            )
            .expect("the snapshot restores");
            assert_eq!(replica.last_processed(), last);
            assert_eq!(replica.state_machine().sessions().count() as i64, SESSIONS);
            replica
        })
    });
    group.finish();
}

criterion_group!(benches, recover);
criterion_main!(benches);
