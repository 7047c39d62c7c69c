//! delete, setData, setACL and check: versions, stats and errors.

use super::*;

#[test]
fn delete_checks_the_version_and_updates_the_parent() {
    let mut f = Fixture::new();
    f.create_stat("/p", b"");
    f.create_stat("/p/a", b"");
    f.set_data("/p/a", b"1", 0).unwrap();
    assert_eq!(f.delete("/p/a", 0), Err(ZkError::BadVersion));
    assert!(f.tree.node("/p/a").is_some());
    f.delete("/p/a", 1).unwrap();
    assert!(f.tree.node("/p/a").is_none());
    let p = f.stat("/p");
    assert_eq!(
        (p.num_children, p.cversion, p.pzxid),
        (0, 2, Fixture::zxid(5))
    );
    assert_eq!(f.delete("/p/a", -1), Err(ZkError::NoNode));
    assert_eq!(f.delete("/nowhere/a", -1), Err(ZkError::NoNode));
}

#[test]
fn delete_refuses_a_node_with_children_and_the_builtin_nodes() {
    let mut f = Fixture::new();
    f.create_stat("/p", b"");
    f.create_stat("/p/c", b"");
    assert_eq!(f.delete("/p", -1), Err(ZkError::NotEmpty));
    for special in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
        assert_eq!(
            f.delete(special, -1),
            Err(ZkError::BadArguments),
            "{special}"
        );
    }
    assert_eq!(f.delete("p", -1), Err(ZkError::BadArguments));
}

#[test]
fn delete_of_an_ephemeral_updates_the_index() {
    let mut f = Fixture::new();
    f.create("/e", b"", CreateMode::Ephemeral).unwrap();
    assert_eq!(f.tree.ephemeral_count(), 1);
    f.delete("/e", -1).unwrap();
    assert_eq!(f.tree.ephemeral_count(), 0);
    assert!(f.tree.ephemerals_of(SESSION).is_empty());
    assert!(f.tree.sessions_with_ephemerals().is_empty());
}

#[test]
fn set_data_bumps_the_version_mzxid_and_mtime() {
    let mut f = Fixture::new();
    f.create_stat("/a", b"old");
    let stat = f.set_data("/a", b"newer", 0).unwrap();
    assert_eq!(stat.version, 1);
    assert_eq!(stat.mzxid, Fixture::zxid(2));
    assert_eq!(stat.mtime, Fixture::time(2));
    assert_eq!(stat.czxid, Fixture::zxid(1));
    assert_eq!(stat.ctime, Fixture::time(1));
    assert_eq!(
        stat.pzxid,
        Fixture::zxid(1),
        "data changes leave pzxid alone"
    );
    assert_eq!(stat.data_length, 5);
    assert_eq!(f.set_data("/a", b"x", 0), Err(ZkError::BadVersion));
    assert_eq!(f.set_data("/a", b"x", -1).unwrap().version, 2);
    assert_eq!(f.set_data("/b", b"x", -1), Err(ZkError::NoNode));
    assert_eq!(f.set_data("b", b"x", -1), Err(ZkError::BadArguments));
    assert_eq!(
        f.tree
            .get_data("/a", &Caller::anonymous())
            .unwrap()
            .0
            .to_vec(),
        b"x"
    );
}

#[test]
fn set_data_never_hands_out_version_minus_one() {
    let mut f = Fixture::new();
    f.create_stat("/a", b"");
    let hdr = header(2, SESSION);
    let txn = Txn::SetData {
        path: "/a".into(),
        data: vec![].into(),
        version: -2,
    };
    f.tree.apply(&TxnEntry { header: hdr, txn });
    f.next = 3;
    assert_eq!(f.set_data("/a", b"", -2).unwrap().version, 0);
}

