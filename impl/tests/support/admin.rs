//! The AdminServer's commands over HTTP and the workload the admin tests put on a target
//! (`tests/admin.rs`, `tests/admin_vs_zookeeper.rs`).

use super::{http, mode, zk_connect, Ensemble};
use serde_json::Value;
use std::time::{Duration, Instant};
use zookeeper_client as zk;

/// `GET /commands/<name>` on `port`, as JSON.
pub fn command(port: u16, name: &str) -> (u16, Value) {
    let (code, body) = http::get(port, &format!("/commands/{name}"));
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: {e}: {body}"));
    (code, json)
}

/// `GET /commands/<name>` until `ok` holds of it (servers apply asynchronously).
pub fn command_until(port: u16, name: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, v) = command(port, name);
        assert_eq!(code, 200, "{name}: {v}");
        if ok(&v) || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The workload both targets get, through a client of the server on `host`: two
/// persistent nodes and an ephemeral, two data watches and a child watch. Returns the
/// session and its watches (kept: the client removes a watch whose watcher is dropped) and
/// the session's id.
pub async fn workload(host: &str) -> (Session, i64) {
    let c = zk_connect(host).await;
    let open = |mode: zk::CreateMode| mode.with_acls(zk::Acls::anyone_all());
    c.create("/app", b"hello", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    c.create("/app/child", b"", &open(zk::CreateMode::Persistent))
        .await
        .unwrap();
    c.create("/eph", b"e", &open(zk::CreateMode::Ephemeral))
        .await
        .unwrap();
    let (_, _, data) = c.get_and_watch_data("/app").await.unwrap();
    let (_, _, children) = c.get_and_watch_children("/app").await.unwrap();
    let (_, exists) = c.check_and_watch_stat("/eph").await.unwrap();
    let id = c.session_id().0;
    (Session(c, vec![data, children, exists]), id)
}

/// A client and the watchers it holds.
pub struct Session(
    #[allow(dead_code)] zk::Client,
    #[allow(dead_code)] Vec<zk::OneshotWatcher>,
);

/// The index of the first server whose `srvr` says it follows, and the leader's.
pub fn follower_and_leader(e: &Ensemble) -> (usize, usize) {
    let modes: Vec<_> = e.client_ports().into_iter().map(mode).collect();
    let find = |m: &str| modes.iter().position(|x| x.as_deref() == Some(m));
    (find("follower").unwrap(), find("leader").unwrap())
}
