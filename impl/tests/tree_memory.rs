//! The heap a DataTree of many znodes takes, counted by dhat: built by creates in path order
//! (as a preload or a run of sequential znodes builds it), compacted (as an idle server
//! does, `replica::compaction`), and restored from its snapshot; the last two build the map
//! with full leaves (`data_tree::packing`). One test: dhat counts the whole process, so
//! nothing else may allocate meanwhile.

use zab::acl::Acl;
use zab::data_tree::{DataTree, TreeOptions};
use zab::txn::{CreateMode, Txn, TxnEntry, TxnHeader};
use zab::Zxid;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const ZNODES: u32 = 50_000;

/// `n` znodes `/n00000000`, … with empty data, created in path order.
fn created_in_order(n: u32) -> DataTree {
    let mut tree = DataTree::new();
    for i in 1..=n {
        let header = TxnHeader {
            session_id: 1,
            cxid: 0,
            zxid: Zxid::new(1, i),
            time: 0,
        };
        let txn = Txn::Create {
            path: format!("/n{i:08}"),
            data: Vec::new().into(),
            acl: Acl::open_unsafe().into(),
            mode: CreateMode::Persistent,
            parent_cversion: -1,
            ttl: -1,
        };
        tree.apply(&TxnEntry { header, txn });
    }
    tree
}

fn heap_bytes() -> u64 {
    dhat::HeapStats::get().curr_bytes as u64
}

#[test]
fn a_compacted_or_restored_tree_takes_about_half_the_leaf_memory_of_one_built_in_order() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let start = heap_bytes();
    let built = created_in_order(ZNODES);
    let built_bytes = heap_bytes() - start;
    let snapshot = built.serialize_snapshot();
    // The compacted tree shares the built one's paths and nodes: what it holds once the
    // built one is gone is the whole tree.
    let before = heap_bytes();
    let compacted = built.compacted();
    assert!(compacted == built, "compaction keeps the tree");
    drop(built);
    let compacted_bytes = heap_bytes() + built_bytes - before;
    let start = heap_bytes();
    let restored = DataTree::restore_snapshot(&snapshot, TreeOptions::default()).unwrap();
    let restored_bytes = heap_bytes() - start;
    assert!(restored == compacted, "the same tree");
    let per_znode = |bytes: u64| bytes / u64::from(ZNODES);
    let (built, compacted, restored) = (
        per_znode(built_bytes),
        per_znode(compacted_bytes),
        per_znode(restored_bytes),
    );
    println!(
        "heap a znode: built in order {built} B, compacted {compacted} B, restored {restored} B"
    );
    // An 88-byte entry in a 16-entry leaf: 8 or 9 to a leaf built in order, 16 packed.
    assert!(
        restored + 60 < built && compacted + 60 < built,
        "built {built} B a znode, compacted {compacted} B, restored {restored} B"
    );
}
