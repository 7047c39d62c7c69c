//! create in every mode: the stat it gives, the parent's stat, sequential names, and every
//! error create can return.

use super::*;
use crate::wire::opcode;

#[test]
fn create_persistent_sets_every_stat_field() {
    let mut f = Fixture::new();
    let stat = f.create_stat("/a", b"hello");
    let z = Fixture::zxid(1);
    let t = Fixture::time(1);
    let expected = Stat {
        czxid: z,
        mzxid: z,
        pzxid: z,
        ctime: t,
        mtime: t,
        version: 0,
        cversion: 0,
        aversion: 0,
        ephemeral_owner: 0,
        data_length: 5,
        num_children: 0,
    };
    assert_eq!(stat, expected);
    assert_eq!(f.stat("/a"), expected);
    assert_eq!(
        f.tree
            .get_data("/a", &Caller::anonymous())
            .unwrap()
            .0
            .to_vec(),
        b"hello"
    );
}

#[test]
fn create_updates_the_parents_pzxid_cversion_and_children() {
    let mut f = Fixture::new();
    f.create_stat("/p", b"");
    f.create_stat("/p/a", b"");
    f.create_stat("/p/b", b"");
    let p = f.stat("/p");
    assert_eq!((p.num_children, p.cversion), (2, 2));
    assert_eq!(p.pzxid, Fixture::zxid(3));
    assert_eq!(
        p.mzxid,
        Fixture::zxid(1),
        "children do not modify the parent's data"
    );
    assert_eq!(p.version, 0);
    let root = f.stat("/");
    assert_eq!(
        (root.num_children, root.cversion, root.pzxid),
        (2, 0, Fixture::zxid(1))
    );
}

#[test]
fn create_ephemeral_is_owned_by_the_session() {
    let mut f = Fixture::new();
    f.create_stat("/e-parent", b"");
    let path = f
        .create("/e-parent/e", b"x", CreateMode::Ephemeral)
        .unwrap();
    assert_eq!(path, "/e-parent/e");
    assert_eq!(f.stat("/e-parent/e").ephemeral_owner, SESSION);
    assert_eq!(f.tree.ephemerals_of(SESSION), vec!["/e-parent/e"]);
    assert!(f.tree.ephemerals_of(OTHER_SESSION).is_empty());
}

#[test]
fn sequential_names_take_the_parents_cversion_ten_digits() {
    let mut f = Fixture::new();
    f.create_stat("/q", b"");
    let a = f
        .create("/q/n-", b"", CreateMode::PersistentSequential)
        .unwrap();
    f.create_stat("/q/plain", b"");
    let b = f
        .create("/q/n-", b"", CreateMode::EphemeralSequential)
        .unwrap();
    assert_eq!(a, "/q/n-0000000000");
    assert_eq!(
        b, "/q/n-0000000002",
        "every child creation advances the counter"
    );
    f.delete("/q/plain", -1).unwrap();
    let c = f
        .create("/q/", b"", CreateMode::PersistentSequential)
        .unwrap();
    assert_eq!(
        c, "/q/0000000003",
        "deletes do not advance it, nor reuse numbers"
    );
    assert_eq!(f.stat(&b).ephemeral_owner, SESSION);
    assert_eq!(f.stat("/q").cversion, 2 * 4 - 3);
}

#[test]
fn container_nodes_are_indexed_and_show_owner_zero() {
    let mut f = Fixture::new();
    f.create("/c", b"", CreateMode::Container).unwrap();
    assert_eq!(f.tree.containers(), vec!["/c"]);
    assert_eq!(f.stat("/c").ephemeral_owner, 0);
    assert_eq!(f.tree.node("/c").unwrap().kind(), NodeKind::Container);
    assert_eq!(NodeKind::Container.persisted_owner(), i64::MIN);
}

/// What `CreateMode::for_opcode` makes of a create sent with a flag that does not match its
/// opcode: a persistent node for `create2` with the container flag, a sequential container
/// for `createContainer` with a sequential flag.
#[test]
fn a_container_flag_without_create_container_makes_a_persistent_node() {
    let mut f = Fixture::new();
    let mode = CreateMode::Container.for_opcode(opcode::CREATE2);
    f.create("/p", b"", mode).unwrap();
    assert_eq!(f.tree.node("/p").unwrap().kind(), NodeKind::Persistent);
    assert!(f.tree.containers().is_empty());

    let mode = CreateMode::PersistentSequential.for_opcode(opcode::CREATE_CONTAINER);
    let name = f.create("/s-", b"", mode).unwrap();
    assert_eq!(name, "/s-0000000001");
    assert_eq!(f.tree.node(&name).unwrap().kind(), NodeKind::Container);
    assert_eq!(f.tree.containers(), vec![name]);
}

