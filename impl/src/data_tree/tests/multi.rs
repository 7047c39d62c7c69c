//! multi: all or nothing, ops seeing the earlier ops' effects, and ZooKeeper's per-op results.

use super::*;

fn create(path: &str) -> Op {
    Op::Create(CreateRequest::new(
        path,
        b"",
        Acl::open_unsafe(),
        CreateMode::Persistent,
    ))
}

fn set(path: &str, version: i32) -> Op {
    Op::SetData {
        path: path.into(),
        data: b"v".to_vec(),
        version,
    }
}

#[test]
fn a_successful_multi_applies_every_op_at_one_zxid() {
    let mut f = Fixture::new();
    f.create_stat("/a", b"");
    let ops = vec![
        create("/a/b"),
        create("/a/b/c"),
        set("/a", 0),
        Op::Check {
            path: "/a".into(),
            version: 1,
        },
        Op::Delete {
            path: "/a/b/c".into(),
            version: 0,
        },
    ];
    let TxnResult::Multi(results) = f.submit(Request::Multi(ops)).unwrap() else {
        panic!("not a multi result");
    };
    let z = Fixture::zxid(2);
    assert!(
        matches!(&results[0], OpResult::Create { path, stat } if path == "/a/b" && stat.czxid == z)
    );
    assert!(matches!(&results[1], OpResult::Create { path, .. } if path == "/a/b/c"));
    assert!(
        matches!(&results[2], OpResult::SetData { stat } if stat.version == 1 && stat.mzxid == z)
    );
    assert_eq!(results[3..], [OpResult::Check, OpResult::Delete]);
    assert!(f.tree.node("/a/b").is_some());
    assert!(f.tree.node("/a/b/c").is_none());
    assert_eq!(f.stat("/a/b").pzxid, z);
    assert_eq!(f.tree.last_zxid(), z);
}

#[test]
fn a_failed_multi_changes_nothing_and_reports_per_op_codes() {
    let mut f = Fixture::new();
    f.create_stat("/a", b"");
    let before = f.tree.clone();
    let ops = vec![
        create("/a/new"),
        set("/a", 5),
        create("/a/other"),
        create("/x/y"),
    ];
    let result = f.submit(Request::Multi(ops)).unwrap();
    let codes = [0, ZkError::BadVersion.code(), -2, -2];
    let expected: Vec<OpResult> = codes.iter().map(|&code| OpResult::Error { code }).collect();
    assert_eq!(result, TxnResult::Multi(expected));
    assert_eq!(result.error(), Some(ZkError::BadVersion));
    assert!(f.tree.iter().eq(before.iter()), "nothing applied");
    assert_eq!(
        f.tree.last_zxid(),
        Fixture::zxid(2),
        "the failed multi still took its zxid"
    );
}

#[test]
fn a_multi_sees_its_own_earlier_ops_when_failing() {
    let mut f = Fixture::new();
    let ops = vec![create("/m"), create("/m")];
    let result = f.submit(Request::Multi(ops)).unwrap();
    assert_eq!(result.error(), Some(ZkError::NodeExists));
    assert!(f.tree.node("/m").is_none());
}

#[test]
fn sequential_creates_in_a_multi_number_consecutively() {
    let mut f = Fixture::new();
    f.create_stat("/q", b"");
    let seq = || {
        Op::Create(CreateRequest::new(
            "/q/s-",
            b"",
            Acl::open_unsafe(),
            CreateMode::PersistentSequential,
        ))
    };
    let TxnResult::Multi(results) = f.submit(Request::Multi(vec![seq(), seq()])).unwrap() else {
        panic!("not a multi result");
    };
    let paths: Vec<_> = results
        .iter()
        .map(|r| match r {
            OpResult::Create { path, .. } => path.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(paths, ["/q/s-0000000000", "/q/s-0000000001"]);
}

#[test]
fn an_empty_multi_succeeds_with_no_results() {
    let mut f = Fixture::new();
    assert_eq!(
        f.submit(Request::Multi(vec![])),
        Ok(TxnResult::Multi(vec![]))
    );
}

#[test]
fn a_multi_with_a_session_problem_fails_its_first_op() {
    let mut f = Fixture::new();
    let ctx = f.context(SESSION).with_session(SessionStatus::Closing);
    let result = f
        .submit_with(Request::Multi(vec![create("/a"), create("/b")]), ctx)
        .unwrap();
    let expected = vec![
        OpResult::Error {
            code: ZkError::SessionExpired.code(),
        },
        OpResult::Error { code: -2 },
    ];
    assert_eq!(result, TxnResult::Multi(expected));
}
