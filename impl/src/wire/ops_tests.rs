//! Request records decoded from hand-assembled bytes, reply records checked byte by byte,
//! and random bodies for every opcode.

use super::opcode as op;
use super::*;
use crate::acl::{Acl, Id};
use crate::data_tree::{CreateRequest, Op, Stat};
use crate::error::ZkError;
use crate::txn::CreateMode;
use crate::zxid::Zxid;
use proptest::prelude::*;

fn decode(opcode: i32, body: &[u8]) -> Result<ClientOp, DecodeError> {
    ClientOp::decode(opcode, &mut Reader::new(body))
}

/// `CreateRequest { path, data, acl = [world:anyone ALL], flags }`.
fn create_body(w: &mut Writer, path: &str, flags: i32) {
    w.ustring(path).buffer(b"v");
    w.int(1).int(31).ustring("world").ustring("anyone");
    w.int(flags);
}

fn open_acl() -> Vec<Acl> {
    vec![Acl {
        perms: 31,
        id: Id::anyone(),
    }]
}

#[test]
fn create_requests_decode_with_their_opcode_and_mode() {
    let mut w = Writer::new();
    create_body(&mut w, "/a", 3);
    let got = decode(op::CREATE2, &w.bytes).unwrap();
    let want = CreateRequest::new("/a", b"v", open_acl(), CreateMode::EphemeralSequential);
    assert_eq!(
        got,
        ClientOp::Create {
            opcode: op::CREATE2,
            req: want
        }
    );

    let mut w = Writer::new();
    create_body(&mut w, "/t", 5);
    w.long(5_000);
    let ClientOp::Create { req, .. } = decode(op::CREATE_TTL, &w.bytes).unwrap() else {
        panic!("not a create");
    };
    assert_eq!((req.mode, req.ttl), (CreateMode::PersistentWithTtl, 5_000));
}

/// ZooKeeper's transaction type follows the opcode: a hand-built client that pairs
/// `createContainer` with another flag still makes a container, and `create2` with the
/// container flag a persistent node; `createTTL` without a TTL flag is refused.
#[test]
fn the_opcode_not_the_flag_decides_whether_a_create_makes_a_container() {
    let decoded = |opcode: i32, flags: i32| {
        let mut w = Writer::new();
        create_body(&mut w, "/c", flags);
        if opcode == op::CREATE_TTL {
            w.long(-1);
        }
        match decode(opcode, &w.bytes) {
            Ok(ClientOp::Create { req, .. }) => Ok(req.mode),
            Ok(other) => panic!("not a create: {other:?}"),
            Err(e) => Err(e),
        }
    };
    let container = CreateMode::Container;
    assert_eq!(decoded(op::CREATE2, 4), Ok(CreateMode::Persistent));
    assert_eq!(decoded(op::CREATE, 4), Ok(CreateMode::Persistent));
    assert_eq!(decoded(op::CREATE_CONTAINER, 4), Ok(container));
    assert_eq!(decoded(op::CREATE_CONTAINER, 0), Ok(container));
    assert_eq!(decoded(op::CREATE_CONTAINER, 1), Ok(container));
    assert_eq!(
        decoded(op::CREATE_CONTAINER, 2),
        Ok(CreateMode::ContainerSequential)
    );
    assert_eq!(
        decoded(op::CREATE_CONTAINER, 5),
        Ok(CreateMode::PersistentWithTtl),
        "left to fail its TTL check"
    );
    assert_eq!(decoded(op::CREATE2, 1), Ok(CreateMode::Ephemeral));
    for flags in 0..=4 {
        assert_eq!(
            decoded(op::CREATE_TTL, flags),
            Err(DecodeError::Invalid(ZkError::BadArguments)),
            "createTTL with flag {flags}"
        );
    }
}

#[test]
fn an_unknown_create_flag_is_bad_arguments_and_an_unknown_opcode_is_named() {
    let mut w = Writer::new();
    create_body(&mut w, "/a", 9);
    assert_eq!(
        decode(op::CREATE, &w.bytes),
        Err(DecodeError::Invalid(ZkError::BadArguments))
    );
    assert_eq!(decode(999, &[]), Err(DecodeError::UnknownOp(999)));
}

#[test]
fn trailing_bytes_after_a_request_are_refused() {
    let mut w = Writer::new();
    w.ustring("/a").boolean(true).int(7);
    assert!(matches!(
        decode(op::GET_DATA, &w.bytes),
        Err(DecodeError::Jute(_))
    ));
}

#[test]
fn a_multi_decodes_every_op_until_the_done_header() {
    let mut w = Writer::new();
    w.int(op::CREATE).boolean(false).int(-1);
    create_body(&mut w, "/m", 0);
    w.int(op::DELETE).boolean(false).int(-1);
    w.ustring("/d").int(4);
    w.int(op::CHECK).boolean(false).int(-1);
    w.ustring("/c").int(-1);
    w.int(op::SET_DATA).boolean(false).int(-1);
    w.ustring("/s").buffer(b"x").int(2);
    w.int(-1).boolean(true).int(-1);
    let ClientOp::Multi(ops) = decode(op::MULTI, &w.bytes).unwrap() else {
        panic!("not a multi");
    };
    let kinds: Vec<i32> = ops.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, [op::CREATE, op::DELETE, op::CHECK, op::SET_DATA]);
    assert_eq!(
        ops[1].1,
        Op::Delete {
            path: "/d".into(),
            version: 4
        }
    );
}

