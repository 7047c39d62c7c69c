//! The ensemble's lines and the client port they give: `dynamicConfigFile`, the client
//! address after `;`, bracketed IPv6 hosts.

use super::*;

/// A zoo.cfg in a new directory that is also its dataDir, with `myid` and `lines` after
/// `dataDir`; the directory and the zoo.cfg's path.
fn config_dir(my_id: u64, lines: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), format!("{my_id}\n")).unwrap();
    let cfg = dir.path().join("zoo.cfg");
    let text = format!("dataDir={}\n{lines}", dir.path().display());
    std::fs::write(&cfg, text).unwrap();
    (dir, cfg)
}

/// ZooKeeper 3.5+'s layout: the ensemble in the file `dynamicConfigFile` names, its version
/// in the name's suffix. Read as if its lines were in zoo.cfg, not ignored (which ran every
/// member standalone).
#[test]
fn the_ensemble_is_read_from_the_dynamic_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let dynamic = dir.path().join("zoo.cfg.dynamic.100000000");
    std::fs::write(
        &dynamic,
        "# members\nserver.1=127.0.0.1:2888:3888:participant;2181\n\
         server.2=127.0.0.1:2889:3889;2182\nserver.3=127.0.0.1:2890:3890:observer\n",
    )
    .unwrap();
    let (_d, cfg) = config_dir(2, &format!("dynamicConfigFile={}\n", dynamic.display()));
    let c = ServerConfig::load(&cfg).unwrap();
    assert_eq!(
        (c.voters(), c.observers(), c.my_id),
        (vec![1, 2], vec![3], 2)
    );
    assert_eq!(c.servers[&2].quorum_port, 2889);
    assert!(c.unknown.is_empty(), "{:?}", c.unknown);
}

#[test]
fn a_dynamic_config_file_holds_the_ensemble_alone_and_must_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let dynamic = dir.path().join("zoo.cfg.dynamic");
    let load = |dynamic_text: &str, extra: &str| {
        std::fs::write(&dynamic, dynamic_text).unwrap();
        let lines = format!("dynamicConfigFile={}\n{extra}", dynamic.display());
        let (_d, cfg) = config_dir(1, &lines);
        ServerConfig::load(&cfg)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let members = "server.1=127.0.0.1:1:2\nserver.2=127.0.0.1:3:4\n";
    // Members in both files: ZooKeeper refuses it, naming the static line.
    let err = load(members, "server.3=127.0.0.1:5:6\n");
    assert!(err.contains("line 3") && err.contains("server.3"), "{err}");
    for (text, says) in [
        ("version=100000000\n", "line 3: `version`"),
        ("clientPort=2181\n", "line 3: `clientPort`"),
        ("group.1=1:2\n", "line 3: `group.1`: hierarchical"),
        ("server.2=127.0.0.1:5:6\n", "line 3: server.2 appears twice"),
        ("server.3=nonsense\n", "line 3: `nonsense`"),
    ] {
        let err = load(&format!("{members}{text}"), "");
        assert!(
            err.contains(&dynamic.display().to_string()) && err.contains(says),
            "{text}: {err}"
        );
    }
    // Unreadable: the path named, as for zoo.cfg itself (exit 2).
    std::fs::remove_file(&dynamic).unwrap();
    let (_d, cfg) = config_dir(1, &format!("dynamicConfigFile={}\n", dynamic.display()));
    let err = ServerConfig::load(&cfg).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Read { path, .. } if *path == dynamic),
        "{err}"
    );
}

