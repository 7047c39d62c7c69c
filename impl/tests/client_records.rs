//! Client records as ZooKeeper reads and answers them, at a running server: reply xids,
//! addWatch's reply body, and what ZooKeeper's Java decoding tolerates (bytes that are not
//! UTF-8, booleans other than 0 and 1), which must not cost a client its connection.

use support::in_process::start;
use support::raw::{conn, create, handshake, recv, request, send};
use zab::error::ZkError;
use zab::wire::{opcode, Reader, ReplyHeader, Writer};

mod support;

#[test]
fn auth_and_set_watches_replies_echo_the_request_xid() {
    let server = start();
    let mut s = conn(server.port);
    handshake(&mut s, 0, vec![0; 16]);
    assert_eq!(create(&mut s, 1, "/w").err, 0);
    // The Java client sends auth with xid -4; others (zookeeper-client in Rust) with their
    // own counter, and wait for that xid: ZooKeeper echoes it, with zxid 0.
    for xid in [-4, 2] {
        let h = request(&mut s, xid, opcode::AUTH, |w| {
            w.int(0).ustring("digest").buffer(b"alice:secret");
        });
        assert_eq!((h.xid, h.zxid, h.err), (xid, 0, 0));
    }
    for xid in [-8, 3] {
        let h = request(&mut s, xid, opcode::SET_WATCHES, |w| {
            w.long(0);
            for _ in 0..3 {
                w.int(0);
            }
        });
        assert_eq!((h.xid, h.err), (xid, 0));
    }
    assert_eq!(create(&mut s, 4, "/w2").err, 0, "the session goes on");
}

/// addWatch is answered with an `ErrorResponse` record (an int, 0) after the header, as
/// ZooKeeper's FinalRequestProcessor answers it: the Java client (and Curator's persistent
/// watches over it) reads that record, and took a bare header for a broken connection.
#[test]
fn add_watch_replies_carry_an_error_response_record() {
    let server = start();
    let mut s = conn(server.port);
    handshake(&mut s, 0, vec![0; 16]);
    let mut w = Writer::new();
    w.int(1).int(opcode::ADD_WATCH).ustring("/").int(0);
    send(&mut s, &w.bytes);
    let reply = recv(&mut s).expect("a reply");
    let mut r = Reader::new(&reply);
    let h = ReplyHeader::decode(&mut r).unwrap();
    assert_eq!((h.xid, h.err), (1, 0));
    assert_eq!(reply.len(), 20, "header and one int: {reply:?}");
    assert_eq!(reply[16..], [0, 0, 0, 0]);
    assert_eq!(create(&mut s, 2, "/after").err, 0, "the session goes on");
}

/// ZooKeeper decodes strings with Java's `new String(bytes, UTF_8)` and booleans with
/// `readBoolean`: a path that is not UTF-8 is then refused by path validation, and a watch
/// flag of 2 sets a watch. Both once closed the connection here.
#[test]
fn bytes_that_are_not_utf8_and_booleans_above_one_are_read_as_zookeeper_reads_them() {
    let server = start();
    let mut s = conn(server.port);
    handshake(&mut s, 0, vec![0; 16]);
    let h = request(&mut s, 1, opcode::CREATE, |w| {
        w.buffer(b"/bad\xff").buffer(b"");
        w.int(1).int(31).ustring("world").ustring("anyone");
        w.int(0);
    });
    assert_eq!((h.xid, h.err), (1, ZkError::BadArguments.code()));

    let mut w = Writer::new();
    w.int(2).int(opcode::EXISTS).ustring("/w").bytes.push(2);
    send(&mut s, &w.bytes);
    let reply = recv(&mut s).expect("the exists is answered");
    let h = ReplyHeader::decode(&mut Reader::new(&reply)).unwrap();
    assert_eq!((h.xid, h.err), (2, ZkError::NoNode.code()));

    send(&mut s, &support::raw::create_request(3, "/w", b""));
    let mut xids = Vec::new();
    for _ in 0..2 {
        let reply = recv(&mut s).expect("the create's reply and the watch's event");
        xids.push(ReplyHeader::decode(&mut Reader::new(&reply)).unwrap().xid);
    }
    xids.sort_unstable();
    assert_eq!(
        xids,
        [-1, 3],
        "a NodeCreated event for the watch and the reply"
    );
}