#[test]
fn a_read_inside_a_write_multi_is_refused() {
    let mut w = Writer::new();
    w.int(op::GET_DATA).boolean(false).int(-1);
    w.ustring("/x").boolean(false);
    w.int(-1).boolean(true).int(-1);
    assert_eq!(
        decode(op::MULTI, &w.bytes),
        Err(DecodeError::Invalid(ZkError::MarshallingError))
    );
}

#[test]
fn set_watches2_carries_five_lists() {
    let mut w = Writer::new();
    w.long(0x1_0000_0005);
    for list in [&["/d"][..], &[], &["/c1", "/c2"], &["/p"], &["/r"]] {
        w.vector(list, |w, s| {
            w.ustring(s);
        });
    }
    let ClientOp::SetWatches(sw) = decode(op::SET_WATCHES2, &w.bytes).unwrap() else {
        panic!("not setWatches");
    };
    assert_eq!(sw.relative_zxid, Zxid::new(1, 5));
    assert_eq!((sw.data.len(), sw.exist.len(), sw.child.len()), (1, 0, 2));
    assert_eq!(
        (sw.persistent, sw.persistent_recursive),
        (vec!["/p".into()], vec!["/r".into()])
    );
}

fn stat() -> Stat {
    Stat {
        czxid: Zxid::new(1, 2),
        mzxid: Zxid::new(1, 3),
        ctime: 10,
        mtime: 11,
        version: 4,
        cversion: 5,
        aversion: 6,
        ephemeral_owner: 7,
        data_length: 8,
        num_children: 9,
        pzxid: Zxid::new(1, 4),
    }
}

#[test]
fn a_stat_is_68_bytes_in_jute_order_and_reads_back() {
    let mut w = Writer::new();
    response::write_stat(&mut w, &stat());
    assert_eq!(w.bytes.len(), 68);
    assert_eq!(&w.bytes[..8], &0x1_0000_0002i64.to_be_bytes());
    assert_eq!(&w.bytes[60..], &0x1_0000_0004i64.to_be_bytes());
    assert_eq!(response::read_stat(&mut Reader::new(&w.bytes)), Ok(stat()));
}

#[test]
fn an_error_reply_is_the_header_alone() {
    let b = response::reply(
        7,
        Zxid::new(2, 1),
        ZkError::NoNode.code(),
        &Reply::Stat(stat()),
    );
    let mut want = Writer::new();
    want.int(7).long(0x2_0000_0001).int(-101);
    assert_eq!(b, want.bytes);
}

#[test]
fn a_multi_reply_has_a_header_per_result_and_a_closing_header() {
    let results = vec![
        MultiResult::Create { path: "/a".into() },
        MultiResult::Error { code: -110 },
    ];
    let mut w = Writer::new();
    Reply::Multi(results).write(&mut w);
    let mut want = Writer::new();
    want.int(op::CREATE).boolean(false).int(0).ustring("/a");
    want.int(-1).boolean(false).int(-110).int(-110);
    want.int(-1).boolean(true).int(-1);
    assert_eq!(w.bytes, want.bytes);
}

#[test]
fn a_notification_carries_xid_minus_one_and_the_event() {
    let b = response::notification(3, response::STATE_SYNC_CONNECTED, "/w", None);
    let mut want = Writer::new();
    want.int(-1).long(-1).int(0).int(3).int(3).ustring("/w");
    assert_eq!(b, want.bytes);
}

const OPCODES: [i32; 27] = [
    op::CREATE,
    op::DELETE,
    op::EXISTS,
    op::GET_DATA,
    op::SET_DATA,
    op::GET_ACL,
    op::SET_ACL,
    op::GET_CHILDREN,
    op::SYNC,
    op::PING,
    op::GET_CHILDREN2,
    op::CHECK,
    op::MULTI,
    op::CREATE2,
    op::CHECK_WATCHES,
    op::REMOVE_WATCHES,
    op::CREATE_CONTAINER,
    op::CREATE_TTL,
    op::MULTI_READ,
    op::AUTH,
    op::SET_WATCHES,
    op::GET_EPHEMERALS,
    op::GET_ALL_CHILDREN_NUMBER,
    op::SET_WATCHES2,
    op::ADD_WATCH,
    op::WHO_AM_I,
    op::CLOSE_SESSION,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    /// Any bytes under any opcode decode or are refused; nothing panics or over-allocates.
    #[test]
    fn random_request_bodies_never_panic(
        i in 0..OPCODES.len(),
        bytes in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let _ = decode(OPCODES[i], &bytes);
    }
}
