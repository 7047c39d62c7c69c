//! Snapshots round trip, refuse garbage without panicking, and restore the indices; applying
//! the same transactions gives equal trees (a proptest over random operation sequences).

use super::*;
use proptest::prelude::*;

fn sample() -> Fixture {
    let mut f = Fixture::with_options(TreeOptions { ttl_enabled: true });
    f.create_stat("/a", b"data");
    f.create("/a/e", b"", CreateMode::EphemeralSequential)
        .unwrap();
    f.create("/c", b"", CreateMode::Container).unwrap();
    let ttl = CreateRequest::new("/t", b"", Acl::open_unsafe(), CreateMode::PersistentWithTtl)
        .with_ttl(9);
    f.submit(Request::Create(ttl)).unwrap();
    f.caller = digest_caller("bob:pw");
    let req = CreateRequest::new("/bob", b"", Acl::creator_all(), CreateMode::Persistent);
    f.submit(Request::Create(req)).unwrap();
    f
}

#[test]
fn round_trip_keeps_nodes_indices_and_zxid() {
    let f = sample();
    let bytes = f.tree.clone().serialize_snapshot();
    let restored = DataTree::restore_snapshot(&bytes, f.tree.options()).unwrap();
    assert_eq!(restored, f.tree);
    assert_eq!(restored.last_zxid(), Fixture::zxid(5));
    assert_eq!(restored.ephemerals_of(SESSION), vec!["/a/e0000000000"]);
    assert_eq!(
        restored.ephemeral_count(),
        1,
        "containers and TTL nodes are not counted"
    );
    assert_eq!(restored.containers(), vec!["/c"]);
    assert_eq!(restored.ttl_nodes(), vec!["/t"]);
    assert_eq!(restored.options(), TreeOptions { ttl_enabled: true });
    let open = node::open_acl();
    assert!(
        restored.node("/a").unwrap().acl.shares(&open),
        "open ACL shared again"
    );
}

#[test]
fn options_come_from_the_server_not_the_snapshot() {
    let f = sample();
    let restored =
        DataTree::restore_snapshot(&f.tree.serialize_snapshot(), TreeOptions::default()).unwrap();
    assert!(!restored.options().ttl_enabled);
}

#[test]
fn garbage_is_refused() {
    let good = sample().tree.serialize_snapshot();
    let none = TreeOptions::default();
    assert!(matches!(
        DataTree::restore_snapshot(b"", none),
        Err(SnapshotError::BadMagic)
    ));
    assert!(matches!(
        DataTree::restore_snapshot(b"hello world, not a tree", none),
        Err(SnapshotError::BadMagic)
    ));
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(matches!(
        DataTree::restore_snapshot(&flipped, none),
        Err(SnapshotError::Checksum { .. })
    ));
    let truncated = &good[..good.len() / 2];
    assert!(DataTree::restore_snapshot(truncated, none).is_err());
}

/// Re-seals a body with a valid checksum, so that decoding and validation are what refuse it.
fn sealed(body: &[u8]) -> Vec<u8> {
    let mut out = b"ZABSNAP3".to_vec();
    out.extend_from_slice(body);
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out
}

