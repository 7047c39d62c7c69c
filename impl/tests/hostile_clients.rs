//! Hostile clients against a real 3-server `zabd ensemble`: after every attack, every server
//! still serves a fresh client and no acknowledged write is lost.

use std::io::Write as _;
use std::net::TcpStream;
use support::raw::{
    closed, conn, conn_with, connect_request, create, handshake, recv, request, send,
    session_granted,
};
use support::Ensemble;
use zab::error::ZkError;
use zab::wire::{frame, opcode, ConnectResponse, Reader, ReplyHeader, Writer};

mod support;

/// The servers' client ports.
fn ports(e: &Ensemble) -> Vec<u16> {
    e.client_ports()
}

/// A session on `port`.
fn session(port: u16) -> TcpStream {
    let mut s = conn(port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    s
}

/// `addauth digest user:password`, answered.
fn add_auth(s: &mut TcpStream, user: &str) -> ReplyHeader {
    request(s, -4, opcode::AUTH, |w| {
        w.int(0)
            .ustring("digest")
            .buffer(format!("{user}:pw").as_bytes());
    })
}

/// A create of `path` whose ACL is 31 `auth` entries, one per perms value: each expands to
/// every identity the session authenticated.
fn create_with_auth_acl(s: &mut TcpStream, xid: i32, path: &str) -> ReplyHeader {
    let mut w = Writer::new();
    w.int(xid).int(opcode::CREATE).ustring(path).buffer(b"");
    w.int(31);
    for perms in 1..=31 {
        w.int(perms).ustring("auth").ustring("");
    }
    w.int(0);
    send(s, &w.bytes);
    ReplyHeader::decode(&mut Reader::new(&recv(s).expect("a reply"))).unwrap()
}

/// The children of `/` as `port`'s server has them, after a `sync`.
fn root_children(s: &mut TcpStream) -> Vec<String> {
    assert_eq!(
        request(s, 2, opcode::SYNC, |w| {
            w.ustring("/");
        })
        .err,
        0
    );
    let mut w = Writer::new();
    w.int(3)
        .int(opcode::GET_CHILDREN)
        .ustring("/")
        .boolean(false);
    send(s, &w.bytes);
    let reply = recv(s).expect("a reply");
    let mut r = Reader::new(&reply);
    assert_eq!(ReplyHeader::decode(&mut r).unwrap().err, 0);
    let n = r.int().unwrap();
    (0..n).map(|_| r.ustring().unwrap()).collect()
}

/// Every server serves a fresh session, and has every write acknowledged so far.
fn all_serve(e: &Ensemble, acknowledged: &[&str]) {
    for port in ports(e) {
        let mut s = session(port);
        assert_eq!(create(&mut s, 1, &format!("/fresh-{port}")).err, 0);
        let children = root_children(&mut s);
        for path in acknowledged {
            assert!(
                children.iter().any(|c| *c == path[1..]),
                "{path} lost on the server at {port}: {children:?}"
            );
        }
    }
}

/// Identities over `zab.auth.maxIdBytes` or past `zab.auth.maxIds` are refused with
/// AuthFailed and the connection closes, as ZooKeeper does after a failed addauth.
#[test]
fn identities_over_the_limits_are_refused() {
    let e = Ensemble::zabd(3, 0);
    let port = ports(&e)[0];
    let mut s = session(port);
    assert_eq!(create(&mut s, 1, "/before").err, 0);

    let mut long = session(port);
    let h = add_auth(&mut long, &"u".repeat(100_000));
    assert_eq!(h.err, ZkError::AuthFailed.code());
    assert!(closed(&mut long), "a refused addauth closes the connection");

    let mut many = session(port);
    for i in 0..16 {
        assert_eq!(add_auth(&mut many, &format!("user{i}")).err, 0);
    }
    assert_eq!(
        add_auth(&mut many, "user16").err,
        ZkError::AuthFailed.code()
    );
    assert!(closed(&mut many));

    // Sixteen identities within the limits: the ACL expands to 496 entries, a fine create.
    let mut within = session(port);
    for i in 0..16 {
        assert_eq!(
            add_auth(&mut within, &format!("{}{i}", "u".repeat(990))).err,
            0
        );
    }
    assert_eq!(create_with_auth_acl(&mut within, 1, "/within").err, 0);
    all_serve(&e, &["/before", "/within"]);
}

/// The attack that stopped the ensemble, with the identity limits lifted so it reaches the
/// leader: 600 identities of 1 KB and an ACL of 31 `auth` entries expand to an 18 MB
/// transaction. The leader refuses it (BadArguments) before anything is logged; before,
/// its log refused the record, its core thread stopped, and the next leader died on the
/// client's retry.
#[test]
fn a_request_whose_transaction_the_log_cannot_hold_is_refused() {
    let e = Ensemble::zabd_with(3, 0, &["zab.auth.maxIds=1000", "zab.auth.maxIdBytes=2000"]);
    let port = ports(&e)[1];
    let mut s = session(port);
    assert_eq!(create(&mut s, 1, "/before").err, 0);
    let mut attacker = session(port);
    for i in 0..600 {
        assert_eq!(
            add_auth(&mut attacker, &format!("{}{i}", "u".repeat(1000))).err,
            0
        );
    }
    let h = create_with_auth_acl(&mut attacker, 1, "/huge");
    assert_eq!(h.err, ZkError::BadArguments.code());
    // The client retries, as a client does after an error it does not understand.
    let h = create_with_auth_acl(&mut attacker, 2, "/huge");
    assert_eq!(h.err, ZkError::BadArguments.code());
    assert_eq!(create(&mut s, 2, "/after").err, 0);
    all_serve(&e, &["/before", "/after"]);
}

/// The password the parent of this change gave every session: a hash of a constant in the
/// source and the session id, so anyone could compute it.
fn derived_password(session: i64) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(b"zab-rs session password v1");
    h.update(session.to_be_bytes());
    h.finalize()[..16].to_vec()
}

