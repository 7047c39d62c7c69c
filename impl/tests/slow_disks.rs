//! zabd on a slow disk, through the faults build's delays (`zab.fault.snapshotDelayMs`,
//! `zab.fault.epochWriteDelayMs`): what is slow must hold up only what waits for it. Run with
//! `cargo test --release --target-dir target/faults -p zab --features faults --test
//! slow_disks` (`scripts/test.sh` does).

use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::admin::{command, command_until};
use support::process::{kill, server_process, Zabd};
use support::raw::{
    conn, create, create_request, exists, handshake, handshake_for, recv, request, send,
};
use support::{mode, Ensemble};
use zab::wire::{opcode, ConnectResponse, Reader, ReplyHeader};

mod support;

/// Periodic snapshots are serialized and written on a thread of their own. With a disk that
/// takes 3 s over each snapshot (`zab.fault.snapshotDelayMs`), writes are still answered at
/// once meanwhile; one snapshot is written at a time, the ones due meanwhile are skipped,
/// and the one being written lands after its delay.
#[test]
fn a_slow_snapshot_write_stalls_no_request() {
    let zabd = Zabd::start("snapCount=10\nzab.fault.snapshotDelayMs=3000\n", &[]);
    let mut s = conn(zabd.port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for i in 1..=40 {
        let t = Instant::now();
        let reply = create(&mut s, i, &format!("/n{i}"));
        assert_eq!(reply.err, 0, "create {i}");
        slowest = slowest.max(t.elapsed());
    }
    let took = started.elapsed();
    println!(
        "40 creates in {:.0} ms, the slowest {:.0} ms",
        took.as_secs_f64() * 1e3,
        slowest.as_secs_f64() * 1e3
    );
    assert!(
        slowest < Duration::from_millis(1500),
        "a create waited {slowest:?} for the snapshot:\n{}",
        zabd.log()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while !zabd.log().contains("snapshot written") {
        assert!(Instant::now() < deadline, "no snapshot:\n{}", zabd.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = zabd.log();
    assert!(log.contains("snapshot skipped"), "{log}");
    let snapshots: Vec<String> = std::fs::read_dir(zabd.path("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(zab::storage::file::SNAP_PREFIX))
        .collect();
    assert!(
        snapshots
            .iter()
            .any(|n| !n.ends_with(zab::storage::file::TEMP_SUFFIX)),
        "{snapshots:?}"
    );
}

/// A session of `timeout_ms` on `port`, with an ephemeral node at `path`, and its handshake's
/// answer (id and password).
fn session_with_ephemeral(port: u16, timeout_ms: i32, path: &str) -> (TcpStream, ConnectResponse) {
    let mut s = conn(port);
    let granted = handshake_for(&mut s, 0, vec![0; 16], timeout_ms);
    assert_eq!(granted.timeout_ms, timeout_ms);
    let created = request(&mut s, 1, opcode::CREATE, |w| {
        w.ustring(path).buffer(b"held");
        w.int(1).int(31).ustring("world").ustring("anyone");
        w.int(1); // ephemeral
    });
    assert_eq!(created.err, 0, "create {path}");
    (s, granted)
}

/// Issue 17's item 9 on real processes. A session whose client is gone expires while the new
/// leader is still synchronizing its follower (every epoch write takes 1.5 s, so the sync
/// takes seconds; the session's timeout is 1 s). A leader that is not yet serving cannot
/// propose the close; the session must be expired once it serves, and its ephemeral node
/// deleted. (Before the fix it was marked closing, its close was refused, and the node
/// outlived it for the whole of that leader's term.)
#[test]
fn a_session_expiring_during_a_new_leaders_sync_is_closed_once_it_serves() {
    let e = Ensemble::zabd_with(
        3,
        0,
        &[
            "tickTime=200",
            "initLimit=60",
            "zab.fault.epochWriteDelayMs=1500",
        ],
    );
    let ports = e.client_ports();
    let leader = e.leader().expect("a leader");
    let follower = *ports.iter().find(|p| **p != leader).unwrap();
    let (client, granted) = session_with_ephemeral(follower, 1000, "/lock");
    let session = granted.session_id;
    // The client vanishes without closing its session, and its leader dies with it.
    drop(client);
    let (pid, _) = server_process(e.dir.path(), leader);
    kill(pid);
    let killed = Instant::now();

    let deadline = Instant::now() + Duration::from_secs(60);
    let (port, mut s) = loop {
        assert!(Instant::now() < deadline, "no new leader serves");
        let new_leader = ports
            .iter()
            .copied()
            .find(|&p| p != leader && mode(p).as_deref() == Some("leader"));
        // Only a serving server grants a session.
        if let Some(s) = new_leader.and_then(support::raw::session_granted) {
            break (new_leader.unwrap(), s);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let serving_after = killed.elapsed();
    let mut xid = 1;
    let gone_by = Instant::now() + Duration::from_secs(15);
    while exists(&mut s, xid, "/lock") {
        xid += 1;
        assert!(
            Instant::now() < gone_by,
            "session 0x{session:x}'s ephemeral node outlived it on the new leader ({port})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "the new leader served {:.1} s after the kill; /lock deleted {:.1} s later",
        serving_after.as_secs_f64(),
        (killed.elapsed() - serving_after).as_secs_f64()
    );
    assert!(create(&mut s, xid + 1, "/after").err == 0);
}

/// A session whose expiry is proposed but not yet logged (a disk that takes 3 s over each
/// fsync) is not resumed: the handshake is answered at once, "expired", as ZooKeeper's leader
/// answers a closing session, while the close is still on its way (its ephemeral node is
/// still there). Before the log's fsync left the core thread, the handshake waited for the
/// close to land; after, the leader granted it from the session table, which the close had
/// not reached yet, and the close then ended the resumed session.
#[test]
fn a_session_whose_close_is_under_way_is_not_resumed() {
    let zabd = Zabd::start("zab.fault.fsyncDelayMs=3000\n", &[]);
    let mut watcher = conn(zabd.port);
    assert!(handshake(&mut watcher, 0, vec![0; 16]).session_id != 0);
    // 400 ms, the least two ticks of 200 ms allow; its creation waits out one slow fsync.
    let (s, granted) = session_with_ephemeral(zabd.port, 400, "/held");
    assert!(granted.session_id != 0);
    drop(s);
    // Expired within 600 ms of its last ping, its close then waits 3 s for the disk.
    std::thread::sleep(Duration::from_millis(1500));
    let mut again = conn(zabd.port);
    let answer = handshake_for(&mut again, granted.session_id, granted.passwd, 400);
    assert_eq!(
        (answer.session_id, answer.timeout_ms),
        (0, 0),
        "expired, not resumed:\n{}",
        zabd.log()
    );
    assert!(
        exists(&mut watcher, 1, "/held"),
        "the answer waited for the close:\n{}",
        zabd.log()
    );
}

/// The log's fsync runs on a thread of its own: with a disk that takes 2 s over each, a read
/// of another session is answered while a write's fsync is under way, before the write.
/// Before, the core thread did the fsync and served nothing meanwhile: every read, ping and
/// handshake on the server waited for the disk.
#[test]
fn a_slow_fsync_holds_up_only_the_writes() {
    let zabd = Zabd::start("zab.fault.fsyncDelayMs=2000\n", &[]);
    let mut writer = conn(zabd.port);
    assert!(handshake(&mut writer, 0, vec![0; 16]).session_id != 0);
    let mut reader = conn(zabd.port);
    assert!(handshake(&mut reader, 0, vec![0; 16]).session_id != 0);
    send(&mut writer, &create_request(1, "/slow", b"x"));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !exists(&mut reader, 1, "/slow"),
        "the read waited for the write's fsync"
    );
    writer.set_nonblocking(true).unwrap();
    let waiting = writer
        .peek(&mut [0])
        .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock);
    writer.set_nonblocking(false).unwrap();
    assert!(
        waiting,
        "the read was answered after the write:\n{}",
        zabd.log()
    );
    let reply = recv(&mut writer).expect("the create's reply");
    let header = ReplyHeader::decode(&mut Reader::new(&reply)).unwrap();
    assert_eq!((header.xid, header.err), (1, 0));
}

/// `srst` (the AdminServer's `stat_reset`) zeroes the count of log syncs slower than
/// `fsync.warningthresholdms` too, as ZooKeeper's `ServerStats.reset` does. Before, the count
/// was left as it was.
#[test]
fn srst_resets_the_count_of_slow_fsyncs() {
    let e = Ensemble::zabd_admin(
        1,
        &["zab.fault.fsyncDelayMs=50", "fsync.warningthresholdms=10"],
    );
    let admin = e.admin_ports()[0];
    let slow = |v: &serde_json::Value| v["server_stats"]["fsync_threshold_exceed_count"].as_u64();
    let mut s = conn(e.client_ports()[0]);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    let stats = command_until(admin, "server_stats", |v| slow(v) >= Some(1));
    assert!(slow(&stats) >= Some(1), "no slow fsync counted: {stats}");
    assert_eq!(command(admin, "stat_reset").0, 200);
    let (_, stats) = command(admin, "server_stats");
    assert_eq!(slow(&stats), Some(0), "{stats}");
}