#[test]
fn set_acl_bumps_aversion_only() {
    let mut f = Fixture::new();
    f.create_stat("/a", b"d");
    let req = |version| Request::SetAcl {
        path: "/a".into(),
        acl: Acl::read_unsafe(),
        version,
    };
    assert_eq!(f.submit(req(3)), Err(ZkError::BadVersion));
    match f.submit(req(0)).unwrap() {
        TxnResult::AclSet { stat, .. } => {
            assert_eq!(
                (stat.aversion, stat.version, stat.mzxid),
                (1, 0, Fixture::zxid(1))
            );
        }
        other => panic!("{other:?}"),
    }
    let (acl, stat) = f.tree.get_acl("/a", &Caller::anonymous()).unwrap();
    assert_eq!(acl, Acl::read_unsafe());
    assert_eq!(stat.aversion, 1);
    let missing = Request::SetAcl {
        path: "/b".into(),
        acl: Acl::open_unsafe(),
        version: -1,
    };
    assert_eq!(f.submit(missing), Err(ZkError::NoNode));
}

#[test]
fn check_compares_the_data_version_and_changes_nothing() {
    let mut f = Fixture::new();
    f.create_stat("/a", b"");
    let check = |path: &str, version| Request::Check {
        path: path.into(),
        version,
    };
    let before = f.stat("/a");
    assert_eq!(
        f.submit(check("/a", 0)),
        Ok(TxnResult::Checked { path: "/a".into() })
    );
    assert_eq!(
        f.submit(check("/a", -1)),
        Ok(TxnResult::Checked { path: "/a".into() })
    );
    assert_eq!(f.submit(check("/a", 1)), Err(ZkError::BadVersion));
    assert_eq!(f.submit(check("/b", 0)), Err(ZkError::NoNode));
    assert_eq!(f.stat("/a"), before);
}

#[test]
fn close_session_deletes_its_ephemerals_only() {
    let mut f = Fixture::new();
    f.create_stat("/p", b"");
    f.create("/p/mine", b"", CreateMode::Ephemeral).unwrap();
    f.create("/mine2", b"", CreateMode::EphemeralSequential)
        .unwrap();
    f.submit_as(
        OTHER_SESSION,
        Request::Create(CreateRequest::new(
            "/p/theirs",
            b"",
            Acl::open_unsafe(),
            CreateMode::Ephemeral,
        )),
    )
    .unwrap();
    let result = f.submit(Request::CloseSession).unwrap();
    assert_eq!(
        result,
        TxnResult::SessionClosed {
            deleted: vec!["/mine20000000001".into(), "/p/mine".into()]
        }
    );
    assert!(f.tree.node("/p/mine").is_none());
    assert!(f.tree.node("/p/theirs").is_some());
    assert_eq!(f.tree.sessions_with_ephemerals(), vec![OTHER_SESSION]);
    assert_eq!(f.stat("/p").pzxid, Fixture::zxid(5));
}

#[test]
fn containers_and_ttl_nodes_become_deletion_candidates() {
    let mut f = Fixture::with_options(TreeOptions { ttl_enabled: true });
    f.create("/c", b"", CreateMode::Container).unwrap();
    f.create("/fresh", b"", CreateMode::Container).unwrap();
    f.create_stat("/c/x", b"");
    let ttl = CreateRequest::new("/t", b"", Acl::open_unsafe(), CreateMode::PersistentWithTtl)
        .with_ttl(100);
    f.submit(Request::Create(ttl)).unwrap();
    let t_mtime = Fixture::time(4);
    assert!(
        f.tree.deletion_candidates(t_mtime + 100, 0).is_empty(),
        "child, fresh container, TTL not yet over"
    );
    f.delete("/c/x", -1).unwrap();
    assert_eq!(
        f.tree.deletion_candidates(t_mtime + 101, 0),
        vec!["/c", "/t"]
    );
    let never_used = f.tree.deletion_candidates(Fixture::time(2) + 1_001, 1_000);
    assert!(never_used.contains(&"/fresh".to_string()));
    // The container manager's delete ignores version and ACL but not children.
    assert_eq!(
        f.submit(Request::DeleteContainer { path: "/c".into() }),
        Ok(TxnResult::Deleted { path: "/c".into() })
    );
    f.create("/e", b"", CreateMode::Ephemeral).unwrap();
    assert_eq!(
        f.submit(Request::DeleteContainer { path: "/e".into() }),
        Err(ZkError::BadVersion)
    );
}
