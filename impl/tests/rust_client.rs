//! The Rust `zookeeper-client` crate against a 3-server `zabd ensemble`, and the same script
//! against a standalone Apache ZooKeeper 3.8: the operations kazoo lacks (containers, TTL
//! nodes, getEphemerals, getAllChildrenNumber, multiRead, addWatch persistent and recursive,
//! whoAmI; dropped watchers send removeWatches, after which the session must go on) plus
//! the common ones. Each step's answer goes into a transcript with zxids and times left out;
//! the test checks the answers it names and that the two servers' transcripts are the same.

use std::time::Duration;
use support::{zk_connect as connect, Ensemble};
use zookeeper_client as zk;

mod support;

/// A Stat without what differs between servers (zxids, times, session ids).
fn stat(s: &zk::Stat) -> String {
    format!(
        "v{} cv{} av{} eph:{} len{} kids{}",
        s.version,
        s.cversion,
        s.aversion,
        s.ephemeral_owner != 0,
        s.data_length,
        s.num_children
    )
}

/// The next event of a persistent watcher, as "type path".
async fn next_event(w: &mut zk::PersistentWatcher) -> String {
    let ev = tokio::time::timeout(Duration::from_secs(10), w.changed())
        .await
        .expect("a watch event within 10 s");
    format!("{:?} {}", ev.event_type, ev.path)
}

/// The script: `a` on the first server, `b` on the last. Returns the transcript.
async fn script(hosts: &str) -> Vec<String> {
    let hosts: Vec<&str> = hosts.split(',').collect();
    let (a, b) = (
        connect(hosts[0]).await,
        connect(hosts[hosts.len() - 1]).await,
    );
    let mut t = Vec::new();
    let open = |mode: zk::CreateMode| mode.with_acls(zk::Acls::anyone_all());

    let (st, _) = a
        .create("/r", b"root", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    t.push(format!("create /r: {}", stat(&st)));
    for _ in 0..3 {
        let (_, seq) = a
            .create("/r/s-", b"", &open(zk::CreateMode::PersistentSequential))
            .await
            .unwrap();
        t.push(format!("sequential: {seq}"));
    }
    let again = a.create("/r", b"", &open(zk::CreateMode::Persistent)).await;
    t.push(format!("create /r again: {:?}", again.map(|_| ())));

    // A container with a child; TTL nodes are off by default on both.
    a.create("/r/box", b"", &open(zk::CreateMode::Container))
        .await
        .unwrap();
    a.create("/r/box/in", b"x", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    let ttl = open(zk::CreateMode::Persistent).with_ttl(Duration::from_secs(60));
    t.push(format!(
        "ttl: {:?}",
        a.create("/r/ttl", b"", &ttl).await.map(|_| ())
    ));

    // Ephemerals are listed for their own session only.
    b.create("/r/eph", b"", &open(zk::CreateMode::Ephemeral))
        .await
        .unwrap();
    b.sync("/").await.unwrap();
    t.push(format!(
        "b ephemerals: {:?}",
        b.list_ephemerals("/").await.unwrap()
    ));
    t.push(format!(
        "a ephemerals: {:?}",
        a.list_ephemerals("/").await.unwrap()
    ));
    a.sync("/").await.unwrap();
    t.push(format!(
        "descendants of /r: {:?}",
        a.count_descendants_number("/r").await
    ));

    // multiRead: each read answers on its own, a failed one included.
    let mut reads = a.new_multi_reader();
    reads.add_get_data("/r").unwrap();
    reads.add_get_children("/r/box").unwrap();
    reads.add_get_data("/r/missing").unwrap();
    for r in reads.commit().await.unwrap() {
        t.push(match r {
            zk::MultiReadResult::Data { data, stat: s } => {
                format!("read data {data:?} {}", stat(&s))
            }
            zk::MultiReadResult::Children { children } => format!("read children {children:?}"),
            zk::MultiReadResult::Error { err } => format!("read error {err:?}"),
            other => format!("read {other:?}"),
        });
    }

    // multi: a committed one, then one rolled back by a bad version.
    let mut w = a.new_multi_writer();
    w.add_check_version("/r", 0).unwrap();
    w.add_set_data("/r", b"two", None).unwrap();
    w.add_create("/r/m", b"", &open(zk::CreateMode::Persistent))
        .unwrap();
    t.push(format!("multi: {:?}", w.commit().await.map(|r| r.len())));
    let mut w = a.new_multi_writer();
    w.add_delete("/r/m", None).unwrap();
    w.add_set_data("/r", b"three", Some(0)).unwrap();
    t.push(format!(
        "multi rolled back: {:?}",
        w.commit().await.map(|r| r.len())
    ));
    t.push(format!(
        "/r/m still there: {}",
        a.check_stat("/r/m").await.unwrap().is_some()
    ));

    // addWatch: recursive on /r at a, persistent on /r/p at a; b writes.
    let mut rec = a
        .watch("/r", zk::AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    b.create("/r/p", b"", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    // a's server may not have applied b's create yet; a watch added there before it would
    // see the creation too (as a lagging ZooKeeper follower would).
    a.sync("/r/p").await.unwrap();
    let mut per = a.watch("/r/p", zk::AddWatchMode::Persistent).await.unwrap();
    b.set_data("/r/p", b"1", None).await.unwrap();
    b.create("/r/p/q", b"", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    b.delete("/r/p/q", None).await.unwrap();
    for _ in 0..4 {
        t.push(format!("recursive: {}", next_event(&mut rec).await));
    }
    for _ in 0..3 {
        t.push(format!("persistent: {}", next_event(&mut per).await));
    }
    // Dropping a watcher removes it at the server (removeWatches).
    drop((per, rec));

    // A one-shot data watch fires once.
    let (_, _, once) = a.get_and_watch_data("/r/p").await.unwrap();
    b.set_data("/r/p", b"2", None).await.unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(10), once.changed())
        .await
        .unwrap();
    t.push(format!("one-shot: {:?} {}", ev.event_type, ev.path));

    // Digest auth and whoAmI.
    a.auth("digest", b"alice:secret").await.unwrap();
    let mut users: Vec<String> = a
        .list_auth_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| format!("{}:{}", u.scheme(), u.user()))
        .collect();
    users.sort();
    t.push(format!("whoAmI: {users:?}"));

    t.push(format!(
        "versioned set: {:?}",
        a.set_data("/r", b"x", Some(7)).await.map(|_| ())
    ));
    t.push(format!(
        "delete non-empty: {:?}",
        a.delete("/r", None).await
    ));
    let (data, st) = a.get_data("/r").await.unwrap();
    t.push(format!("get /r: {data:?} {}", stat(&st)));
    t
}

fn run(hosts: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), script(hosts)).await })
        .expect("the script finishes within 60 s")
}