/// The session ids `cons` lists on `port`.
fn listed_sessions(port: u16) -> Vec<i64> {
    let text = zab::server::fourlw::ask(port, "cons").expect("cons answers");
    text.split("sid=0x")
        .skip(1)
        .filter_map(|s| i64::from_str_radix(s.split(',').next()?, 16).ok())
        .collect()
}

/// Whether `path` exists, as the server on `port` sees it.
fn exists(port: u16, path: &str) -> bool {
    support::raw::exists(&mut session(port), 1, path)
}

/// Session hijacking: an attacker who reads a session id (`cons`, opened here as an
/// operator might) cannot resume the session with a password computed from the id, with
/// zeros, or with the right password one bit off; so it cannot close the session and free
/// its ephemeral lock. The owner resumes on another server with the password it was given.
#[test]
fn a_session_cannot_be_resumed_without_its_random_password() {
    let e = Ensemble::zabd(3, 0);
    let p = ports(&e);
    let mut victim = conn(p[0]);
    let hello = handshake(&mut victim, 0, vec![0; 16]);
    let mut w = Writer::new();
    w.int(1).int(opcode::CREATE).ustring("/lock").buffer(b"");
    w.int(1).int(31).ustring("world").ustring("anyone");
    w.int(1); // ephemeral
    send(&mut victim, &w.bytes);
    let h = ReplyHeader::decode(&mut Reader::new(&recv(&mut victim).unwrap())).unwrap();
    assert_eq!(h.err, 0);
    assert!(listed_sessions(p[0]).contains(&hello.session_id));

    let mut one_bit_off = hello.passwd.clone();
    one_bit_off[0] ^= 1;
    let guesses = [derived_password(hello.session_id), vec![0; 16], one_bit_off];
    for (i, guess) in guesses.into_iter().enumerate() {
        let mut attacker = conn(p[1]);
        let r = handshake(&mut attacker, hello.session_id, guess);
        assert_eq!(
            (r.session_id, r.timeout_ms),
            (0, 0),
            "guess {i} resumed the victim's session"
        );
        assert!(
            closed(&mut attacker),
            "a refused resume closes the connection"
        );
    }
    assert!(exists(p[2], "/lock"), "the victim's lock is still held");

    let mut moved = conn(p[2]);
    let r = handshake(&mut moved, hello.session_id, hello.passwd.clone());
    assert_eq!((r.session_id, r.passwd), (hello.session_id, hello.passwd));
    assert_eq!(create(&mut moved, 2, "/owner-moved").err, 0);
    assert!(exists(p[0], "/lock"));
    all_serve(&e, &["/owner-moved"]);
}

/// The counter of the zxid the server on `port` has applied, from `srvr` asked from 127.0.0.3 (so that
/// 127.0.0.1's connection cap does not refuse it).
fn applied_zxid(port: u16) -> u64 {
    use std::io::Read;
    let mut s = conn_from([127, 0, 0, 3], port);
    s.write_all(b"srvr").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let hex = text.split("Zxid: 0x").nth(1).expect("a zxid line");
    let zxid = u64::from_str_radix(hex.split_whitespace().next().unwrap(), 16).unwrap();
    // The counter: one per transaction within the epoch (a fresh ensemble's first
    // transactions are in epoch 1, its zxid before them is 0).
    zxid & 0xffff_ffff
}

