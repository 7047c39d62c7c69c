//! zoo.cfg parsing: every key, bad lines named, myid and server ids checked.

use super::*;

const ENSEMBLE: &str = "tickTime=500\ninitLimit=5\nsyncLimit=2\n# comment\n\
    dataDir=/tmp/z1\nclientPort=2191\nclientPortAddress=127.0.0.1\n\
    autopurge.purgeInterval=1\nfoo.bar=1\n\
    server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889:participant\n\
    server.3=127.0.0.1:2890:3890:observer;127.0.0.1:2193\n";

#[test]
fn an_ensemble_config_parses_every_key() {
    let c = ServerConfig::parse(ENSEMBLE).unwrap();
    assert_eq!((c.tick_time_ms, c.init_limit, c.sync_limit), (500, 5, 2));
    assert_eq!(c.data_log_dir, PathBuf::from("/tmp/z1"));
    assert_eq!(c.client_port_address, IpAddr::from([127, 0, 0, 1]));
    assert_eq!((c.voters(), c.observers()), (vec![1, 2], vec![3]));
    assert_eq!(c.servers[&2].election_port, 3889);
    assert_eq!(c.autopurge_purge_interval, 1);
    assert_eq!(c.unknown, vec![(9, "foo.bar".to_string())]);
}

#[test]
fn bad_lines_are_named() {
    let cases = [
        ("dataDir=/d\ntickTime=fast\n", "line 2"),
        ("dataDir=/d\nserver.1=h:1\n", "line 2"),
        ("dataDir=/d\nserver.x=h:1:2\n", "line 2"),
        ("dataDir=/d\nserver.1=h:1:2:boss\n", "line 2"),
        ("dataDir=/d\nserver.1=h:1:2\nserver.1=h:3:4\n", "line 3"),
        ("just words\n", "line 1"),
        ("tickTime=10\n", "dataDir is required"),
        ("dataDir=/d\nzab.reads=strong\n", "line 2"),
        ("dataDir=/d\nzab.compactIdleMs=-1\n", "line 2"),
        ("dataDir=/d\nzab.workerThreads=-1\n", "line 2"),
        ("dataDir=/d\nzab.client.directWrites=maybe\n", "line 2"),
        (
            "dataDir=/d\nzab.workerThreads=5000\n",
            "zab.workerThreads=5000 is over 1024",
        ),
    ];
    for (text, want) in cases {
        let err = ServerConfig::parse(text).unwrap_err().to_string();
        assert!(err.contains(want), "{text:?}: {err}");
    }
}

#[test]
fn myid_is_read_and_must_name_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("zoo.cfg");
    let text = format!(
        "dataDir={}\nclientPort=2181\nserver.1=127.0.0.1:1:2\nserver.2=127.0.0.1:3:4\n",
        dir.path().display()
    );
    std::fs::write(&cfg_path, &text).unwrap();
    assert!(matches!(
        ServerConfig::load(&cfg_path),
        Err(ConfigError::MyId { .. })
    ));
    std::fs::write(dir.path().join("myid"), "2\n").unwrap();
    assert_eq!(ServerConfig::load(&cfg_path).unwrap().my_id, 2);
    std::fs::write(dir.path().join("myid"), "7").unwrap();
    assert!(matches!(
        ServerConfig::load(&cfg_path),
        Err(ConfigError::Invalid(_))
    ));
}

/// Session ids carry the server id in one byte: ids outside 1..=255 would make servers N
/// and N+256 hand out the same session ids, so they are refused.
#[test]
fn server_ids_outside_one_byte_are_refused() {
    for id in [0u64, 256, 257, u64::MAX] {
        let text = format!("dataDir=/tmp/z\nserver.1=127.0.0.1:1:2\nserver.{id}=127.0.0.1:3:4\n");
        let err = ServerConfig::parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("line 3") && err.contains("outside 1..=255"),
            "{id}: {err}"
        );
    }
    assert!(ServerConfig::parse("dataDir=/tmp/z\nserver.255=127.0.0.1:1:2\n").is_ok());
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("zoo.cfg");
    let text = format!("dataDir={}\nserver.1=127.0.0.1:1:2\n", dir.path().display());
    std::fs::write(&cfg_path, text).unwrap();
    std::fs::write(dir.path().join("myid"), "257\n").unwrap();
    let err = ServerConfig::load(&cfg_path).unwrap_err();
    assert!(
        matches!(&err, ConfigError::MyId { msg, .. } if msg.contains("outside")),
        "{err}"
    );
}

