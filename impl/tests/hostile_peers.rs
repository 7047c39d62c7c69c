//! Hostile peers against a real 3-server `zabd ensemble`, whose servers prove a shared
//! secret (`zab.quorum.secretFile`) on every peer connection: a connection without it is
//! refused and disturbs nothing, and even one with it cannot write through the leader
//! before it has synced as a learner.

use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::raw::{conn, create, exists, handshake};
use support::Ensemble;
use zab::server::fourlw::ask;
use zab::server::links::{encode, Envelope, PeerAuth, Plane, QuorumSecret};

mod support;

/// Each server's (id, client port, quorum port), from the ensemble's zoo.cfg files.
fn servers(e: &Ensemble) -> Vec<(u64, u16, u16)> {
    let cfg = std::fs::read_to_string(e.dir.path().join("z1.cfg")).unwrap();
    e.hosts
        .split(',')
        .enumerate()
        .map(|(i, h)| {
            let id = i as u64 + 1;
            let line = cfg
                .lines()
                .find(|l| l.starts_with(&format!("server.{id}=")))
                .unwrap();
            let quorum = line.split(':').nth(1).unwrap().parse().unwrap();
            (id, h.rsplit(':').next().unwrap().parse().unwrap(), quorum)
        })
        .collect()
}

/// The leader's (id, client port, quorum port) and its `srvr` zxid's epoch.
fn leader(e: &Ensemble) -> ((u64, u16, u16), u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for s in servers(e) {
            let text = ask(s.1, "srvr").unwrap_or_default();
            if text.contains("Mode: leader") {
                let zxid = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Zxid: 0x"))
                    .and_then(|z| u64::from_str_radix(z.trim(), 16).ok())
                    .unwrap();
                return (s, zxid >> 32);
            }
        }
        assert!(Instant::now() < deadline, "no leader");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Server `id` still leads, in `epoch`: nothing made it give up leadership.
fn still_leading(e: &Ensemble, id: u64, epoch: u64) {
    let (now, epoch_now) = leader(e);
    assert_eq!((now.0, epoch_now), (id, epoch), "the same leader, epoch");
}

/// Calls `port` as server `id` proving `secret` (or none); the connection if the server
/// keeps it open after the handshake (a refused one is closed at once).
fn call_as(id: u64, to: u64, port: u16, secret: Option<QuorumSecret>) -> Option<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = rt.block_on(async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let me = PeerAuth::new(id, [1, 2, 3], secret);
        me.connect(&mut s, to, Plane::Quorum).await.ok().map(|()| s)
    })?;
    let mut s = s.into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    match std::io::Read::read(&mut s, &mut [0u8; 1]) {
        Ok(0) => None,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
        _ => Some(s),
    }
}

fn secret_of(e: &Ensemble) -> QuorumSecret {
    QuorumSecret::read(&e.dir.path().join("quorum.secret")).unwrap()
}

/// A connection claiming each follower's id, without the secret, opens and closes again and
/// again. Each is refused before the leader hears of it, so the leader keeps its learners,
/// its epoch and its clients. Before (no authentication), such a connection replaced the
/// follower's own and its close told the leader the follower was gone: with both followers
/// gone the leader gave up leadership.
#[test]
fn a_peer_without_the_secret_is_refused_and_disturbs_nothing() {
    let e = Ensemble::zabd(3, 0);
    let ((leader_id, client, quorum), _) = leader(&e);
    let mut s = conn(client);
    handshake(&mut s, 0, vec![0; 16]);
    // The session's creation is a transaction of the leader's epoch.
    let (_, epoch) = leader(&e);
    let wrong = QuorumSecret::read(&{
        let f = e.dir.path().join("wrong.secret");
        std::fs::write(&f, "not-the-ensemble-secret").unwrap();
        let owner_only = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        std::fs::set_permissions(&f, owner_only).unwrap();
        f
    })
    .unwrap();
    for round in 0..10 {
        for (id, _, _) in servers(&e).into_iter().filter(|s| s.0 != leader_id) {
            let secret = (round % 2 == 0).then(|| wrong.clone());
            assert!(call_as(id, leader_id, quorum, secret).is_none());
        }
    }
    assert_eq!(create(&mut s, 1, "/after-the-attack").err, 0);
    still_leading(&e, leader_id, epoch);
    for (_, port, _) in servers(&e) {
        let mut c = conn(port);
        handshake(&mut c, 0, vec![0; 16]);
        assert!(exists(&mut c, 1, "/after-the-attack"), "on {port}");
    }
    let log = std::fs::read_to_string(e.dir.path().join(format!("z{leader_id}.log"))).unwrap();
    assert!(log.contains("peer connection refused"), "{log}");
}

/// Even with the secret, a connection other than the one a learner synced on cannot speak
/// for it: a touch and a forwarded close of another client's session sent on a second
/// connection claiming the follower's id are dropped (the session lives on), and that
/// connection's close does not make the leader drop the follower.
#[test]
fn a_second_connection_cannot_speak_for_a_learner() {
    let e = Ensemble::zabd(3, 0);
    let ((leader_id, client, quorum), _) = leader(&e);
    let mut victim = conn(client);
    let granted = handshake(&mut victim, 0, vec![0; 16]);
    let (_, epoch) = leader(&e);
    let follower = servers(&e).into_iter().find(|s| s.0 != leader_id).unwrap();
    let body = zab::database::ClientWrite::new(
        zab::data_tree::Caller::default(),
        zab::data_tree::Request::CloseSession,
    )
    .encode();
    let request = Envelope::Replica(
        zab::replica::PeerMsg::Quorum(zab::replica::Packet::Request(
            zab::replica::messages::ForwardedRequest {
                origin: follower.0,
                session_id: granted.session_id,
                cxid: 1,
                body: std::sync::Arc::new(body),
            },
        )),
        zab::server::trace::MsgId { life: 1, seq: 1 },
    );
    let touch = Envelope::Touch(vec![granted.session_id]);
    let mut stream = call_as(follower.0, leader_id, quorum, Some(secret_of(&e))).expect("admitted");
    let _ = std::io::Write::write_all(&mut stream, &[encode(&touch), encode(&request)].concat());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        exists(&mut victim, 1, "/"),
        "the victim's session was closed by a forged write"
    );
    // Its close does not make the leader drop the real follower.
    drop(stream);
    std::thread::sleep(Duration::from_millis(500));
    let mut c = conn(follower.1);
    handshake(&mut c, 0, vec![0; 16]);
    assert_eq!(create(&mut c, 1, "/through-the-follower").err, 0);
    still_leading(&e, leader_id, epoch);
}