#[test]
fn well_sealed_garbage_is_refused() {
    let none = TreeOptions::default();
    let good = sample().tree.serialize_snapshot();
    let body = &good[8..good.len() - 4];
    assert!(DataTree::restore_snapshot(&sealed(body), none).is_ok());
    for cut in [0, 1, 8, 16, 20, body.len() / 3, body.len() - 1] {
        assert!(
            DataTree::restore_snapshot(&sealed(&body[..cut]), none).is_err(),
            "cut at {cut}"
        );
    }
    let mut huge_count = body.to_vec();
    huge_count[8..16].copy_from_slice(&u64::MAX.to_be_bytes());
    assert!(DataTree::restore_snapshot(&sealed(&huge_count), none).is_err());
    let mut huge_record = body.to_vec();
    huge_record[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(DataTree::restore_snapshot(&sealed(&huge_record), none).is_err());
    let mut trailing = sealed(body);
    trailing.push(0);
    assert!(DataTree::restore_snapshot(&trailing, none).is_err());
    // The same record twice: a count one higher and the first record repeated.
    let first_len = u32::from_be_bytes(body[16..20].try_into().unwrap()) as usize;
    let mut twice = body[..16].to_vec();
    twice[8..16].copy_from_slice(&(sample().tree.nodes.len() as u64 + 1).to_be_bytes());
    twice.extend_from_slice(&body[16..20 + first_len]);
    twice.extend_from_slice(&body[16..]);
    let err = DataTree::restore_snapshot(&sealed(&twice), none).unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
}

/// A reader that hands out one byte a call, as a slow peer link would.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// Streamed in and out: written into a writer piece by piece and read from a reader that
/// yields a byte at a time, the tree comes back whole, and reading stops at the snapshot's
/// end, leaving what follows it unread.
#[test]
fn a_snapshot_streams_both_ways_and_reading_stops_at_its_end() {
    let f = sample();
    let mut bytes = Vec::new();
    f.tree.write_snapshot(&mut bytes).unwrap();
    assert_eq!(bytes, f.tree.serialize_snapshot());
    bytes.extend_from_slice(b"after");
    let mut input = Trickle(&bytes);
    let restored = DataTree::read_snapshot(&mut input, f.tree.options()).unwrap();
    assert_eq!(restored, f.tree);
    assert_eq!(input.0, b"after");
}

/// A `ZABSNAP2` file of `body`.
fn v2_of(body: &[u8]) -> Vec<u8> {
    let mut v2 = b"ZABSNAP2".to_vec();
    v2.extend_from_slice(&crc32fast::hash(body).to_be_bytes());
    v2.extend_from_slice(body);
    v2
}

/// Snapshot files of the previous format (`ZABSNAP2`: a checksum, then the body in one
/// piece) are still read, and damage to them is still found; a path twice is refused (it
/// used to keep the last node), as in the current format.
#[test]
fn the_previous_format_is_still_read() {
    let f = sample();
    let body = crate::encoding::encode(&(f.tree.last_zxid(), &f.tree.nodes)).unwrap();
    // A map encodes as its entries in sequence: the same entries with the first repeated.
    let mut entries: Vec<_> = f.tree.nodes.iter().collect();
    entries.push(entries[0]);
    let twice = crate::encoding::encode(&(f.tree.last_zxid(), &entries)).unwrap();
    let err = DataTree::restore_snapshot(&v2_of(&twice), f.tree.options()).unwrap_err();
    assert!(matches!(err, SnapshotError::Inconsistent(_)), "{err}");
    assert!(err.to_string().contains("/ appears twice"), "{err}");
    let mut v2 = v2_of(&body);
    let restored = DataTree::restore_snapshot(&v2, f.tree.options()).unwrap();
    assert_eq!(restored, f.tree);
    let last = v2.len() - 1;
    v2[last] ^= 1;
    assert!(matches!(
        DataTree::restore_snapshot(&v2, f.tree.options()),
        Err(SnapshotError::Checksum { .. })
    ));
}

#[test]
fn inconsistent_trees_are_refused() {
    let none = TreeOptions::default();
    let mut orphan = sample().tree;
    orphan
        .nodes
        .insert("/missing/child".into(), DataNode::builtin(node::open_acl()));
    let err = DataTree::restore_snapshot(&orphan.serialize_snapshot(), none).unwrap_err();
    assert!(matches!(err, SnapshotError::Inconsistent(_)), "{err}");
    let mut miscounted = sample().tree;
    miscounted.nodes.get_mut("/a").unwrap().num_children = 7;
    assert!(DataTree::restore_snapshot(&miscounted.serialize_snapshot(), none).is_err());
    // A leaf that records children: no parent run counts it, so only the tally finds it.
    let mut childless = sample().tree;
    childless.nodes.get_mut("/c").unwrap().num_children = 2;
    let err = DataTree::restore_snapshot(&childless.serialize_snapshot(), none).unwrap_err();
    assert!(
        err.to_string().contains("/c records 2 children but has 0"),
        "{err}"
    );
    let mut bad_path = sample().tree;
    bad_path
        .nodes
        .insert("/a//b".into(), DataNode::builtin(node::open_acl()));
    assert!(DataTree::restore_snapshot(&bad_path.serialize_snapshot(), none).is_err());
    let mut rootless = sample().tree;
    rootless.nodes.remove("/");
    assert!(DataTree::restore_snapshot(&rootless.serialize_snapshot(), none).is_err());
}

#[test]
fn a_clone_is_isolated_from_later_writes() {
    let mut f = sample();
    let snapshot = f.tree.clone();
    f.set_data("/a", b"changed", -1).unwrap();
    f.delete("/c", -1).unwrap();
    assert_eq!(&*snapshot.node("/a").unwrap().data, b"data");
    assert!(snapshot.node("/c").is_some());
    assert_ne!(snapshot, f.tree);
}

#[derive(Clone, Debug)]
enum Action {
    Create(usize, usize, u8),
    Delete(usize),
    Set(usize, u8),
    Multi(usize, usize),
    Close,
}

const NAMES: [&str; 6] = ["/a", "/b", "/a/x", "/a/y", "/b/z", "/a/x/q"];

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0..NAMES.len(), 0..4usize, any::<u8>()).prop_map(|(n, m, d)| Action::Create(n, m, d)),
        (0..NAMES.len()).prop_map(Action::Delete),
        (0..NAMES.len(), any::<u8>()).prop_map(|(n, d)| Action::Set(n, d)),
        (0..NAMES.len(), 0..NAMES.len()).prop_map(|(a, b)| Action::Multi(a, b)),
        Just(Action::Close),
    ]
}