#[test]
fn the_four_letter_word_whitelist_opens_srvr_alone_by_default() {
    let on = |text: &str, word: &str| {
        ServerConfig::parse(&format!("dataDir=/d\n{text}"))
            .unwrap()
            .four_letter_word_enabled(word)
    };
    assert!(on("", "srvr"));
    assert!(!on("", "cons") && !on("", "ruok") && !on("", "mntr"));
    let listed = "4lw.commands.whitelist= ruok ,cons,,\n";
    assert!(on(listed, "ruok") && on(listed, "cons") && on(listed, "srvr"));
    assert!(!on(listed, "mntr"));
    assert!(on("4lw.commands.whitelist=*\n", "envi"));
    // As with every key, the last line wins: a tool's default can be narrowed after it.
    let narrowed = "4lw.commands.whitelist=*\n4lw.commands.whitelist=ruok\n";
    assert!(on(narrowed, "ruok") && !on(narrowed, "cons"));
}

#[test]
fn the_super_digest_is_taken_in_both_spellings_and_checked() {
    let digest = crate::data_tree::acl_check::generate_digest("super:secret");
    for key in [
        "DigestAuthenticationProvider.superDigest",
        "zookeeper.DigestAuthenticationProvider.superDigest",
    ] {
        let c = ServerConfig::parse(&format!("dataDir=/d\n{key}={digest}\n")).unwrap();
        assert_eq!(c.super_digest.as_deref(), Some(digest.as_str()));
    }
    assert_eq!(
        ServerConfig::parse("dataDir=/d\n").unwrap().super_digest,
        None
    );
    for bad in [
        "super:secret",
        "super",
        ":D/InIHSb7yEEbrWz8b9l71RjZJU=",
        "super:AAAA",
    ] {
        let err = ServerConfig::parse(&format!(
            "dataDir=/d\nDigestAuthenticationProvider.superDigest={bad}\n"
        ));
        assert!(
            err.unwrap_err()
                .to_string()
                .starts_with("line 2: superDigest"),
            "{bad}"
        );
    }
}

#[test]
fn reads_are_sequential_unless_linearizable_is_asked() {
    let plain = ServerConfig::parse("dataDir=/d\n").unwrap();
    assert_eq!(plain.reads, Reads::Sequential);
    let lin = ServerConfig::parse("dataDir=/d\nzab.reads=linearizable\n").unwrap();
    assert_eq!(lin.reads, Reads::Linearizable);
    assert!(lin.unknown.is_empty());
}

#[test]
fn compaction_waits_two_idle_seconds_unless_told() {
    let plain = ServerConfig::parse("dataDir=/d\n").unwrap();
    assert_eq!(plain.compact_idle_ms, 2_000);
    let off = ServerConfig::parse("dataDir=/d\nzab.compactIdleMs=0\n").unwrap();
    assert_eq!(off.compact_idle_ms, 0);
    assert!(off.unknown.is_empty());
}

#[test]
fn worker_threads_are_one_per_core_unless_told() {
    let plain = ServerConfig::parse("dataDir=/d\n").unwrap();
    assert_eq!(plain.worker_threads, 0);
    let one = ServerConfig::parse("dataDir=/d\nzab.workerThreads=1\n").unwrap();
    assert_eq!(one.worker_threads, 1);
    assert!(one.unknown.is_empty());
}

#[test]
fn the_core_writes_to_clients_directly_unless_told_not_to() {
    let plain = ServerConfig::parse("dataDir=/d\n").unwrap();
    assert!(plain.client_direct_writes);
    let off = ServerConfig::parse("dataDir=/d\nzab.client.directWrites=false\n").unwrap();
    assert!(!off.client_direct_writes);
    assert!(off.unknown.is_empty());
}

