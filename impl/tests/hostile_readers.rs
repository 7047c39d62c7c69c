//! Clients that do not read their replies, against a real `zabd`: the server stops producing
//! replies for them, its memory stays within what the configuration allows, other clients
//! are served meanwhile, and a connection that notifications push past its budget is closed
//! (loudly) instead of growing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::process::Zabd;
use support::raw::{
    conn, conn_with, create, create_request, exists, handshake, handshake_for, recv, send,
};
use zab::wire::{frame, opcode, Reader, ReplyHeader, Writer};

mod support;

fn get_data(xid: i32, path: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.int(xid)
        .int(opcode::GET_DATA)
        .ustring(path)
        .boolean(false);
    w.bytes
}

fn set_data(xid: i32, path: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.int(xid)
        .int(opcode::SET_DATA)
        .ustring(path)
        .buffer(b"x")
        .int(-1);
    w.bytes
}

fn reply_err(s: &mut TcpStream) -> i32 {
    let reply = recv(s).expect("a reply");
    ReplyHeader::decode(&mut Reader::new(&reply)).unwrap().err
}

/// A session whose socket receives into a small kernel buffer, so what the server cannot
/// write stays in the server.
fn small_window_session(port: u16) -> (TcpStream, zab::wire::ConnectResponse) {
    small_window_session_for(port, 4000)
}

/// The same, asking for a session timeout of `timeout_ms`.
fn small_window_session_for(port: u16, timeout_ms: i32) -> (TcpStream, zab::wire::ConnectResponse) {
    let mut s = conn_with(port, |socket| socket.set_recv_buffer_size(4096).unwrap());
    let granted = handshake_for(&mut s, 0, vec![0; 16], timeout_ms);
    assert!(granted.session_id != 0);
    (s, granted)
}

/// The connections `srvr` counts on `port` (itself among them).
fn connections(port: u16) -> Option<u32> {
    let srvr = zab::server::fourlw::ask(port, "srvr").unwrap_or_default();
    srvr.lines()
        .find_map(|l| l.strip_prefix("Connections: "))
        .and_then(|n| n.trim().parse::<u32>().ok())
}

/// Reads until the server closes the connection: `Some(bytes read)`, or `None` if it is
/// still open after `within`.
fn read_to_close(s: &mut TcpStream, within: Duration) -> Option<usize> {
    let deadline = Instant::now() + within;
    let mut total = 0;
    let mut buf = vec![0u8; 64 * 1024];
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return Some(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(total),
            Err(_) => {}
        }
    }
    None
}

/// A session on `port` that has created `/big`, a znode of 1 MB.
fn owner_of_big_node(port: u16) -> std::net::TcpStream {
    let mut owner = conn(port);
    handshake(&mut owner, 0, vec![0; 16]);
    send(
        &mut owner,
        &create_request(1, "/big", &vec![7u8; 1_000_000]),
    );
    assert_eq!(reply_err(&mut owner), 0);
    owner
}