fn request(action: &Action) -> Request {
    const MODES: [CreateMode; 4] = [
        CreateMode::Persistent,
        CreateMode::Ephemeral,
        CreateMode::PersistentSequential,
        CreateMode::Container,
    ];
    match *action {
        Action::Create(n, m, d) => Request::Create(CreateRequest::new(
            NAMES[n],
            &[d],
            Acl::open_unsafe(),
            MODES[m],
        )),
        Action::Delete(n) => Request::Delete {
            path: NAMES[n].into(),
            version: -1,
        },
        Action::Set(n, d) => Request::SetData {
            path: NAMES[n].into(),
            data: vec![d],
            version: -1,
        },
        Action::Multi(a, b) => Request::Multi(vec![
            Op::Create(CreateRequest::new(
                NAMES[a],
                b"m",
                Acl::open_unsafe(),
                CreateMode::Persistent,
            )),
            Op::Delete {
                path: NAMES[b].into(),
                version: -1,
            },
        ]),
        Action::Close => Request::CloseSession,
    }
}

/// `approximateDataSize` as ZooKeeper computes it: every path and every node's data.
fn walked_size(tree: &DataTree) -> u64 {
    tree.iter()
        .map(|(p, n)| (p.len() + n.data.len()) as u64)
        .sum()
}

proptest! {
    #[test]
    fn replicas_and_restored_snapshots_stay_equal(
        actions in proptest::collection::vec((action(), 0..2i64), 1..60),
        cut in 0usize..60,
    ) {
        let mut leader = Fixture::new();
        let mut restored: Option<DataTree> = None;
        for (i, (action, session)) in actions.iter().enumerate() {
            if i == cut {
                let bytes = leader.tree.clone().serialize_snapshot();
                restored = Some(DataTree::restore_snapshot(&bytes, TreeOptions::default()).unwrap());
            }
            let before = leader.log.len();
            leader.submit_as(SESSION + session, request(action)).ok();
            if let Some(tree) = restored.as_mut() {
                tree.apply(&leader.log[before]);
            }
        }
        // A follower applying the same log from the start reaches the same tree.
        let mut follower = DataTree::new();
        for entry in &leader.log {
            follower.apply(entry);
        }
        prop_assert_eq!(&follower, &leader.tree);
        // The data size kept as nodes change is the one a walk of the tree counts, on every
        // copy (equality above ignores it: it is derived).
        let walked = walked_size(&leader.tree);
        prop_assert_eq!(leader.tree.approximate_data_size(), walked);
        prop_assert_eq!(follower.approximate_data_size(), walked);
        if let Some(tree) = restored {
            prop_assert_eq!(&tree, &leader.tree);
            prop_assert_eq!(tree.approximate_data_size(), walked);
        }
        let bytes = leader.tree.serialize_snapshot();
        prop_assert_eq!(&DataTree::restore_snapshot(&bytes, TreeOptions::default()).unwrap(), &leader.tree);
    }
}
