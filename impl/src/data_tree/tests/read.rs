//! getData, exists, getChildren, getEphemerals, getAllChildrenNumber.

use super::*;

#[test]
fn reads_return_data_and_the_same_stat() {
    let mut f = Fixture::new();
    let created = f.create_stat("/a", b"abc");
    let any = Caller::anonymous();
    let (data, stat) = f.tree.get_data("/a", &any).unwrap();
    assert_eq!((&*data, stat), (&b"abc"[..], created));
    assert_eq!(f.tree.exists("/a", &any), Ok(created));
    assert_eq!(
        f.tree.get_children("/a", &any),
        Ok((Default::default(), created))
    );
    assert_eq!(f.tree.get_data("/b", &any), Err(ZkError::NoNode));
    assert_eq!(f.tree.exists("/b", &any), Err(ZkError::NoNode));
    assert_eq!(f.tree.exists("/b\0", &any), Err(ZkError::BadArguments));
    assert_eq!(f.tree.get_children("/b", &any), Err(ZkError::NoNode));
    assert_eq!(f.tree.get_acl("/b", &any), Err(ZkError::NoNode));
}

#[test]
fn children_are_the_direct_children_sorted() {
    let mut f = Fixture::new();
    for p in [
        "/a",
        "/a/z",
        "/a/b",
        "/a/b/deep",
        "/a/b/deep/er",
        "/a/b.c",
        "/a/b0",
        "/a-b",
        "/ab",
    ] {
        f.create_stat(p, b"");
    }
    let any = Caller::anonymous();
    let (children, stat) = f.tree.get_children("/a", &any).unwrap();
    assert_eq!(children, vec!["b", "b.c", "b0", "z"]);
    assert_eq!(stat.num_children, 4);
    let (root_children, _) = f.tree.get_children("/", &any).unwrap();
    assert_eq!(root_children, vec!["a", "a-b", "ab", "zookeeper"]);
    assert_eq!(f.tree.get_children("/a/b", &any).unwrap().0, vec!["deep"]);
}

/// A reply's names as the wire takes them: each one whole, multi-byte ones too, in order,
/// and the same as owned strings.
#[test]
fn child_names_are_whole_names_in_order() {
    let mut f = Fixture::new();
    for p in ["/p", "/p/é", "/p/a", "/p/ab", "/p/ab/x", "/p/日本", "/p/z"] {
        f.create_stat(p, b"");
    }
    let (names, _) = f.tree.get_children("/p", &Caller::anonymous()).unwrap();
    let expected = ["a", "ab", "z", "é", "日本"];
    assert_eq!(names.len(), expected.len());
    assert!(names.iter().eq(expected));
    assert_eq!(
        names.text_len(),
        expected.iter().map(|n| n.len()).sum::<usize>()
    );
    let (none, _) = f.tree.get_children("/p/z", &Caller::anonymous()).unwrap();
    assert!(none.is_empty() && none.iter().next().is_none());
}

#[test]
fn all_children_number_counts_every_descendant() {
    let mut f = Fixture::new();
    for p in ["/a", "/a/b", "/a/b/c", "/a/d", "/ab"] {
        f.create_stat(p, b"");
    }
    let any = Caller::anonymous();
    assert_eq!(f.tree.get_all_children_number("/a", &any), Ok(3));
    assert_eq!(f.tree.get_all_children_number("/a/b/c", &any), Ok(0));
    // Every node but the root: the five above and the three built-in ones.
    assert_eq!(f.tree.get_all_children_number("/", &any), Ok(8));
    assert_eq!(
        f.tree.get_all_children_number("/x", &any),
        Err(ZkError::NoNode)
    );
}

#[test]
fn ephemerals_are_listed_per_session_and_prefix() {
    let mut f = Fixture::new();
    f.create_stat("/app", b"");
    f.create("/app/e1", b"", CreateMode::Ephemeral).unwrap();
    f.create("/apple", b"", CreateMode::Ephemeral).unwrap();
    f.create("/other", b"", CreateMode::Ephemeral).unwrap();
    let all = vec!["/app/e1".to_string(), "/apple".into(), "/other".into()];
    assert_eq!(f.tree.get_ephemerals(SESSION, ""), all);
    assert_eq!(
        f.tree.get_ephemerals(SESSION, " / "),
        all,
        "trimmed, / means all"
    );
    assert_eq!(
        f.tree.get_ephemerals(SESSION, "/app"),
        vec!["/app/e1", "/apple"]
    );
    assert_eq!(f.tree.get_ephemerals(SESSION, "/app/"), vec!["/app/e1"]);
    assert!(f.tree.get_ephemerals(OTHER_SESSION, "").is_empty());
}

#[test]
fn exists_on_the_root_and_builtins() {
    let f = Fixture::new();
    let any = Caller::anonymous();
    assert_eq!(f.tree.exists("/", &any).unwrap().num_children, 1);
    assert_eq!(f.tree.exists("/zookeeper", &any).unwrap().cversion, -2);
}
