//! Hostile input at a running server: malformed, truncated and oversized frames, unknown
//! opcodes, requests before the handshake, sessions that do not exist. Each gets ZooKeeper's
//! answer or a closed connection, and a well-behaved session on the same server goes on.

use std::io::Write;
use std::time::Duration;
use support::raw::{closed, conn, create, exists, handshake, recv, request, send, session_granted};
use zab::server::fourlw::ask as four_letter;
use zab::wire::{opcode, Reader, ReplyHeader, Writer};

mod support;

use support::in_process::{start, start_with};

#[test]
fn hostile_input_is_refused_and_other_sessions_go_on() {
    let server = start();
    let mut good = conn(server.port);
    let hello = handshake(&mut good, 0, vec![0; 16]);
    assert!(hello.timeout_ms > 0 && hello.session_id != 0);
    assert_eq!(create(&mut good, 1, "/ok").err, 0);

    // A length over jute.maxbuffer: closed before any of it is read.
    let mut s = conn(server.port);
    s.write_all(&(64u32 << 20).to_be_bytes()).unwrap();
    assert!(closed(&mut s), "oversized frame");

    // A negative length.
    let mut s = conn(server.port);
    s.write_all(&(-5i32).to_be_bytes()).unwrap();
    assert!(closed(&mut s), "negative length");

    // A garbage handshake.
    let mut s = conn(server.port);
    send(&mut s, &[1, 2, 3]);
    assert!(closed(&mut s), "garbage handshake");

    // A truncated frame, then the client goes away: nothing to answer, nothing breaks.
    let mut s = conn(server.port);
    s.write_all(&[0, 0, 0, 50, 1, 2]).unwrap();
    drop(s);

    // An unknown opcode: Unimplemented (-6), then closed.
    let mut s = conn(server.port);
    handshake(&mut s, 0, vec![0; 16]);
    let h = request(&mut s, 7, 999, |_| {});
    assert_eq!((h.xid, h.err), (7, -6));
    assert!(closed(&mut s), "closed after an unknown opcode");

    // A malformed body under a known opcode: closed.
    let mut s = conn(server.port);
    handshake(&mut s, 0, vec![0; 16]);
    let mut w = Writer::new();
    w.int(1).int(opcode::GET_DATA).int(1_000_000);
    send(&mut s, &w.bytes);
    assert!(closed(&mut s), "malformed getData");

    // An invalid create flag: BadArguments (-8), the connection stays.
    let mut s = conn(server.port);
    handshake(&mut s, 0, vec![0; 16]);
    let h = request(&mut s, 2, opcode::CREATE, |w| {
        w.ustring("/bad").buffer(b"").int(0).int(42);
    });
    assert_eq!(h.err, -8);
    assert_eq!(create(&mut s, 3, "/after-bad").err, 0);

    // A session that does not exist: the "expired" handshake reply (timeout 0), closed.
    let mut s = conn(server.port);
    let r = handshake(&mut s, 0x7777, vec![0; 16]);
    assert_eq!((r.timeout_ms, r.session_id), (0, 0));
    assert!(closed(&mut s), "closed after an unknown session");

    // The right session with the wrong password: also refused.
    let mut s = conn(server.port);
    let r = handshake(&mut s, hello.session_id, vec![9; 16]);
    assert_eq!(r.timeout_ms, 0);

    // Resuming with the right password works, on a new connection.
    let mut again = conn(server.port);
    let r = handshake(&mut again, hello.session_id, hello.passwd.clone());
    assert_eq!(r.session_id, hello.session_id);
    assert_eq!(create(&mut again, 2, "/ok2").err, 0);
    assert_eq!(create(&mut again, 3, "/ok2").err, -110, "NodeExists");
    assert_eq!(four_letter(server.port, "ruok").as_deref(), Some("imok"));
}

#[test]
fn replies_follow_request_order_and_reads_see_earlier_writes() {
    let server = start();
    let mut s = conn(server.port);
    handshake(&mut s, 0, vec![0; 16]);
    // Pipeline: create, getData of it, setData, getData; all sent before any reply is read.
    let mut w = Writer::new();
    let mut bodies = Vec::new();
    w.int(1).int(opcode::CREATE).ustring("/p").buffer(b"a");
    w.int(1).int(31).ustring("world").ustring("anyone").int(0);
    bodies.push(std::mem::take(&mut w.bytes));
    w.int(2).int(opcode::GET_DATA).ustring("/p").boolean(false);
    bodies.push(std::mem::take(&mut w.bytes));
    w.int(3)
        .int(opcode::SET_DATA)
        .ustring("/p")
        .buffer(b"bb")
        .int(0);
    bodies.push(std::mem::take(&mut w.bytes));
    w.int(4).int(opcode::GET_DATA).ustring("/p").boolean(false);
    bodies.push(std::mem::take(&mut w.bytes));
    for b in &bodies {
        send(&mut s, b);
    }
    let mut data = Vec::new();
    for want in 1..=4 {
        let reply = recv(&mut s).unwrap();
        let mut r = Reader::new(&reply);
        let h = ReplyHeader::decode(&mut r).unwrap();
        assert_eq!((h.xid, h.err), (want, 0));
        if want % 2 == 0 {
            data.push(r.buffer().unwrap());
        }
    }
    assert_eq!(data, vec![b"a".to_vec(), b"bb".to_vec()]);
}

