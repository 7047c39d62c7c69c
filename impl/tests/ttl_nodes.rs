//! TTL nodes (`extendedTypesEnabled`): created only when the option is on, deleted by the
//! leader's container manager once their TTL has passed without a change and they have no
//! children, and replayed exactly from the server's trace.

use std::process::Command;
use std::time::{Duration, Instant};
use support::process::Zabd;
use support::raw::{conn, exists, handshake, recv, send};
use zab::error::ZkError;
use zab::wire::{opcode, Reader, ReplyHeader, Writer};

mod support;

/// A `CreateTTLRequest` for a persistent TTL node (mode 5), world-writable.
fn create_ttl(xid: i32, path: &str, ttl_ms: i64) -> Vec<u8> {
    let mut w = Writer::new();
    w.int(xid).int(opcode::CREATE_TTL).ustring(path).buffer(b"");
    w.int(1).int(31).ustring("world").ustring("anyone");
    w.int(5).long(ttl_ms);
    w.bytes
}

fn reply_err(s: &mut std::net::TcpStream) -> i32 {
    let reply = recv(s).expect("a reply");
    ReplyHeader::decode(&mut Reader::new(&reply)).unwrap().err
}

/// With `extendedTypesEnabled=true` a TTL node is created, and deleted by the leader once
/// its 300 ms have passed; a server replaying its trace does exactly the same. Before, the
/// key was not read: the create failed with Unimplemented.
#[test]
fn an_expired_ttl_node_is_deleted_and_the_trace_replays() {
    let traces = tempfile::tempdir().unwrap();
    let extra = format!(
        "extendedTypesEnabled=true\nznode.container.checkIntervalMs=200\nzab.traceDir={}\n",
        traces.path().display()
    );
    let zabd = Zabd::start(&extra, &[]);
    let mut s = conn(zabd.port);
    handshake(&mut s, 0, vec![0; 16]);
    send(&mut s, &create_ttl(1, "/t", 300));
    assert_eq!(reply_err(&mut s), 0, "a TTL node is created");
    assert!(exists(&mut s, 2, "/t"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut xid = 3;
    while exists(&mut s, xid, "/t") {
        assert!(
            Instant::now() < deadline,
            "the expired TTL node is still there"
        );
        std::thread::sleep(Duration::from_millis(100));
        xid += 1;
    }
    assert!(zabd.log().contains("expired TTL node"), "{}", zabd.log());
    drop(s);
    drop(zabd);
    let out = Command::new(env!("CARGO_BIN_EXE_zabd"))
        .arg("replay")
        .arg(traces.path().join("trace.1"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("steps reproduced"), "{text}");
}

/// Without the option (ZooKeeper's default), a TTL create is refused with Unimplemented.
#[test]
fn without_extended_types_a_ttl_create_is_unimplemented() {
    let zabd = Zabd::start("", &[]);
    let mut s = conn(zabd.port);
    handshake(&mut s, 0, vec![0; 16]);
    send(&mut s, &create_ttl(1, "/t", 300));
    assert_eq!(reply_err(&mut s), ZkError::Unimplemented.code());
}
