//! Observers in a real ensemble: `zabd ensemble --servers 3 --observers 1`. The observer says
//! so in `srvr` (and no observer leads), forwards its clients' writes to the leader, and learns
//! every commit (INFORM): the voters' clients see the observer's writes and the observer's
//! clients see theirs.

use std::time::Duration;
use support::{zk_connect as connect, Ensemble};
use zab::server::fourlw::ask;
use zookeeper_client as zk;

mod support;

fn port(host: &str) -> u16 {
    host.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn an_observer_forwards_writes_and_learns_every_commit() {
    let e = Ensemble::zabd(3, 1);
    let hosts: Vec<&str> = e.hosts.split(',').collect();
    let modes: Vec<String> = hosts
        .iter()
        .map(|h| ask(port(h), "srvr").unwrap_or_default())
        .collect();
    assert!(modes[3].contains("Mode: observer"), "{}", modes[3]);
    assert_eq!(
        modes[..3]
            .iter()
            .filter(|m| m.contains("Mode: leader"))
            .count(),
        1,
        "{modes:?}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let script = async {
        let open = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
        let (obs, voter) = (connect(hosts[3]).await, connect(hosts[0]).await);
        // A write through the observer, read at a voter after sync.
        obs.create("/from-observer", b"o", &open).await.unwrap();
        voter.sync("/").await.unwrap();
        assert_eq!(voter.get_data("/from-observer").await.unwrap().0, b"o");
        // Writes at a voter reach the observer, in order.
        for i in 0..50u32 {
            voter
                .create(&format!("/v{i}"), &i.to_be_bytes(), &open)
                .await
                .unwrap();
        }
        obs.sync("/").await.unwrap();
        let mut kids = obs.list_children("/").await.unwrap();
        kids.retain(|k| k.starts_with('v'));
        assert_eq!(kids.len(), 50);
        let (data, stat) = obs.get_data("/v49").await.unwrap();
        assert_eq!((data, stat.version), (49u32.to_be_bytes().to_vec(), 0));
        // In order: the creates' zxids at the observer rise with their index.
        let mut czxids = Vec::new();
        for i in 0..50u32 {
            czxids.push(obs.get_data(&format!("/v{i}")).await.unwrap().1.czxid);
        }
        assert!(czxids.windows(2).all(|w| w[0] < w[1]), "{czxids:?}");
    };
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), script).await })
        .expect("the observer script finishes within 60 s");
}