/// A client pipelines 400 reads of a 1 MB node and reads nothing. Before, the server queued
/// every reply (it grew by hundreds of MB); now it answers until the connection's queue is
/// over `zab.client.maxQueuedBytes`, then holds the rest, so its memory grows by at most a
/// few budgets. Another client is served meanwhile, and the idle client, which sends no
/// pings the server reads, loses its session after its timeout, and its connection with it
/// though it still reads nothing (before, the close waited behind the unread replies).
#[test]
fn a_client_that_never_reads_costs_the_server_no_more_than_its_byte_budget() {
    let zabd = Zabd::start("zab.client.maxQueuedBytes=1048576\n", &[]);
    let mut owner = owner_of_big_node(zabd.port);
    assert_eq!(create(&mut owner, 2, "/small").err, 0);
    send(&mut owner, &get_data(3, "/big"));
    assert_eq!(
        reply_err(&mut owner),
        0,
        "one read of /big before measuring"
    );
    let before = zabd.rss();

    let (mut idle, _) = small_window_session(zabd.port);
    let pipelined: Vec<u8> = (1..=400)
        .flat_map(|xid| frame::frame(&get_data(xid, "/big")))
        .collect();
    idle.write_all(&pipelined).unwrap();
    std::thread::sleep(Duration::from_millis(1500));

    let mut other = conn(zabd.port);
    handshake(&mut other, 0, vec![0; 16]);
    for xid in 1..=50 {
        assert!(
            exists(&mut other, xid, "/small"),
            "another client is served"
        );
    }
    let grown = zabd.rss().saturating_sub(before);
    eprintln!(
        "RSS grew by {} KiB under a client that never reads",
        grown / 1024
    );
    // The budget (1 MiB), one more 1 MB reply and as much again: 3 MiB, with room for the
    // allocator and the connection's buffers.
    assert!(grown < 16 << 20, "the server grew by {} MiB", grown >> 20);

    // Its session (4 s) expires while its requests are held, and the server drops the
    // connection though the client reads nothing: `srvr` then counts only itself.
    drop((owner, other));
    let connections = || connections(zabd.port);
    let deadline = Instant::now() + Duration::from_secs(15);
    while connections() != Some(1) {
        assert!(
            Instant::now() < deadline,
            "the idle client's connection is still open: {:?} connections",
            connections()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let read = read_to_close(&mut idle, Duration::from_secs(10)).expect("closed");
    eprintln!(
        "the idle client was sent {} KiB before its session expired",
        read / 1024
    );
    assert!(
        read < 400 * 1_000_000,
        "the held replies were never produced: {read} bytes"
    );
    let log = zabd.log();
    assert!(log.contains("session expired"), "{log}");
    assert!(
        !log.contains("does not read its replies"),
        "held, not evicted:\n{log}"
    );
}

/// A client watches a node and reads nothing while another changes the node thousands of
/// times. Notifications are never held or dropped, so its queue grows, and past twice its
/// budget plus one reply the server closes the connection and says why. The session lives
/// on: the client resumes it (and would re-register its watches with `setWatches`).
#[test]
fn a_connection_that_notifications_push_past_its_budget_is_closed() {
    let extra = "zab.client.maxQueuedBytes=16384\njute.maxbuffer=65536\nforceSync=no\n";
    let zabd = Zabd::start(extra, &[]);
    let path = format!("/{}", "n".repeat(1000));
    let mut writer = conn(zabd.port);
    handshake(&mut writer, 0, vec![0; 16]);
    assert_eq!(create(&mut writer, 1, &path).err, 0);

    let (mut idle, granted) = small_window_session(zabd.port);
    let mut w = Writer::new();
    w.int(1).int(opcode::ADD_WATCH).ustring(&path).int(0);
    send(&mut idle, &w.bytes);
    assert_eq!(reply_err(&mut idle), 0, "a persistent watch");

    const WRITES: i32 = 5000;
    let mut sender = writer.try_clone().unwrap();
    let path2 = path.clone();
    let pipeline = std::thread::spawn(move || {
        for xid in 2..WRITES + 2 {
            let _ = sender.write_all(&frame::frame(&set_data(xid, &path2)));
        }
    });
    for _ in 0..WRITES {
        assert_eq!(reply_err(&mut writer), 0);
    }
    pipeline.join().unwrap();

    assert!(
        read_to_close(&mut idle, Duration::from_secs(3)).is_some(),
        "the connection was closed before the session's timeout"
    );
    assert!(
        zabd.log()
            .contains("closing a connection whose client does not read its replies"),
        "the close is logged:\n{}",
        zabd.log()
    );
    let mut back = conn(zabd.port);
    let resumed = handshake(&mut back, granted.session_id, granted.passwd);
    assert!(resumed.timeout_ms > 0, "the session lives on");
}

/// A client pipelines 8 reads of a 1 MB node, more than the kernel's socket buffers hold but
/// under its byte budget (16 MiB), then reads nothing. Its session expires and the server
/// closes the connection: the writer gets `CLOSE_GRACE` (5 s) to write what is queued, then
/// the connection is dropped without the rest. Before, the close waited behind a write the
/// client never read, and the connection, its file descriptor and its core entry stayed for
/// as long as the client was silent.
#[test]
fn a_closed_connection_whose_client_stopped_reading_is_dropped_after_its_grace() {
    let zabd = Zabd::start("zab.client.maxQueuedBytes=16777216\n", &[]);
    drop(owner_of_big_node(zabd.port));

    // The shortest session tickTime=200 allows (two ticks): it expires soon after the
    // client goes silent.
    let (mut idle, granted) = small_window_session_for(zabd.port, 400);
    assert!(granted.timeout_ms <= 1000, "{granted:?}");
    let pipelined: Vec<u8> = (1..=8)
        .flat_map(|xid| frame::frame(&get_data(xid, "/big")))
        .collect();
    idle.write_all(&pipelined).unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    while connections(zabd.port) != Some(1) {
        assert!(
            Instant::now() < deadline,
            "the silent client's connection is still open: {:?} connections\n{}",
            connections(zabd.port),
            zabd.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = zabd.log();
    assert!(log.contains("session expired"), "{log}");
    assert!(
        log.contains("did not read what was queued for it within 5 s"),
        "the drop is logged with its reason:\n{log}"
    );
    assert!(
        !log.contains("does not read its replies"),
        "under its budget: dropped after its grace, not evicted:\n{log}"
    );
    assert!(
        read_to_close(&mut idle, Duration::from_secs(10)).is_some(),
        "the client sees the connection end"
    );
}

/// Replies framed in one batch past the byte budget hold the connection; once the core has
/// written them to the socket itself, it must answer again: the last of three pipelined
/// reads of a 10 KB node, with a budget of 16 KiB, arrives without the client sending
/// anything more. (Before, it waited for the client's next packet: a client that waits for
/// its reply hung until its next ping.)
#[test]
fn replies_held_on_unflushed_bytes_go_on_once_written() {
    let zabd = Zabd::start("zab.client.maxQueuedBytes=16384\n", &[]);
    let mut s = conn(zabd.port);
    handshake(&mut s, 0, vec![0; 16]);
    send(&mut s, &create_request(1, "/n", &vec![7u8; 10_000]));
    assert_eq!(reply_err(&mut s), 0);
    let pipelined: Vec<u8> = (2..=4)
        .flat_map(|xid| frame::frame(&get_data(xid, "/n")))
        .collect();
    s.write_all(&pipelined).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    for xid in 2..=4 {
        let reply = recv(&mut s).unwrap_or_else(|| panic!("no reply to xid {xid} within 2 s"));
        let h = ReplyHeader::decode(&mut Reader::new(&reply)).unwrap();
        assert_eq!((h.xid, h.err), (xid, 0));
    }
}