#[test]
fn ttl_nodes_need_extended_types() {
    let mut f = Fixture::new();
    let req = CreateRequest::new("/t", b"", Acl::open_unsafe(), CreateMode::PersistentWithTtl)
        .with_ttl(500);
    assert_eq!(
        f.submit(Request::Create(req.clone())),
        Err(ZkError::Unimplemented)
    );
    assert!(f.tree.node("/t").is_none());

    let mut f = Fixture::with_options(TreeOptions { ttl_enabled: true });
    f.submit(Request::Create(req)).unwrap();
    assert_eq!(f.tree.node("/t").unwrap().kind(), NodeKind::Ttl(500));
    assert_eq!(f.tree.ttl_nodes(), vec!["/t"]);
    assert_eq!(f.stat("/t").ephemeral_owner, 0);
    let seq = CreateRequest::new(
        "/t/s",
        b"",
        Acl::open_unsafe(),
        CreateMode::PersistentSequentialWithTtl,
    )
    .with_ttl(7);
    match f.submit(Request::Create(seq)).unwrap() {
        TxnResult::Created { path, .. } => assert_eq!(path, "/t/s0000000000"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ttl_out_of_range_or_on_other_modes_is_a_bad_argument() {
    let mut f = Fixture::with_options(TreeOptions { ttl_enabled: true });
    for (mode, ttl) in [
        (CreateMode::PersistentWithTtl, 0),
        (CreateMode::PersistentWithTtl, 1 << 40),
        (CreateMode::Persistent, 10),
    ] {
        let req = CreateRequest::new("/t", b"", Acl::open_unsafe(), mode).with_ttl(ttl);
        assert_eq!(
            f.submit(Request::Create(req)),
            Err(ZkError::BadArguments),
            "{mode:?} {ttl}"
        );
    }
}

#[test]
fn create_errors() {
    let mut f = Fixture::new();
    f.create_stat("/a", b"");
    let cases = [
        ("/a", ZkError::NodeExists, ""),
        ("/x/y", ZkError::NoNode, ""),
        ("a", ZkError::BadArguments, ""),
        ("/a/", ZkError::BadArguments, ""),
        ("/a/./b", ZkError::NoNode, "parent /a/. is looked up first"),
        ("/a/.", ZkError::BadArguments, ""),
        ("/a\0", ZkError::BadArguments, ""),
        ("/", ZkError::NodeExists, ""),
    ];
    for (path, err, why) in cases {
        assert_eq!(
            f.create(path, b"", CreateMode::Persistent),
            Err(err),
            "{path:?} {why}"
        );
    }
}

#[test]
fn ephemerals_cannot_have_children_but_node_exists_wins() {
    let mut f = Fixture::new();
    f.create("/e", b"", CreateMode::Ephemeral).unwrap();
    assert_eq!(
        f.create("/e/c", b"", CreateMode::Persistent),
        Err(ZkError::NoChildrenForEphemerals)
    );
    assert_eq!(
        f.create("/e/c", b"", CreateMode::Ephemeral),
        Err(ZkError::NoChildrenForEphemerals)
    );
    assert_eq!(
        f.create("/e", b"", CreateMode::Persistent),
        Err(ZkError::NodeExists)
    );
    assert_eq!(f.stat("/e").num_children, 0);
}

#[test]
fn session_state_is_checked_before_the_path() {
    let mut f = Fixture::new();
    let create = |mode| Request::Create(CreateRequest::new("bad", b"", Acl::open_unsafe(), mode));
    let cases = [
        (
            SessionStatus::Closing,
            CreateMode::Persistent,
            ZkError::SessionExpired,
        ),
        (
            SessionStatus::Moved,
            CreateMode::Persistent,
            ZkError::SessionMoved,
        ),
        (
            SessionStatus::Unknown,
            CreateMode::Persistent,
            ZkError::UnknownSession,
        ),
        (
            SessionStatus::Unknown,
            CreateMode::Ephemeral,
            ZkError::SessionExpired,
        ),
        (
            SessionStatus::Local,
            CreateMode::Ephemeral,
            ZkError::EphemeralOnLocalSession,
        ),
        (
            SessionStatus::Local,
            CreateMode::Persistent,
            ZkError::BadArguments,
        ),
    ];
    for (status, mode, error) in cases {
        let ctx = f.context(SESSION).with_session(status);
        assert_eq!(
            f.submit_with(create(mode), ctx),
            Err(error),
            "{status:?} {mode:?}"
        );
    }
}

#[test]
/// ZooKeeper computes the next cversion with Java's wrapping `+ 1`, but a committed create
/// only moves the parent's cversion forward: once it is `i32::MAX` it stays there, and the
/// next sequential create names the node that already exists.
fn a_cversion_at_its_maximum_stops_sequential_creates() {
    let mut f = Fixture::new();
    f.create_stat("/w", b"");
    let hdr = header(2, SESSION);
    let txn = Txn::Create {
        path: "/w/x".into(),
        data: vec![].into(),
        acl: Acl::open_unsafe().into(),
        mode: CreateMode::Persistent,
        parent_cversion: i32::MAX,
        ttl: -1,
    };
    f.tree.apply(&TxnEntry { header: hdr, txn });
    f.next = 3;
    let seq = f
        .create("/w/s", b"", CreateMode::PersistentSequential)
        .unwrap();
    assert_eq!(seq, "/w/s2147483647");
    assert_eq!(f.tree.node("/w").unwrap().cversion, i32::MAX);
    assert_eq!(
        f.create("/w/s", b"", CreateMode::PersistentSequential),
        Err(ZkError::NodeExists)
    );
}

/// A write the leader wraps as moved (its session's client is on another server now) fails
/// with SessionMoved where the same write of an active session would succeed; a session
/// already closing still says SessionExpired (checked first, as in `checkSession`), and a
/// close-session is not checked.
#[test]
fn a_moved_write_fails_with_session_moved_after_the_session_checks() {
    let mut f = Fixture::new();
    let create = Request::Create(CreateRequest::new(
        "/m",
        b"",
        Acl::open_unsafe(),
        CreateMode::Persistent,
    ));
    let moved = |r: Request| Request::Moved(Box::new(r));
    let ctx = f.context(SESSION);
    assert_eq!(
        f.submit_with(moved(create.clone()), ctx.clone()),
        Err(ZkError::SessionMoved)
    );
    let closing = ctx.clone().with_session(SessionStatus::Closing);
    assert_eq!(
        f.submit_with(moved(create.clone()), closing),
        Err(ZkError::SessionExpired)
    );
    assert!(f
        .submit_with(moved(Request::CloseSession), ctx.clone())
        .is_ok());
    assert!(f.submit_with(create, ctx).is_ok(), "unwrapped, it succeeds");
}
