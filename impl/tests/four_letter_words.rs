//! The four-letter words at a running server: answered only when `4lw.commands.whitelist`
//! opens them, in ZooKeeper's text layout.

use std::time::{Duration, Instant};
use support::in_process::start_with;
use support::raw::{conn, create, handshake, request};
use support::Ensemble;
use zab::server::fourlw::ask as four_letter;
use zab::wire::opcode;

mod support;

/// Creates ephemeral `path` on `s`, the session's xid 1.
fn create_ephemeral(s: &mut std::net::TcpStream, path: &str) -> i32 {
    request(s, 1, opcode::CREATE, |w| {
        w.ustring(path).buffer(b"x");
        w.int(1).int(31).ustring("world").ustring("anyone");
        w.int(1); // ephemeral
    })
    .err
}

/// `4lw.commands.whitelist`: by default only `srvr` answers (`cons` would list every session
/// id and client address to anyone); the words an operator lists answer, `srvr` always.
#[test]
fn four_letter_words_answer_only_when_whitelisted() {
    let refused =
        |word: &str| format!("{word} is not executed because it is not in the whitelist.\n");
    let server = start_with("");
    assert!(four_letter(server.port, "srvr")
        .unwrap()
        .contains("Mode: standalone"));
    for word in ["ruok", "stat", "mntr", "conf", "cons", "wchs", "envi"] {
        assert_eq!(
            four_letter(server.port, word),
            Some(refused(word)),
            "{word}"
        );
    }
    let server = start_with("4lw.commands.whitelist=ruok, cons\n");
    assert_eq!(four_letter(server.port, "ruok").as_deref(), Some("imok"));
    assert!(four_letter(server.port, "cons")
        .unwrap()
        .contains("/127.0.0.1:"));
    assert!(four_letter(server.port, "srvr")
        .unwrap()
        .contains("Mode: standalone"));
    assert_eq!(four_letter(server.port, "mntr"), Some(refused("mntr")));
    let server = start_with("4lw.commands.whitelist=*\n");
    for word in ["ruok", "stat", "mntr", "conf", "cons", "wchs", "envi"] {
        assert_ne!(
            four_letter(server.port, word),
            Some(refused(word)),
            "{word}"
        );
    }
}

/// `wchc` and `wchp` list data watches by session and by path as ZooKeeper's `dumpWatches`
/// does (hex session ids, a tab before each entry); `isro` says `rw` without a newline.
#[test]
fn watches_are_listed_by_session_and_by_path_and_isro_says_rw() {
    let server = start_with("4lw.commands.whitelist=*\n");
    let mut s = conn(server.port);
    let session = handshake(&mut s, 0, vec![0; 16]).session_id;
    assert_eq!(create(&mut s, 1, "/a").err, 0);
    let h = request(&mut s, 2, opcode::EXISTS, |w| {
        w.ustring("/a").boolean(true);
    });
    assert_eq!(h.err, 0);
    let hex = format!("0x{session:x}");
    let by_session = four_letter(server.port, "wchc").expect("wchc answers");
    assert_eq!(by_session, format!("{hex}\n\t/a\n"));
    let by_path = four_letter(server.port, "wchp").expect("wchp answers");
    assert_eq!(by_path, format!("/a\n\t{hex}\n"));
    assert_eq!(four_letter(server.port, "isro").as_deref(), Some("rw"));
}

/// `dump` lists the leader's session buckets (Java's date, hex ids) and each session's
/// ephemeral nodes; `dirs` measures dataDir and dataLogDir off the core; `crst` and `srst`
/// zero the counters `cons` and `srvr` show.
#[test]
fn dump_dirs_and_the_stat_resets_answer_as_zookeeper() {
    let server = start_with("4lw.commands.whitelist=*\n");
    let mut s = conn(server.port);
    let session = handshake(&mut s, 0, vec![0; 16]).session_id;
    assert_eq!(create_ephemeral(&mut s, "/e"), 0);
    let hex = format!("0x{session:x}");
    let dump = four_letter(server.port, "dump").expect("dump answers");
    let lines: Vec<&str> = dump.lines().collect();
    assert_eq!(
        lines[..2],
        ["SessionTracker dump:", "Session Sets (1)/(1):"]
    );
    let bucket = lines[2];
    assert!(
        bucket.starts_with("1 expire at ") && bucket.ends_with(':'),
        "{dump}"
    );
    assert!(bucket.contains(" UTC "), "Java's Date in UTC: {dump}");
    assert_eq!(
        lines[3..],
        [
            format!("\t{hex}").as_str(),
            "ephemeral nodes dump:",
            "Sessions with Ephemerals (1):",
            format!("{hex}:").as_str(),
            "\t/e",
            "Connections dump:",
        ],
        "{dump}"
    );

    let dirs = four_letter(server.port, "dirs").expect("dirs answers");
    let sizes: Vec<u64> = dirs
        .lines()
        .map(|l| l.rsplit(": ").next().unwrap().parse().expect(l))
        .collect();
    assert!(dirs.starts_with("datadir_size: ") && dirs.contains("\nlogdir_size: "));
    assert!(
        sizes.len() == 2 && sizes[1] > 0,
        "the log holds the create: {dirs}"
    );

    let received = |srvr: &str| {
        srvr.lines()
            .find(|l| l.starts_with("Received: "))
            .map(String::from)
    };
    let srvr = four_letter(server.port, "srvr").unwrap();
    assert_ne!(received(&srvr).as_deref(), Some("Received: 0"), "{srvr}");
    assert_eq!(
        four_letter(server.port, "srst").as_deref(),
        Some("Server stats reset.\n")
    );
    let srvr = four_letter(server.port, "srvr").unwrap();
    assert_eq!(received(&srvr).as_deref(), Some("Received: 0"), "{srvr}");

    assert!(four_letter(server.port, "cons")
        .unwrap()
        .contains("recved=1,"));
    assert_eq!(
        four_letter(server.port, "crst").as_deref(),
        Some("Connection stats reset.\n")
    );
    assert!(four_letter(server.port, "cons")
        .unwrap()
        .contains("recved=0,sent=0,"));
}

/// A learner does not expire sessions: its `dump` lists the global sessions with their
/// timeouts (as ZooKeeper's `LearnerSessionTracker`), then the same ephemerals as the leader.
#[test]
fn a_followers_dump_lists_global_sessions_and_their_ephemerals() {
    let e = Ensemble::zabd_with(3, 0, &["4lw.commands.whitelist=*"]);
    let leader = e.leader().expect("a leader");
    let follower = *e.client_ports().iter().find(|&&p| p != leader).unwrap();
    let mut s = conn(leader);
    let session = handshake(&mut s, 0, vec![0; 16]).session_id;
    assert_eq!(create_ephemeral(&mut s, "/f"), 0);
    let hex = format!("0x{session:x}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let dump = loop {
        let dump = four_letter(follower, "dump").unwrap_or_default();
        if dump.contains("\t/f\n") || Instant::now() > deadline {
            break dump;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let lines: Vec<&str> = dump.lines().collect();
    assert_eq!(
        lines[..2],
        ["SessionTracker dump:", "Global Sessions(1):"],
        "{dump}"
    );
    assert!(
        lines[2].starts_with(&format!("{hex}\t")) && lines[2].ends_with("ms"),
        "{dump}"
    );
    assert_eq!(
        lines[3..],
        [
            "ephemeral nodes dump:",
            "Sessions with Ephemerals (1):",
            format!("{hex}:").as_str(),
            "\t/f",
            "Connections dump:",
        ],
        "{dump}"
    );
}
