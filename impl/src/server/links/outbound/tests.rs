//! The outbound link's tests: against listeners standing for the peer.

use super::*;
use std::io::Read;

/// Server 1's quorum link to a listener standing for server 2, and the link's events.
fn quorum_link_to_two(
    rt: &tokio::runtime::Runtime,
) -> (
    Link,
    std::net::TcpListener,
    std::sync::mpsc::Receiver<Event>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (events, heard) = std::sync::mpsc::channel();
    let to = Target {
        auth: Arc::new(PeerAuth::new(1, [1, 2], None)),
        peer: 2,
        plane: Plane::Quorum,
        addr,
    };
    (Link::spawn(rt.handle(), to, events), listener, heard)
}

/// Accepts the link's connection and runs server 2's side of the handshake, so the link
/// goes on to write what it holds.
fn accept_as_two(
    rt: &tokio::runtime::Runtime,
    listener: &std::net::TcpListener,
) -> std::net::TcpStream {
    let (peer, _) = listener.accept().unwrap();
    peer.set_nonblocking(true).unwrap();
    let two = PeerAuth::new(2, [1, 2], None);
    let peer = rt.block_on(async {
        let mut s = tokio::net::TcpStream::from_std(peer).unwrap();
        assert_eq!(two.accept(&mut s).await.unwrap(), (1, Plane::Quorum));
        s.into_std().unwrap()
    });
    peer.set_nonblocking(false).unwrap();
    peer
}

/// A peer that closes the connection (a killed or restarted server) is noticed while
/// the link is idle: the break is reported at once, not after the next write, which the
/// kernel would accept into the dead connection and lose. Before, a restarted follower
/// waited 0.6 s for its election and as long again for its discovery, each time for its
/// own retry after the first answer to it was lost that way.
#[test]
fn a_link_whose_peer_hangs_up_reports_the_break_while_idle() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (link, listener, heard) = quorum_link_to_two(&rt);
    link.try_send(LinkCmd::Send(vec![0, 0, 0, 1, 7])).unwrap();
    let mut peer = accept_as_two(&rt, &listener);
    let mut got = [0u8; 5];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(got, [0, 0, 0, 1, 7]);
    drop(peer);
    match heard.recv_timeout(Duration::from_secs(5)) {
        Ok(Event::Link(LinkEvent::Broken { peer: 2 })) => {}
        other => panic!("no break reported while idle: {other:?}"),
    }
    drop(link);
}

/// A link dropped while it still holds 64 MiB (the peer reads nothing, so the task waits
/// on a full socket) sends none of the rest: its connection closes at once and no new
/// one opens. Before, a replaced quorum link kept its task, which wrote its whole queue
/// on, and would have reconnected to do so.
#[test]
fn a_dropped_link_stops_at_once_and_sends_nothing_it_still_held() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (link, listener, _events) = quorum_link_to_two(&rt);
    let chunk = vec![7u8; 4 << 20];
    for _ in 0..16 {
        link.try_send(LinkCmd::Send(chunk.clone())).unwrap();
    }
    let mut peer = accept_as_two(&rt, &listener);
    std::thread::sleep(Duration::from_millis(200));
    drop(link);
    peer.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (mut got, mut buf) = (0, vec![0; 1 << 20]);
    loop {
        match peer.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    assert!(
        got < 16 * chunk.len(),
        "{got} bytes arrived: everything the link held"
    );
    listener.set_nonblocking(true).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        listener.accept().is_err(),
        "the dropped link connected again"
    );
}

/// A peer killed while its election link idles, and a notification queued before the link's
/// task next runs (the core heard of the death on another connection): the notification
/// goes on a new connection, whether the runtime's driver saw the hang-up before the task ran
/// or not. Before, the task took either at random when it had, and the command when it had
/// not, writing it into the dead connection: the notification was lost and, as no connection
/// was tried, the peer's absence never logged (CI's
/// `an_unreachable_peer_is_logged_once_and_again_when_it_is_back`, two runs in nine).
#[test]
fn a_command_queued_as_the_peer_hangs_up_goes_on_a_new_connection() {
    hang_ups_with_a_command_waiting(true);
    hang_ups_with_a_command_waiting(false);
}

