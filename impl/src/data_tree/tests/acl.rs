//! ACLs: the world, digest, ip, auth and super schemes, each permission enforced where
//! ZooKeeper enforces it, and ACL validation.

use super::*;
use crate::acl::perms::{ADMIN, ALL, CREATE, DELETE, READ, WRITE};

fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
    Acl {
        perms,
        id: Id::new(scheme, id),
    }
}

fn alice() -> Acl {
    acl(ALL, "digest", &acl_check::generate_digest("alice:secret"))
}

/// `/n` with `acl` on it and an open child `/n/c`, created by alice.
fn protected(node_acl: Vec<Acl>) -> Fixture {
    let mut f = Fixture::new();
    f.caller = digest_caller("alice:secret");
    f.create_stat("/n", b"");
    f.create_stat("/n/c", b"");
    let set = Request::SetAcl {
        path: "/n".into(),
        acl: node_acl,
        version: -1,
    };
    f.submit(set).unwrap();
    f.caller = Caller::anonymous();
    f
}

#[test]
fn digest_is_user_colon_base64_sha1() {
    // The digest ZooKeeper's DigestAuthenticationProvider documents for super:test.
    assert_eq!(
        acl_check::generate_digest("super:test"),
        "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
    );
}

#[test]
fn each_permission_guards_its_operations() {
    let cases: [(i32, &str); 5] = [
        (READ, "read"),
        (WRITE, "write"),
        (CREATE, "create"),
        (DELETE, "delete"),
        (ADMIN, "admin"),
    ];
    for (granted, name) in cases {
        let mut f = protected(vec![acl(granted, "world", "anyone")]);
        let any = Caller::anonymous();
        let ok = |p: i32| {
            if p & granted != 0 {
                Ok(())
            } else {
                Err(ZkError::NoAuth)
            }
        };
        assert_eq!(
            f.tree.get_data("/n", &any).map(|_| ()),
            ok(READ),
            "{name} getData"
        );
        assert_eq!(
            f.tree.get_children("/n", &any).map(|_| ()),
            ok(READ),
            "{name} getChildren"
        );
        assert_eq!(
            f.tree.exists("/n", &any).map(|_| ()),
            ok(READ),
            "{name} exists"
        );
        assert_eq!(
            f.tree.get_acl("/n", &any).map(|_| ()),
            ok(READ | ADMIN),
            "{name} getACL"
        );
        assert_eq!(
            f.set_data("/n", b"", -1).map(|_| ()),
            ok(WRITE),
            "{name} setData"
        );
        assert_eq!(
            f.create("/n/new", b"", CreateMode::Persistent).map(|_| ()),
            ok(CREATE),
            "{name} create"
        );
        assert_eq!(f.delete("/n/c", -1), ok(DELETE), "{name} delete");
        let set = Request::SetAcl {
            path: "/n".into(),
            acl: Acl::open_unsafe(),
            version: -1,
        };
        assert_eq!(f.submit(set).map(|_| ()), ok(ADMIN), "{name} setACL");
    }
}

#[test]
fn delete_needs_delete_on_the_parent_not_the_node() {
    let mut f = protected(vec![acl(DELETE, "world", "anyone")]);
    let lock = Request::SetAcl {
        path: "/n/c".into(),
        acl: vec![acl(READ, "world", "anyone")],
        version: -1,
    };
    f.submit(lock).unwrap();
    assert_eq!(f.delete("/n/c", -1), Ok(()));
}

#[test]
fn digest_identities_match_their_authenticated_callers() {
    let f = protected(vec![alice()]);
    assert_eq!(
        f.tree.get_data("/n", &Caller::anonymous()).map(|_| ()),
        Err(ZkError::NoAuth)
    );
    assert!(f
        .tree
        .get_data("/n", &digest_caller("alice:secret"))
        .is_ok());
    assert_eq!(
        f.tree
            .get_data("/n", &digest_caller("alice:wrong"))
            .map(|_| ()),
        Err(ZkError::NoAuth)
    );
    let superuser = Caller::with_auth(vec![Id::new("super", "")]);
    assert!(
        f.tree.get_data("/n", &superuser).is_ok(),
        "super bypasses every ACL"
    );
}

