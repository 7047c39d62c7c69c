//! zabd's own failures, on real processes: a server whose disk fails exits with code 4 and
//! says why once, instead of keeping its ports open with no replica behind them; and a port
//! whose accept fails (the process out of file descriptors) goes on accepting once it can.

use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::process::Zabd;
use support::raw::{conn, create, create_request, handshake, recv, send};
use zab::server::fourlw::ask;
use zab::wire::{Reader, ReplyHeader};

mod support;

/// The data log directory is a 2 MiB tmpfs (mounted in a private mount namespace, so the test
/// needs no privilege and leaves no mount behind); writes of 100 KB nodes fill it, the append
/// or its fsync fails with ENOSPC, and the server must exit with code 4, logging the cause
/// once, within seconds.
#[test]
fn a_server_whose_data_log_dir_fills_exits_4_and_says_why() {
    let log_dir = tempfile::tempdir().unwrap();
    let mount = "mount -t tmpfs -o size=2m zab-test-full \"$0\" && exec \"$@\"";
    let log_path = log_dir.path().to_str().unwrap();
    let extra = format!("dataLogDir={log_path}\n");
    let wrapper = [
        "unshare",
        "--mount",
        "--map-root-user",
        "sh",
        "-c",
        mount,
        log_path,
    ];
    let mut zabd = Zabd::start(&extra, &wrapper);
    let mut s = conn(zabd.port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    let data = vec![7u8; 100_000];
    let mut sent_at = Instant::now();
    let mut acknowledged = 0;
    for xid in 1..200 {
        sent_at = Instant::now();
        send(&mut s, &create_request(xid, &format!("/n{xid}"), &data));
        let Some(reply) = recv(&mut s) else { break };
        assert_eq!(
            ReplyHeader::decode(&mut Reader::new(&reply)).unwrap().err,
            0
        );
        acknowledged += 1;
    }
    let status = zabd.wait_exit(Duration::from_secs(30));
    let took = sent_at.elapsed();
    let log = zabd.log();
    assert_eq!(status.and_then(|s| s.code()), Some(4), "{log}");
    println!(
        "{acknowledged} writes of 100 KB acknowledged; exit code 4 {:.0} ms after the write \
         that found the disk full",
        took.as_secs_f64() * 1e3
    );
    assert_eq!(log.matches("halting").count(), 1, "{log}");
    assert!(log.contains("No space left on device"), "{log}");
    assert!(acknowledged >= 5, "the disk filled too early: {log}");
}

/// With 64 file descriptors the server runs out of them while clients connect (EMFILE); once
/// they go away, a new client is served again (before, the accept loop had ended for good).
#[test]
fn accept_errors_do_not_stop_the_client_port() {
    let zabd = Zabd::start(
        "4lw.commands.whitelist=ruok\n",
        &["sh", "-c", "ulimit -n 64 && exec \"$@\"", "sh"],
    );
    let mut s = conn(zabd.port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    assert_eq!(create(&mut s, 1, "/before").err, 0);
    // More connections than descriptors left: the kernel completes them (the backlog), the
    // server's accept fails with EMFILE.
    let flood: Vec<TcpStream> = (0..80)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", zabd.port)).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    drop(flood);
    let deadline = Instant::now() + Duration::from_secs(10);
    while ask(zabd.port, "ruok").as_deref() != Some("imok") {
        assert!(
            Instant::now() < deadline,
            "the client port no longer accepts:\n{}",
            zabd.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The flood did run the server out of descriptors, and the loop said so.
    let log = zabd.log();
    assert!(
        log.contains("accept failed") && log.contains("Too many open files"),
        "{log}"
    );
    assert!(log.contains("accepting again"), "{log}");
    // The session from before is still served.
    assert_eq!(create(&mut s, 2, "/after").err, 0);
}