/// `maxCnxns=3` (ZooKeeper's cap on all connections of the client port): a fourth connection
/// is closed before its handshake is read, and a closed connection frees its place.
#[test]
fn the_client_port_holds_at_most_max_cnxns_connections() {
    let server = start_with("maxCnxns=3\nmaxClientCnxns=0\n");
    let mut held: Vec<_> = (0..3)
        .map(|_| session_granted(server.port).expect("within maxCnxns"))
        .collect();
    assert!(
        session_granted(server.port).is_none(),
        "a fourth connection"
    );
    let srvr = four_letter(server.port, "srvr");
    assert!(
        !srvr.is_some_and(|t| t.contains("Mode:")),
        "a four-letter word counts too"
    );
    held.pop();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while session_granted(server.port).is_none() {
        assert!(std::time::Instant::now() < deadline, "no place freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The xid of a reply and its error code.
fn reply_of(s: &mut std::net::TcpStream) -> Option<(i32, i32)> {
    let h = ReplyHeader::decode(&mut Reader::new(&recv(s)?)).unwrap();
    Some((h.xid, h.err))
}

/// A request pipelined in the same packet as the handshake waits for the session, as
/// ZooKeeper's `disableRecv` makes it (before, it closed the connection and left the new
/// session orphaned).
#[test]
fn a_request_pipelined_after_the_handshake_waits_for_the_session() {
    let server = start();
    let mut s = conn(server.port);
    let mut bytes = zab::wire::frame::frame(&support::raw::connect_request(0, vec![0; 16]));
    bytes.extend(zab::wire::frame::frame(&support::raw::create_request(
        1, "/early", b"",
    )));
    s.write_all(&bytes).unwrap();
    let hello = zab::wire::ConnectResponse::decode(&recv(&mut s).expect("the handshake's reply"));
    assert!(hello.unwrap().session_id != 0);
    assert_eq!(reply_of(&mut s), Some((1, 0)), "the pipelined create");
}

/// Two writes in flight with the same xid are both answered, in order (before, the second
/// replaced the first in a map keyed by (session, xid), and the connection hung).
#[test]
fn two_writes_with_the_same_xid_are_both_answered() {
    let server = start();
    let mut s = conn(server.port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    let mut bytes = zab::wire::frame::frame(&support::raw::create_request(7, "/one", b""));
    bytes.extend(zab::wire::frame::frame(&support::raw::create_request(
        7, "/two", b"",
    )));
    bytes.extend(zab::wire::frame::frame(&support::raw::create_request(
        7, "/one", b"",
    )));
    s.write_all(&bytes).unwrap();
    assert_eq!(reply_of(&mut s), Some((7, 0)));
    assert_eq!(reply_of(&mut s), Some((7, 0)));
    assert_eq!(
        reply_of(&mut s),
        Some((7, -110)),
        "NodeExists: the third is the third"
    );
    assert_eq!(create(&mut s, 8, "/two").err, -110);
}

/// `addauth digest super:secret` with `DigestAuthenticationProvider.superDigest` set to its
/// digest makes the connection the superuser, whom no ACL refuses; a wrong password, or no
/// superDigest configured, does not.
#[test]
fn the_super_digest_makes_a_superuser() {
    use zab::data_tree::acl_check::generate_digest;
    let key = "DigestAuthenticationProvider.superDigest";
    let configured = start_with(&format!("{key}={}\n", generate_digest("super:secret")));
    let unconfigured = start();
    for (server, secret, code) in [
        (&configured, "secret", 0),
        (&configured, "guess", -102),
        (&unconfigured, "secret", -102),
    ] {
        let mut owner = conn(server.port);
        assert!(handshake(&mut owner, 0, vec![0; 16]).session_id != 0);
        let mut w = Writer::new();
        w.int(1)
            .int(opcode::CREATE)
            .ustring("/private")
            .buffer(b"x");
        w.int(1)
            .int(31)
            .ustring("digest")
            .ustring(&generate_digest("alice:pw"));
        w.int(0);
        send(&mut owner, &w.bytes);
        let created = ReplyHeader::decode(&mut Reader::new(&recv(&mut owner).unwrap())).unwrap();
        assert!(created.err == 0 || created.err == -110, "{}", created.err);

        let mut s = conn(server.port);
        assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
        let auth = request(&mut s, 2, opcode::AUTH, |w| {
            w.int(0)
                .ustring("digest")
                .buffer(format!("super:{secret}").as_bytes());
        });
        assert_eq!(auth.err, 0);
        let read = request(&mut s, 3, opcode::GET_DATA, |w| {
            w.ustring("/private").boolean(false);
        });
        assert_eq!(read.err, code, "super:{secret} on port {}", server.port);
    }
}

/// With `jute.maxbuffer` at 4 MiB, a 2 MB node is created and read back whole. Before, an
/// internal 1.06 MiB limit on forwarded writes emptied the body and the create failed with
/// MARSHALLINGERROR (-5).
#[test]
fn jute_maxbuffer_above_one_mib_is_honoured() {
    let server = start_with("jute.maxbuffer=4194304\n");
    let mut s = conn(server.port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    let data = vec![b'z'; 2_000_000];
    send(&mut s, &support::raw::create_request(1, "/big", &data));
    assert_eq!(reply_of(&mut s), Some((1, 0)));
    let mut w = Writer::new();
    w.int(2)
        .int(opcode::GET_DATA)
        .ustring("/big")
        .boolean(false);
    send(&mut s, &w.bytes);
    let reply = recv(&mut s).expect("getData's reply");
    let mut r = Reader::new(&reply);
    assert_eq!(ReplyHeader::decode(&mut r).unwrap().err, 0);
    assert_eq!(r.buffer().unwrap(), data);
}

/// The leader's container manager: a container whose last child is deleted goes within a
/// check interval or two; one that never had a child stays. Before, nothing deleted it.
#[test]
fn an_emptied_container_is_deleted() {
    let server = start_with("znode.container.checkIntervalMs=200\n");
    let mut s = conn(server.port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    for (xid, path) in [(1, "/used"), (2, "/unused")] {
        let mut w = Writer::new();
        w.int(xid)
            .int(opcode::CREATE_CONTAINER)
            .ustring(path)
            .buffer(b"");
        w.int(1).int(31).ustring("world").ustring("anyone");
        w.int(4); // CreateMode.CONTAINER
        send(&mut s, &w.bytes);
        assert_eq!(reply_of(&mut s).map(|(_, err)| err), Some(0));
    }
    assert_eq!(create(&mut s, 3, "/used/child").err, 0);
    let deleted = request(&mut s, 4, opcode::DELETE, |w| {
        w.ustring("/used/child").int(-1);
    });
    assert_eq!(deleted.err, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut xid = 5;
    while exists(&mut s, xid, "/used") {
        assert!(
            std::time::Instant::now() < deadline,
            "/used was not deleted"
        );
        std::thread::sleep(Duration::from_millis(50));
        xid += 1;
    }
    assert!(
        exists(&mut s, xid, "/unused"),
        "a container that never had a child stays"
    );
}

/// Whether the server closes `s` within `within`: a read sees the end of the stream or an
/// error (a reset) rather than timing out.
fn closed_within(s: &mut std::net::TcpStream, within: Duration) -> bool {
    use std::io::{ErrorKind, Read};
    let deadline = std::time::Instant::now() + within;
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 256];
    while std::time::Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

/// `zookeeper.nio.sessionlessCnxnTimeout` (ZooKeeper's system property, a zoo.cfg key here):
/// a connection that sends nothing, or only part of its handshake, is closed once it has
/// gone that long without a session (before, it held its place, a core entry and its
/// buffers for as long as the client kept it open); a session set up in time, and a
/// four-letter word, are unaffected.
#[test]
fn a_connection_without_a_session_is_closed_after_the_sessionless_timeout() {
    // 2 s: the good session's handshake must be answered within it, its createSession
    // fsynced, while the other tests of this binary load the machine's two cores.
    let server =
        start_with("zookeeper.nio.sessionlessCnxnTimeout=2000\n4lw.commands.whitelist=ruok\n");
    let started = std::time::Instant::now();
    let mut silent = conn(server.port);
    let mut partial = conn(server.port);
    partial.write_all(&[0, 0, 0, 45, 0, 0]).unwrap();
    let mut good = conn(server.port);
    let hello = handshake(&mut good, 0, vec![0; 16]);
    assert!(hello.session_id != 0 && hello.timeout_ms >= 2000);

    assert!(
        closed_within(&mut silent, Duration::from_secs(15)),
        "a connection that sent nothing is still open"
    );
    assert!(
        closed_within(&mut partial, Duration::from_secs(15)),
        "a connection with half a handshake is still open"
    );
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1900), "closed after {took:?}");

    // The session lives on past the timeout, and four-letter words still answer.
    std::thread::sleep(Duration::from_millis(2500).saturating_sub(started.elapsed()));
    assert_eq!(create(&mut good, 1, "/after").err, 0);
    assert!(exists(&mut good, 2, "/after"));
    assert_eq!(four_letter(server.port, "ruok").as_deref(), Some("imok"));
}
