//! The database as the replica's state machine: writes prepared from forwarded bodies, the
//! session table kept by session transactions, snapshots holding both parts.

use super::*;
use crate::acl::{Acl, Id};
use crate::data_tree::{CreateRequest, TxnResult};
use crate::txn::{CreateMode, TxnHeader};

const S1: i64 = 0x0100_0000_0000_0001;
const S2: i64 = 0x0200_0000_0000_0001;

/// Plays the leader and a follower at once: prepare on one database, apply on both.
struct Pair {
    leader: ZkDatabase,
    follower: ZkDatabase,
    next: u32,
}

impl Pair {
    fn new(options: TreeOptions) -> Pair {
        Pair {
            leader: ZkDatabase::new(options),
            follower: ZkDatabase::new(options),
            next: 1,
        }
    }

    fn submit_body(&mut self, session: i64, body: &[u8]) -> TxnResult {
        let zxid = Zxid::new(1, self.next);
        let time = 1_700_000_000_000 + i64::from(self.next);
        self.next += 1;
        let txn = self.leader.prepare(session, body, zxid, time);
        let entry = TxnEntry {
            header: TxnHeader {
                session_id: session,
                cxid: self.next as i32,
                zxid,
                time,
            },
            txn,
        };
        let out = self.leader.apply(&entry);
        assert_eq!(
            self.follower.apply(&entry),
            out,
            "leader and follower agree"
        );
        out.result
    }

    fn submit(&mut self, session: i64, request: Request) -> TxnResult {
        let body = ClientWrite::new(Caller::anonymous(), request).encode();
        self.submit_body(session, &body)
    }

    fn open(&mut self, session: i64, timeout_ms: i32) -> Password {
        let password = Password::random().unwrap();
        let r = self.submit(
            session,
            Request::CreateSession {
                timeout_ms,
                password,
            },
        );
        assert_eq!(r, TxnResult::SessionCreated { timeout_ms });
        password
    }
}

fn create(path: &str, mode: CreateMode) -> Request {
    Request::Create(CreateRequest::new(path, b"v", Acl::open_unsafe(), mode))
}

#[test]
fn a_write_of_an_unknown_session_fails_with_unknown_session() {
    let mut p = Pair::new(TreeOptions::default());
    let r = p.submit(S1, create("/a", CreateMode::Persistent));
    assert_eq!(r, TxnResult::Error(ZkError::UnknownSession));
    assert!(p.leader.tree().node("/a").is_none());
}

#[test]
fn session_transactions_open_and_close_sessions_and_their_ephemerals() {
    let mut p = Pair::new(TreeOptions::default());
    p.open(S1, 4000);
    p.open(S2, 6000);
    assert_eq!(
        p.leader.sessions().collect::<Vec<_>>(),
        [(S1, 4000), (S2, 6000)]
    );
    assert!(matches!(
        p.submit(S1, create("/e", CreateMode::Ephemeral)),
        TxnResult::Created { .. }
    ));
    assert!(matches!(
        p.submit(S2, create("/p", CreateMode::Persistent)),
        TxnResult::Created { .. }
    ));
    let r = p.submit(S1, Request::CloseSession);
    assert_eq!(
        r,
        TxnResult::SessionClosed {
            deleted: vec!["/e".into()]
        }
    );
    assert_eq!(p.follower.session_timeout(S1), None);
    assert_eq!(p.follower.session_timeout(S2), Some(6000));
    assert!(p.follower.tree().node("/e").is_none());
    assert!(p.follower.tree().node("/p").is_some());
    // The closed session's next write is refused on the leader.
    assert_eq!(
        p.submit(S1, create("/late", CreateMode::Persistent)),
        TxnResult::Error(ZkError::UnknownSession)
    );
}

#[test]
fn the_acl_check_uses_the_forwarded_identities() {
    let mut p = Pair::new(TreeOptions::default());
    p.open(S1, 4000);
    let alice = Caller::with_auth(vec![Id::new("digest", "alice:x")]);
    let only_alice = vec![Acl {
        perms: crate::acl::perms::ALL,
        id: Id::new("digest", "alice:x"),
    }];
    let req = Request::Create(CreateRequest::new(
        "/private",
        b"",
        only_alice,
        CreateMode::Persistent,
    ));
    let body = ClientWrite::new(alice.clone(), req).encode();
    assert!(matches!(
        p.submit_body(S1, &body),
        TxnResult::Created { .. }
    ));
    let set = |caller: Caller| {
        ClientWrite::new(
            caller,
            Request::SetData {
                path: "/private".into(),
                data: b"x".to_vec(),
                version: -1,
            },
        )
        .encode()
    };
    assert_eq!(
        p.submit_body(S1, &set(Caller::anonymous())),
        TxnResult::Error(ZkError::NoAuth)
    );
    assert!(matches!(
        p.submit_body(S1, &set(alice)),
        TxnResult::DataSet { .. }
    ));
}

#[test]
fn a_malformed_body_becomes_a_marshalling_error_transaction() {
    let mut p = Pair::new(TreeOptions::default());
    p.open(S1, 4000);
    let mut body =
        ClientWrite::new(Caller::anonymous(), create("/a", CreateMode::Persistent)).encode();
    body.truncate(body.len() - 3);
    assert_eq!(
        p.submit_body(S1, &body),
        TxnResult::Error(ZkError::MarshallingError)
    );
    assert_eq!(
        p.submit_body(S1, &[0xff; 7]),
        TxnResult::Error(ZkError::MarshallingError)
    );
    // A length prefix claiming far more than the limit is refused without allocating it.
    let mut huge = vec![0u8; 4];
    huge.extend_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        p.submit_body(S1, &huge),
        TxnResult::Error(ZkError::MarshallingError)
    );
    assert_eq!(
        p.leader.last_zxid(),
        Zxid::new(1, 4),
        "each error still took a zxid"
    );
}