/// As in ZooKeeper: no plain client port unless `clientPort` or this server's `server.N` line
/// gives one (before, 2181 was bound whatever the configuration said); the line's address
/// must agree with `clientPort`; and a server with no client port at all is refused.
#[test]
fn the_plain_client_port_is_only_the_configured_one() {
    let tls_only = "secureClientPort=2281\nssl.keyStore.location=/k\nssl.clientAuth=none\n";
    let c = ServerConfig::parse(&format!("dataDir=/d\n{tls_only}")).unwrap();
    assert_eq!(c.client_port, None);
    c.validate().unwrap();
    let none = ServerConfig::parse("dataDir=/d\n").unwrap();
    let err = none.validate().unwrap_err().to_string();
    assert!(err.contains("no client port"), "{err}");
    let err = ServerConfig::parse("dataDir=/d\nclientPortAddress=127.0.0.1\n").unwrap_err();
    assert!(
        err.to_string().starts_with("line 2: clientPortAddress"),
        "{err}"
    );
    let err = ServerConfig::parse("dataDir=/d\nclientPort=1\nsecureClientPortAddress=::1\n")
        .and_then(|c| c.validate().map(|_| c))
        .unwrap_err();
    assert!(err.to_string().contains("secureClientPort is not"), "{err}");

    let load = |mine: &str, lines: &str| {
        let members = format!("server.1=127.0.0.1:1:2{mine}\nserver.2=127.0.0.1:3:4;2182\n");
        let (_d, cfg) = config_dir(1, &format!("{lines}{members}"));
        ServerConfig::load(&cfg).map(|c| (c.client_port, c.client_port_address.to_string()))
    };
    let any = "0.0.0.0".to_string();
    assert_eq!(load(";2181", "").unwrap(), (Some(2181), any.clone()));
    let on = |ip: &str| (Some(2181), ip.to_string());
    assert_eq!(load(";127.0.0.1:2181", "").unwrap(), on("127.0.0.1"));
    assert_eq!(
        load(";127.0.0.1:2181", "clientPort=2181\n").unwrap(),
        on("127.0.0.1")
    );
    assert_eq!(load("", "clientPort=2181\n").unwrap(), (Some(2181), any));
    for (mine, lines) in [
        (";2182", "clientPort=2181\n"),
        (
            ";127.0.0.1:2181",
            "clientPort=2181\nclientPortAddress=127.0.0.2\n",
        ),
    ] {
        let err = load(mine, lines).unwrap_err().to_string();
        assert!(err.contains("server.1 line"), "{mine} {lines}: {err}");
    }
    for bad in [";", ";x", ";127.0.0.1:", ";:2181", ";0"] {
        let err = load(bad, "").unwrap_err().to_string();
        assert!(err.contains("line 2: client address"), "{bad}: {err}");
    }
}

/// As in ZooKeeper: an IPv6 host in brackets (refused before, split at its colons), and the
/// role in any case (`:Observer` was refused).
#[test]
fn server_lines_take_bracketed_ipv6_hosts_and_roles_in_any_case() {
    let c = ServerConfig::parse(
        "dataDir=/d\nserver.1=[::1]:2888:3888\nserver.2=[fe80::1]:2889:3889:OBSERVER;[::1]:2181\n\
         server.3=127.0.0.1:2890:3890: Participant \n",
    )
    .unwrap();
    let (one, two) = (&c.servers[&1], &c.servers[&2]);
    assert_eq!(
        (one.host.as_str(), one.quorum_port, one.election_port),
        ("::1", 2888, 3888)
    );
    assert_eq!(
        (one.quorum_addr(), one.election_addr()),
        ("[::1]:2888".into(), "[::1]:3888".into())
    );
    assert_eq!(
        one.quorum_addr()
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .port(),
        2888
    );
    assert!(two.observer && two.host == "fe80::1");
    assert_eq!(two.client, Some(("::1".to_string(), 2181)));
    assert_eq!((c.voters(), c.observers()), (vec![1, 3], vec![2]));
    for bad in [
        "[::1:2888:3888",
        "[::1]2888:3888",
        "::1:2888:3888",
        "[::1]:2888",
        "[]:1:2",
    ] {
        let err = ServerConfig::parse(&format!("dataDir=/d\nserver.1={bad}\n")).unwrap_err();
        assert!(err.to_string().starts_with("line 2"), "{bad}: {err}");
    }
}