fn has(t: &[String], line: &str) -> bool {
    t.iter().any(|l| l == line)
}

#[test]
fn rust_client_sees_the_same_answers_from_zabd_and_zookeeper() {
    let zabd = Ensemble::zabd(3, 0);
    let ours = run(&zabd.hosts);
    println!("zabd:\n  {}", ours.join("\n  "));

    // The answers this test names, whatever ZooKeeper says.
    for line in [
        "sequential: 0000000000",
        "sequential: 0000000002",
        "create /r again: Err(NodeExists)",
        "b ephemerals: [\"/r/eph\"]",
        "a ephemerals: []",
        "recursive: NodeCreated /r/p",
        "recursive: NodeDataChanged /r/p",
        "recursive: NodeCreated /r/p/q",
        "recursive: NodeDeleted /r/p/q",
        "persistent: NodeDataChanged /r/p",
        "persistent: NodeChildrenChanged /r/p",
        "one-shot: NodeDataChanged /r/p",
        "whoAmI: [\"digest:alice\", \"ip:127.0.0.1\"]",
        "versioned set: Err(BadVersion)",
        "delete non-empty: Err(NotEmpty)",
        "/r/m still there: true",
    ] {
        assert!(has(&ours, line), "zabd: no {line:?} in\n{ours:#?}");
    }

    let apache = Ensemble::zookeeper(1);
    let theirs = run(&apache.hosts);
    for (i, (o, z)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(o, z, "step {i} differs: zabd {o:?}, ZooKeeper {z:?}");
    }
    assert_eq!(ours.len(), theirs.len());
    println!(
        "zookeeper-client: {} steps, the same on zabd and ZooKeeper 3.8",
        ours.len()
    );
}
