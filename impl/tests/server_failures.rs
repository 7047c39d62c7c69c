//! zabd's own failures, on real processes: a server whose disk fails exits with code 4 and
//! says why once, instead of keeping its ports open with no replica behind them; and a port
//! whose accept fails (the process out of file descriptors) goes on accepting once it can;
//! a peer that cannot be reached is logged once, and again once it can.

use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::process::{kill, respawn, server_process, Zabd};
use support::raw::{conn, create, create_request, handshake, recv, send};
use zab::server::fourlw::ask;
use zab::wire::{Reader, ReplyHeader};

mod support;

use support::{mode, Ensemble};

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

/// Debian's libfaketime (package `faketime`, which `scripts/test.sh` installs).
fn libfaketime() -> String {
    let found = std::fs::read_dir("/usr/lib")
        .unwrap()
        .filter_map(|d| d.ok())
        .map(|d| d.path().join("faketime/libfaketime.so.1"))
        .find(|p| p.exists());
    let lib = found.expect("libfaketime is installed (apt-get install faketime)");
    lib.to_str().unwrap().to_string()
}

/// The wall clock jumps a day ahead under a running server (libfaketime, reading its offset
/// from a file on every call; the monotonic clock left alone): a session that stays quiet
/// for 1.5 s of its 4 s timeout is still open. Before, deadlines were wall-clock times, and
/// the jump expired every session at the next tick.
#[test]
fn a_wall_clock_step_does_not_expire_sessions() {
    let clock = tempfile::tempdir().unwrap();
    let offset = clock.path().join("offset");
    std::fs::write(&offset, "+0\n").unwrap();
    let env = [
        format!("LD_PRELOAD={}", libfaketime()),
        format!("FAKETIME_TIMESTAMP_FILE={}", offset.display()),
        "FAKETIME_NO_CACHE=1".to_string(),
        "DONT_FAKE_MONOTONIC=1".to_string(),
    ];
    let mut wrapper = vec!["env"];
    wrapper.extend(env.iter().map(String::as_str));
    let zabd = Zabd::start("", &wrapper);
    let mut s = conn(zabd.port);
    assert_eq!(handshake(&mut s, 0, vec![0; 16]).timeout_ms, 4000);
    assert_eq!(create(&mut s, 1, "/before").err, 0);
    std::fs::write(&offset, "+1d\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    send(&mut s, &create_request(2, "/after", b""));
    let reply = recv(&mut s).map(|r| ReplyHeader::decode(&mut Reader::new(&r)).unwrap());
    assert!(
        reply.is_some_and(|h| h.err == 0),
        "the session is still open:\n{}",
        zabd.log()
    );
}

/// A periodic snapshot that cannot be written (here every name it could take is held by a
/// directory, which no write can replace, even root's) is a disk failure like a failed
/// fsync, though it is written off the core thread: the server exits with code 4 and says
/// why, instead of serving on without ever snapshotting again.
#[test]
fn a_snapshot_that_cannot_be_written_exits_4_and_says_why() {
    let mut zabd = Zabd::start("snapCount=10\n", &[]);
    for counter in 1..=64u64 {
        let name = format!("snapshot.{:x}.tmp", (1u64 << 32) | counter);
        std::fs::create_dir(zabd.path("data").join(name)).unwrap();
    }
    let mut s = conn(zabd.port);
    assert!(handshake(&mut s, 0, vec![0; 16]).session_id != 0);
    for xid in 1..40 {
        send(&mut s, &create_request(xid, &format!("/n{xid}"), b"x"));
        if recv(&mut s).is_none() {
            break;
        }
    }
    let status = zabd.wait_exit(Duration::from_secs(10));
    let log = zabd.log();
    assert_eq!(status.and_then(|s| s.code()), Some(4), "{log}");
    assert_eq!(log.matches("halting").count(), 1, "{log}");
    assert!(log.contains("snapshot.1000000"), "{log}");
}

/// The leader killed: the other two elect a new one, sending their notifications to it too,
/// and each failed connection to it is logged once (a line per retry would flood the log of
/// a long outage); once it is back and they answer it, once more that it is reachable.
#[test]
fn an_unreachable_peer_is_logged_once_and_again_when_it_is_back() {
    let e = Ensemble::zabd(3, 0);
    let ports = e.client_ports();
    let leader = e.leader().expect("a leader");
    let leader_id = ports.iter().position(|&p| p == leader).unwrap() + 1;
    let survivors: Vec<usize> = (1..=ports.len()).filter(|&id| id != leader_id).collect();
    // Counted from here: a server that started before the leader had bound its election
    // port may have logged both lines once already.
    let count = |id: usize, what: &str| {
        let log = std::fs::read_to_string(e.dir.path().join(format!("z{id}.log"))).unwrap();
        let peer = format!("peer={leader_id} plane=Election");
        log.lines()
            .filter(|l| l.contains(what) && l.contains(&peer))
            .count()
    };
    // A link that failed at start-up has logged its recovery once the leader answered it.
    let balanced =
        |id: &usize| count(*id, "cannot reach peer") == count(*id, "peer reachable again");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !survivors.iter().all(balanced) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        survivors.iter().all(balanced),
        "a server logged the leader unreachable and never reachable again"
    );
    let before: Vec<[usize; 2]> = (0..=ports.len())
        .map(|id| match id {
            0 => [0, 0],
            id => [
                count(id, "cannot reach peer"),
                count(id, "peer reachable again"),
            ],
        })
        .collect();
    let lines = |id: usize, what: &str| {
        let i = usize::from(what == "peer reachable again");
        count(id, what) - before[id][i]
    };
    let (pid, cmdline) = server_process(e.dir.path(), leader);
    kill(pid);
    let deadline = Instant::now() + Duration::from_secs(30);
    while e.leader().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(e.leader().is_some(), "no new leader");
    // Each survivor's link finds the old leader gone when it next sends, or, if its last
    // notification went into the connection just before the leader's end reached it, when it
    // replaces that connection at once (asynchronously to the election); retries follow,
    // none of them logged.
    let logged = || {
        survivors
            .iter()
            .all(|&id| lines(id, "cannot reach peer") > 0)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !logged() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    for &id in &survivors {
        assert_eq!(lines(id, "cannot reach peer"), 1, "z{id}");
    }
    let restarted_log = e.dir.path().join("restarted.log");
    let mut restarted = respawn(&cmdline, &restarted_log);
    let deadline = Instant::now() + Duration::from_secs(30);
    let answered = || {
        survivors
            .iter()
            .all(|&id| lines(id, "peer reachable again") > 0)
    };
    while !(answered() && mode(leader).is_some()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Counted before the restarted server is stopped: its end is a new outage, logged again.
    let counted: Vec<[usize; 2]> = survivors
        .iter()
        .map(|&id| {
            [
                lines(id, "cannot reach peer"),
                lines(id, "peer reachable again"),
            ]
        })
        .collect();
    let _ = restarted.kill();
    let _ = restarted.wait();
    for (id, counted) in survivors.iter().zip(counted) {
        assert_eq!(
            counted,
            [1, 1],
            "z{id}: lines cannot reach, reachable again"
        );
    }
}
