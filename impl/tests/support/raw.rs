//! A client that speaks ZooKeeper's protocol byte for byte, for tests that send what a real
//! client library never would (and check exactly what comes back).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use zab::wire::{frame, opcode, ConnectRequest, ConnectResponse, Reader, ReplyHeader, Writer};

/// A connection to `127.0.0.1:port` whose reads time out after 5 s.
pub fn conn(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// A connection to `127.0.0.1:port` from a socket `setup` prepares first (a local address
/// to bind, a receive buffer size: what `std` cannot set before connecting); reads time out
/// after 5 s.
pub fn conn_with(port: u16, setup: impl FnOnce(&tokio::net::TcpSocket)) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let s = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        setup(&socket);
        socket.connect(([127, 0, 0, 1], port).into()).await.unwrap()
    });
    let s = s.into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Sends one framed packet.
pub fn send(s: &mut TcpStream, body: &[u8]) {
    s.write_all(&frame::frame(body)).unwrap();
}

/// The next packet's body, or `None` once the server closed the connection.
pub fn recv(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut body = vec![0; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).ok()?;
    Some(body)
}

/// The body of a handshake (`session_id` 0 for a new session), asking for a 4 s timeout.
pub fn connect_request(session_id: i64, passwd: Vec<u8>) -> Vec<u8> {
    connect_request_for(session_id, passwd, 4000)
}

/// The body of a handshake asking for a session timeout of `timeout_ms`.
pub fn connect_request_for(session_id: i64, passwd: Vec<u8>, timeout_ms: i32) -> Vec<u8> {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        timeout_ms,
        session_id,
        passwd,
        read_only: Some(false),
    }
    .encode()
}

/// The session handshake (`session_id` 0 for a new session), answered.
pub fn handshake(s: &mut TcpStream, session_id: i64, passwd: Vec<u8>) -> ConnectResponse {
    handshake_for(s, session_id, passwd, 4000)
}

/// The session handshake asking for a timeout of `timeout_ms`, answered.
pub fn handshake_for(
    s: &mut TcpStream,
    session_id: i64,
    passwd: Vec<u8>,
    timeout_ms: i32,
) -> ConnectResponse {
    send(s, &connect_request_for(session_id, passwd, timeout_ms));
    ConnectResponse::decode(&recv(s).expect("handshake reply")).unwrap()
}

/// Whether a new session is granted on `port`: the connection if it is, `None` if the server
/// refuses it or closes the connection first.
pub fn session_granted(port: u16) -> Option<TcpStream> {
    let mut s = conn(port);
    // A refused connection may be reset before the handshake is written.
    let _ = s.write_all(&frame::frame(&connect_request(0, vec![0; 16])));
    let reply = recv(&mut s)?;
    (ConnectResponse::decode(&reply).ok()?.session_id != 0).then_some(s)
}

/// One request (`body` writes what follows its header), and its reply's header.
pub fn request(
    s: &mut TcpStream,
    xid: i32,
    op: i32,
    body: impl FnOnce(&mut Writer),
) -> ReplyHeader {
    let mut w = Writer::new();
    w.int(xid).int(op);
    body(&mut w);
    send(s, &w.bytes);
    let reply = recv(s).expect("reply");
    ReplyHeader::decode(&mut Reader::new(&reply)).unwrap()
}

/// Whether the server has closed the connection (nothing more to read).
pub fn closed(s: &mut TcpStream) -> bool {
    recv(s).is_none()
}

/// The body of a request creating a persistent, world-writable `path` holding `data`.
pub fn create_request(xid: i32, path: &str, data: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.int(xid).int(opcode::CREATE);
    w.ustring(path).buffer(data);
    w.int(1).int(31).ustring("world").ustring("anyone");
    w.int(0);
    w.bytes
}

/// Creates an empty persistent, world-writable `path`.
pub fn create(s: &mut TcpStream, xid: i32, path: &str) -> ReplyHeader {
    send(s, &create_request(xid, path, b""));
    let reply = recv(s).expect("reply");
    ReplyHeader::decode(&mut Reader::new(&reply)).unwrap()
}

/// Whether `path` exists, asked on `s` with `xid`.
pub fn exists(s: &mut TcpStream, xid: i32, path: &str) -> bool {
    let h = request(s, xid, opcode::EXISTS, |w| {
        w.ustring(path).boolean(false);
    });
    h.err == 0
}
