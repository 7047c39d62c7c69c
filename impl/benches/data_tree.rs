//! DataTree throughput: create / getData / setData / a getChildren of 1,000 per second,
//! snapshot `clone()` at 1k, 100k and 1M znodes (expected flat: the `im` maps are shared, so
//! cloning is O(1)), snapshot serialization in bytes per second, and compaction at 100k.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use zab::acl::Acl;
use zab::data_tree::{Caller, CreateRequest, DataTree, Request, RequestContext, TreeOptions};
use zab::txn::{CreateMode, Txn, TxnEntry, TxnHeader};
use zab::wire::response::{self, Reply};
use zab::Zxid;

/// A tree of `n` znodes with 100-byte values, 1000 per parent, built by applying create
/// transactions directly (the leader's prepare step is measured separately).
fn tree_of(n: u32) -> DataTree {
    let mut tree = DataTree::new();
    let mut counter = 0u32;
    let mut apply = |tree: &mut DataTree, path: String| {
        counter += 1;
        let header = TxnHeader {
            session_id: 1,
            cxid: 0,
            zxid: Zxid::new(1, counter),
            time: i64::from(counter),
        };
        let txn = Txn::Create {
            path,
            data: vec![7; 100].into(),
            acl: Acl::open_unsafe().into(),
            mode: CreateMode::Persistent,
            parent_cversion: -1,
            ttl: -1,
        };
        tree.apply(&TxnEntry { header, txn });
    };
    for i in 0..n {
        if i % 1000 == 0 {
            apply(&mut tree, format!("/b{}", i / 1000));
        }
        apply(&mut tree, format!("/b{}/n{i}", i / 1000));
    }
    tree
}

/// Prepares and applies one request, as leader and follower both do.
fn write(tree: &mut DataTree, n: &mut u32, req: &Request) {
    *n += 1;
    let ctx = RequestContext::new(1, Zxid::new(2, *n), i64::from(*n));
    let txn = tree.prepare_txn(req, &ctx);
    black_box(tree.apply(&TxnEntry {
        header: ctx.header(),
        txn,
    }));
}

fn ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("ops");
    group.throughput(Throughput::Elements(1));
    let mut tree = tree_of(100_000);
    let mut n = 0u32;
    group.bench_function("create", |b| {
        b.iter(|| {
            let path = format!("/b7/new{n}");
            let req = Request::Create(CreateRequest::new(
                &path,
                &[1; 100],
                Acl::open_unsafe(),
                CreateMode::Persistent,
            ));
            write(&mut tree, &mut n, &req);
        })
    });
    let set = Request::SetData {
        path: "/b42/n42042".into(),
        data: vec![2; 100],
        version: -1,
    };
    group.bench_function("set_data", |b| b.iter(|| write(&mut tree, &mut n, &set)));
    let caller = Caller::anonymous();
    group.bench_function("get_data", |b| {
        b.iter(|| black_box(tree.get_data("/b42/n42042", &caller)))
    });
    // A getChildren of 1,000 children as a server answers it: the names, then the packet.
    group.bench_function("get_children_1000", |b| {
        b.iter(|| {
            let (names, _) = tree.get_children("/b42", &caller).unwrap();
            let reply = Reply::Children(names);
            black_box(response::reply(1, Zxid::new(1, 1), 0, &reply))
        })
    });
    group.finish();
}

/// Rebuilding a tree grown by creates with full map leaves (`DataTree::compacted`, what an
/// idle server's compaction does to its base state).
fn compaction(c: &mut Criterion) {
    let mut group = c.benchmark_group("compaction");
    let tree = tree_of(100_000);
    group.bench_function("compacted_100k", |b| b.iter(|| black_box(tree.compacted())));
    group.finish();
}

fn snapshot_clone(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot_clone");
    for n in [1_000, 100_000, 1_000_000] {
        let tree = tree_of(n);
        group.bench_function(format!("{n}"), |b| b.iter(|| black_box(tree.clone())));
    }
    group.finish();
}

fn snapshot_serialize(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot_serialize");
    let tree = tree_of(100_000);
    let bytes = tree.serialize_snapshot();
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("serialize_100k", |b| {
        b.iter(|| black_box(tree.clone().serialize_snapshot()))
    });
    group.bench_function("restore_100k", |b| {
        b.iter_batched(
            || bytes.clone(),
            |bytes| black_box(DataTree::restore_snapshot(&bytes, TreeOptions::default())),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// `mntr`'s ephemeral count at 1k and 100k znodes: the walk over every node it made before
/// (the anchor) beside the index's count it reads now, which must not grow with the tree.
fn mntr_counts(c: &mut Criterion) {
    let mut group = c.benchmark_group("mntr_ephemerals_count");
    for n in [1_000, 100_000] {
        let tree = tree_of(n);
        group.bench_function(format!("walk/{n}"), |b| {
            b.iter(|| {
                let walk = tree
                    .iter()
                    .filter(|(_, node)| node.stat().ephemeral_owner > 0);
                black_box(walk.count())
            })
        });
        group.bench_function(format!("index/{n}"), |b| {
            b.iter(|| black_box(tree.ephemeral_count()))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    ops,
    snapshot_clone,
    snapshot_serialize,
    compaction,
    mntr_counts
);
criterion_main!(benches);