#[test]
fn a_connection_without_a_session_is_closed_after_ten_seconds_unless_told() {
    let plain = ServerConfig::parse("dataDir=/d\n").unwrap();
    assert_eq!(plain.sessionless_cnxn_timeout_ms, 10_000);
    let key = "zookeeper.nio.sessionlessCnxnTimeout";
    let short = ServerConfig::parse(&format!("dataDir=/d\nclientPort=1\n{key}=500\n")).unwrap();
    assert_eq!(short.sessionless_cnxn_timeout_ms, 500);
    assert!(short.unknown.is_empty());
    short.validate().unwrap();
    for bad in ["soon", "-1", "1.5"] {
        let err = ServerConfig::parse(&format!("dataDir=/d\n{key}={bad}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains(key), "{bad}: {err}");
    }
    let zero = ServerConfig::parse(&format!("dataDir=/d\nclientPort=1\n{key}=0\n")).unwrap();
    let err = zero.validate().unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid(m) if m.contains(key) && m.contains("positive")),
        "{err}"
    );
}

/// As in ZooKeeper: a `snapCount` below 2 is taken as 2, with a warning (0 meant no snapshot
/// ever, the log held in memory for ever); either spelling of the key.
#[test]
fn a_snap_count_below_two_is_reset_to_two() {
    let read = |line: &str| ServerConfig::parse(&format!("dataDir=/d\n{line}\n")).unwrap();
    assert_eq!(read("").snap_count, 100_000);
    for (line, want) in [
        ("snapCount=0", 2),
        ("snapCount=-5", 2),
        ("zookeeper.snapCount=1", 2),
        ("snapCount=2", 2),
        ("zookeeper.snapCount=40", 40),
    ] {
        let c = read(line);
        assert_eq!(c.snap_count, want, "{line}");
        assert!(c.unknown.is_empty(), "{line}");
        let warned = c
            .adjusted
            .iter()
            .any(|(l, w)| *l == 2 && w.contains("reset to 2"));
        assert_eq!(
            warned,
            want == 2 && line != "snapCount=2",
            "{line}: {:?}",
            c.adjusted
        );
    }
    let err = ServerConfig::parse("dataDir=/d\nsnapCount=3000000000\n").unwrap_err();
    assert!(err.to_string().contains("snapCount"), "{err}");
}

/// tickTime and the session timeout bounds are Java ints in ZooKeeper: a larger value is
/// refused (it was cast into a negative timeout handed to clients), -1 is "the default" (it
/// was refused), and a minimum above the maximum, defaults included, is refused (it was
/// taken).
#[test]
fn session_timeouts_are_zookeepers_ints() {
    let read = |lines: &str| {
        let c = ServerConfig::parse(&format!("dataDir=/d\nclientPort=1\ntickTime=1000\n{lines}"))?;
        c.validate().map(|()| c.session_timeouts())
    };
    let t = read("minSessionTimeout=-1\nmaxSessionTimeout=-1\n").unwrap();
    assert_eq!((t.min_ms, t.max_ms), (2_000, 20_000));
    let t = read("minSessionTimeout=0\nmaxSessionTimeout=2147483647\n").unwrap();
    assert_eq!((t.min_ms, t.max_ms), (0, i32::MAX));
    let t = read("tickTime=2147483647\n").unwrap();
    assert_eq!(
        (t.tick_ms, t.min_ms, t.max_ms),
        (i32::MAX, i32::MAX, i32::MAX)
    );
    for (lines, says) in [
        (
            "maxSessionTimeout=2147483648\n",
            "line 4: maxSessionTimeout",
        ),
        (
            "minSessionTimeout=3000000000\n",
            "line 4: minSessionTimeout",
        ),
        ("minSessionTimeout=-2\n", "line 4: minSessionTimeout=-2"),
        ("tickTime=2147483648\n", "tickTime=2147483648 is outside"),
        ("tickTime=0\n", "tickTime=0 is outside"),
        ("minSessionTimeout=30000\n", "(30000 ms) must not be larger"),
        (
            "minSessionTimeout=5000\nmaxSessionTimeout=4000\n",
            "(5000 ms)",
        ),
    ] {
        let err = read(lines).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains(says), "{lines}: {err}");
    }
}