/// Server 1's election link to a listener standing for server 2.
fn election_link_to_two(rt: &tokio::runtime::Runtime) -> (Link, tokio::net::TcpListener) {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let to = Target {
        auth: Arc::new(PeerAuth::new(1, [1, 2], None)),
        peer: 2,
        plane: Plane::Election,
        addr: listener.local_addr().unwrap().to_string(),
    };
    // Election links report nothing.
    let (events, _) = std::sync::mpsc::channel();
    (Link::spawn(rt.handle(), to, events), listener)
}

/// Ten rounds of a hang-up of server 2 and a notification for it queued at once. A
/// single-threaded runtime runs the link only when driven. If `seen`, the test is woken by the
/// same turn of the driver that sees the hang-up and queues the command then, so the task
/// finds both ready (without the fix all rounds pass one time in 1,024); if not, the command is
/// queued before the runtime is driven at all, so the task runs before the driver sees the
/// hang-up.
fn hang_ups_with_a_command_waiting(seen: bool) {
    use tokio::io::AsyncReadExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (link, listener) = election_link_to_two(&rt);
    let two = PeerAuth::new(2, [1, 2], None);
    // Server 2's side of the next connection, and the frame it carries.
    let accept = || async {
        let (mut s, _) = listener.accept().await.unwrap();
        assert_eq!(two.accept(&mut s).await.unwrap(), (1, Plane::Election));
        let mut got = [0u8; 5];
        s.read_exact(&mut got).await.unwrap();
        (s, got[4])
    };
    let send = |round: u8| {
        link.try_send(LinkCmd::Send(vec![0, 0, 0, 1, round]))
            .unwrap()
    };
    send(0);
    let (mut peer, _) = rt.block_on(accept());
    for round in 1..=10u8 {
        let (mut ring, bell) = std::os::unix::net::UnixStream::pair().unwrap();
        bell.set_nonblocking(true).unwrap();
        let mut bell = rt.block_on(async { tokio::net::UnixStream::from_std(bell).unwrap() });
        drop(peer);
        std::io::Write::write_all(&mut ring, &[round]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        if !seen {
            send(round);
        }
        let next = rt.block_on(async {
            if seen {
                bell.read_exact(&mut [0]).await.unwrap();
                send(round);
            }
            tokio::time::timeout(Duration::from_secs(2), accept()).await
        });
        let Ok((next_peer, got)) = next else {
            panic!("seen {seen}, round {round}: the notification went into the dead connection");
        };
        assert_eq!(got, round);
        peer = next_peer;
    }
    drop(link);
}

/// An election connection that carried a notification and is found dead is replaced at once,
/// with nothing to send, so that a peer gone for good is found unreachable (and logged) now,
/// not at the next election; one that carried nothing is not (no loop against a peer that
/// hangs up on every connection). Before, nothing was tried until the next notification.
#[test]
fn a_dead_election_connection_that_carried_a_notification_is_replaced_at_once() {
    use tokio::io::AsyncReadExt;
    use tokio::time::timeout;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (link, listener) = election_link_to_two(&rt);
    let two = PeerAuth::new(2, [1, 2], None);
    let accept = || async {
        let (mut s, _) = timeout(Duration::from_secs(2), listener.accept())
            .await
            .ok()?
            .unwrap();
        assert_eq!(two.accept(&mut s).await.unwrap(), (1, Plane::Election));
        Some(s)
    };
    link.try_send(LinkCmd::Send(vec![0, 0, 0, 1, 7])).unwrap();
    rt.block_on(async {
        let mut carried = accept().await.expect("the first connection");
        let mut got = [0u8; 5];
        carried.read_exact(&mut got).await.unwrap();
        drop(carried);
        let mut empty = accept().await.expect("no new connection after the hang-up");
        let quiet = timeout(Duration::from_millis(300), empty.read(&mut got)).await;
        assert!(quiet.is_err(), "the new connection carried {quiet:?}");
        drop(empty);
        assert!(
            accept().await.is_none(),
            "a connection that carried nothing was replaced"
        );
        link.try_send(LinkCmd::Send(vec![0, 0, 0, 1, 8])).unwrap();
        let mut next = accept()
            .await
            .expect("a connection for the next notification");
        next.read_exact(&mut got).await.unwrap();
        assert_eq!(got[4], 8);
    });
    drop(link);
}