#[test]
fn a_snapshot_holds_the_sessions_and_the_tree_and_keeps_the_options() {
    let ttl = TreeOptions { ttl_enabled: true };
    let mut p = Pair::new(ttl);
    p.open(S1, 4000);
    p.open(S2, 9000);
    p.submit(S1, create("/e", CreateMode::Ephemeral));
    let bytes = p.leader.snapshot();
    let restored = ZkDatabase::new(ttl).restore(&bytes).expect("restores");
    assert_eq!(restored, p.leader);
    // A replica keeps a restored base snapshot as the state, not the bytes it came from.
    assert_eq!(
        restored.snapshot(),
        bytes,
        "the state serializes back to its bytes"
    );
    assert_eq!(
        restored.tree().options(),
        ttl,
        "options come from the server"
    );
    assert_eq!(
        restored.sessions().collect::<Vec<_>>(),
        [(S1, 4000), (S2, 9000)]
    );
    let plain = ZkDatabase::default().restore(&bytes).expect("restores");
    assert!(!plain.tree().options().ttl_enabled);
}

#[test]
fn a_session_resumes_on_any_server_only_with_the_password_its_creator_drew() {
    let mut p = Pair::new(TreeOptions::default());
    let one = p.open(S1, 4000);
    let two = p.open(S2, 9000);
    assert_ne!(one, two);
    let restored = ZkDatabase::default()
        .restore(&p.leader.snapshot())
        .expect("restores");
    for db in [&p.leader, &p.follower, &restored] {
        let timeout = |id, presented: &[u8]| db.resume(id, presented).map(|s| s.timeout_ms);
        assert_eq!(timeout(S1, &one.0), Some(4000));
        assert_eq!(timeout(S2, &two.0), Some(9000));
        assert_eq!(timeout(S1, &two.0), None, "another session's password");
        assert_eq!(timeout(S1, &[0; 16]), None);
        assert_eq!(timeout(S1, &one.0[..15]), None);
    }
    p.submit(S1, Request::CloseSession);
    assert!(
        p.follower.resume(S1, &one.0).is_none(),
        "a closed session is gone"
    );
}

#[test]
fn a_damaged_snapshot_is_refused_with_the_reason() {
    let mut p = Pair::new(TreeOptions::default());
    p.open(S1, 4000);
    p.open(S2, 9000);
    let bytes = p.leader.snapshot();
    let err = |b: &[u8]| ZkDatabase::restore_snapshot(b, TreeOptions::default()).unwrap_err();
    assert!(matches!(err(&bytes[..10]), DatabaseSnapshotError::BadMagic));
    let mut flipped = bytes.clone();
    flipped[20] ^= 1; // inside the session table
    assert!(matches!(
        err(&flipped),
        DatabaseSnapshotError::Checksum { .. }
    ));
    let mut forged = bytes.clone();
    forged[12..16].copy_from_slice(&u32::MAX.to_be_bytes()); // session count
    assert!(matches!(
        err(&forged),
        DatabaseSnapshotError::Truncated { .. }
    ));
    let mut tree_damaged = bytes.clone();
    let last = tree_damaged.len() - 1;
    tree_damaged[last] ^= 0x55;
    assert!(matches!(err(&tree_damaged), DatabaseSnapshotError::Tree(_)));
    let mut swapped = bytes;
    // The two session entries (28 bytes each), reordered with a fresh checksum.
    let (a, b, len) = (16, 44, 28);
    let first: Vec<u8> = swapped[a..b].to_vec();
    let second: Vec<u8> = swapped[b..b + len].to_vec();
    swapped[a..a + len].copy_from_slice(&second);
    swapped[b..b + len].copy_from_slice(&first);
    let crc = crc32fast::hash(&swapped[12..b + len]);
    swapped[8..12].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(err(&swapped), DatabaseSnapshotError::Unordered(_)));
}

/// However a request's `auth` ACL entries expand, a transaction the log could not hold is
/// never proposed: it becomes a `BadArguments` error transaction. Before, 600 long digest
/// identities and an ACL of 31 `auth` entries (one per perms value) made the leader build an
/// 18 MB transaction, its log refused the record, and its core thread stopped.
#[test]
fn a_transaction_larger_than_a_log_record_becomes_an_error_transaction() {
    let mut p = Pair::new(TreeOptions::default());
    p.open(S1, 4000);
    let long = "u".repeat(1000);
    let ids = (0..600)
        .map(|i| Id::new("digest", &format!("{long}{i}:hash")))
        .collect();
    let acl: Vec<Acl> = (1..=31)
        .map(|perms| Acl {
            perms,
            id: Id::new("auth", ""),
        })
        .collect();
    let create = |caller: Caller, acl: Vec<Acl>| {
        let req = Request::Create(CreateRequest::new("/big", b"", acl, CreateMode::Persistent));
        ClientWrite::new(caller, req).encode()
    };
    let body = create(Caller::with_auth(ids), acl.clone());
    assert!(
        !body.is_empty(),
        "the forwarded write itself is within bounds"
    );
    assert_eq!(
        p.submit_body(S1, &body),
        TxnResult::Error(ZkError::BadArguments)
    );
    // The same ACL from a caller with a few identities is an ordinary create.
    let few = (0..3)
        .map(|i| Id::new("digest", &format!("user{i}:hash")))
        .collect();
    assert!(matches!(
        p.submit_body(S1, &create(Caller::with_auth(few), acl)),
        TxnResult::Created { .. }
    ));
}