/// A connection to `port` on 127.0.0.1 from the local address `from`.
fn conn_from(from: [u8; 4], port: u16) -> TcpStream {
    conn_with(port, |socket| socket.bind((from, 0).into()).unwrap())
}

/// `maxClientCnxns=10` and 60 handshakes from one address: 10 sessions, and only 10 create-
/// session transactions (before, the 50 refused connections kept reading, and each of their
/// handshakes created a session nobody could use). Another address is not held back, and a
/// closed connection frees its place.
#[test]
fn connections_over_max_client_cnxns_are_refused_before_any_session() {
    let e = Ensemble::zabd_with(3, 0, &["maxClientCnxns=10"]);
    let port = ports(&e)[0];
    let before = applied_zxid(port);
    // The ensemble's own start-up polls (`srvr` from 127.0.0.1) give their places back as
    // their tasks end, just after the answer; let them, so the cap is all the flood's.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut flood: Vec<TcpStream> = (0..60).map(|_| conn(port)).collect();
    let hello = connect_request(0, vec![0; 16]);
    for s in &mut flood {
        // A refused connection may be reset before the handshake is written.
        let _ = s.write_all(&frame::frame(&hello));
    }
    let answered = flood
        .iter_mut()
        .map(|s| recv(s).is_some_and(|r| ConnectResponse::decode(&r).unwrap().session_id != 0))
        .filter(|&granted| granted)
        .count();
    assert_eq!(answered, 10);
    let mut other = conn_from([127, 0, 0, 2], port);
    assert!(handshake(&mut other, 0, vec![0; 16]).session_id != 0);
    assert_eq!(
        applied_zxid(port) - before,
        11,
        "one create-session per answered handshake"
    );

    drop(flood);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while session_granted(port).is_none() {
        assert!(std::time::Instant::now() < deadline, "no place freed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    all_serve(&e, &[]);
}

/// The server on `port` of ensemble `e`, stopped (SIGSTOP) until the guard is dropped.
struct Paused(String);

impl Paused {
    fn server(e: &Ensemble, port: u16) -> Paused {
        let id = ports(e).iter().position(|p| *p == port).unwrap() + 1;
        let cfg = e.dir.path().join(format!("z{id}.cfg"));
        let out = std::process::Command::new("pgrep")
            .args(["-f", "--"])
            .arg(&cfg)
            .output()
            .unwrap();
        let pid = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(
            !pid.is_empty() && !pid.contains('\n'),
            "one process for {cfg:?}"
        );
        let stop = std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status();
        assert!(stop.unwrap().success());
        Paused(pid)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.0])
            .status();
    }
}

/// A session resumes on the same follower while its old connection's write is still in
/// flight (the leader is paused), and reuses that write's xid: each write is answered as
/// itself. Before, the new connection's create of /b was answered with the old one's create
/// of /a (matched by session and xid), and its own create was applied and never answered.
#[test]
fn a_resumed_session_reusing_an_in_flight_xid_gets_its_own_reply() {
    let e = Ensemble::zabd(3, 0);
    let p = ports(&e);
    let leader = e.leader().expect("a leader");
    let follower = *p.iter().find(|&&port| port != leader).unwrap();
    let mut old = conn(follower);
    let hello = handshake(&mut old, 0, vec![0; 16]);
    let paused = Paused::server(&e, leader);
    send(&mut old, &support::raw::create_request(5, "/a", b""));
    std::thread::sleep(std::time::Duration::from_millis(100));
    drop(old);
    let mut new = conn(follower);
    let r = handshake(&mut new, hello.session_id, hello.passwd.clone());
    assert_eq!(r.session_id, hello.session_id);
    send(&mut new, &support::raw::create_request(5, "/b", b""));
    std::thread::sleep(std::time::Duration::from_millis(100));
    drop(paused);
    let reply = recv(&mut new).expect("the create of /b is answered");
    let mut r = Reader::new(&reply);
    let h = ReplyHeader::decode(&mut r).unwrap();
    assert_eq!((h.xid, h.err), (5, 0));
    assert_eq!(r.ustring().unwrap(), "/b", "the reply is its own create's");
    all_serve(&e, &["/a", "/b"]);
}