#[test]
fn ip_entries_match_the_callers_address_by_prefix() {
    let f = protected(vec![
        acl(READ, "ip", "10.1.0.0/16"),
        acl(READ, "ip", "2001:db8::/32"),
    ]);
    let from = |ip: &str| Caller {
        auth: vec![],
        client_ip: Some(ip.into()),
    };
    assert!(f.tree.get_data("/n", &from("10.1.200.3")).is_ok());
    assert_eq!(
        f.tree.get_data("/n", &from("10.2.0.1")).map(|_| ()),
        Err(ZkError::NoAuth)
    );
    assert!(f.tree.get_data("/n", &from("2001:db8:1::7")).is_ok());
    assert_eq!(
        f.tree.get_data("/n", &from("2001:db9::1")).map(|_| ()),
        Err(ZkError::NoAuth)
    );
    assert_eq!(
        f.tree.get_data("/n", &Caller::anonymous()).map(|_| ()),
        Err(ZkError::NoAuth)
    );
}

#[test]
fn auth_expands_to_the_callers_digest_identities() {
    let mut f = Fixture::new();
    f.caller = digest_caller("alice:secret");
    let req = CreateRequest::new("/mine", b"", Acl::creator_all(), CreateMode::Persistent);
    f.submit(Request::Create(req)).unwrap();
    let (stored, _) = f.tree.get_acl("/mine", &f.caller).unwrap();
    assert_eq!(stored, vec![alice()]);
    f.caller = Caller::anonymous();
    let req = CreateRequest::new("/anon", b"", Acl::creator_all(), CreateMode::Persistent);
    assert_eq!(
        f.submit(Request::Create(req)),
        Err(ZkError::InvalidAcl),
        "auth without identities"
    );
}

#[test]
fn malformed_acls_are_invalid() {
    let mut f = Fixture::new();
    let bad = [
        vec![],
        vec![acl(ALL, "world", "someone")],
        vec![acl(ALL, "digest", "no-colon")],
        vec![acl(ALL, "ip", "10.0.0.0/33")],
        vec![acl(ALL, "ip", "not-an-address")],
        vec![acl(ALL, "kerberos", "x")],
    ];
    for list in bad {
        let req = CreateRequest::new("/x", b"", list.clone(), CreateMode::Persistent);
        assert_eq!(
            f.submit(Request::Create(req)),
            Err(ZkError::InvalidAcl),
            "{list:?}"
        );
        let set = Request::SetAcl {
            path: "/zookeeper".into(),
            acl: list.clone(),
            version: -1,
        };
        assert_eq!(f.submit(set), Err(ZkError::InvalidAcl), "setACL {list:?}");
    }
    let dup = vec![acl(READ, "world", "anyone"), acl(READ, "world", "anyone")];
    f.submit(Request::Create(CreateRequest::new(
        "/d",
        b"",
        dup,
        CreateMode::Persistent,
    )))
    .unwrap();
    assert_eq!(
        f.tree.get_acl("/d", &Caller::anonymous()).unwrap().0,
        Acl::read_unsafe(),
        "duplicates dropped"
    );
}

#[test]
fn get_acl_hides_digest_hashes_from_non_admins() {
    let f = protected(vec![acl(READ, "world", "anyone"), alice()]);
    let (seen, _) = f.tree.get_acl("/n", &Caller::anonymous()).unwrap();
    assert_eq!(seen[1].id, Id::new("digest", "alice:x"));
    let (seen, _) = f
        .tree
        .get_acl("/n", &digest_caller("alice:secret"))
        .unwrap();
    assert_eq!(seen[1], alice());
}

#[test]
fn the_config_node_is_read_only() {
    let mut f = Fixture::new();
    assert_eq!(
        f.set_data("/zookeeper/config", b"x", -1),
        Err(ZkError::NoAuth)
    );
    assert_eq!(
        f.create("/zookeeper/config/x", b"", CreateMode::Persistent),
        Err(ZkError::NoAuth)
    );
}
