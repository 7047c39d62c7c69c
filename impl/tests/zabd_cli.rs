//! `zabd --config` refuses what it cannot run with a clear message and its exit code: 2 for a
//! bad configuration, 3 for a port in use or a data directory it cannot use.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// Runs `zabd --config <cfg>` (or with `args`) and returns its exit code and stderr.
fn zabd(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new("timeout")
        .arg("30")
        .arg(env!("CARGO_BIN_EXE_zabd"))
        .args(args)
        .output()
        .expect("run zabd");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A one-server zoo.cfg in `dir` with these lines after the defaults.
fn config(dir: &Path, data_dir: &Path, port: u16, extra: &str) -> String {
    let path = dir.join("zoo.cfg");
    let text = format!(
        "tickTime=200\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n{extra}",
        data_dir.display()
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_bad_configuration_exits_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = zabd(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--config"), "{err}");
    let missing = dir.path().join("nope.cfg");
    let (code, err) = zabd(&["--config", missing.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot read"), "{err}");
    // Each line after the defaults makes its own configuration bad; zabd says what it found.
    let cases = [
        ("tickTime=soon\n", "line 5"),
        // A server id that does not fit a session id's top byte.
        ("server.256=127.0.0.1:1:2\n", "outside 1..=255"),
        // A jute.maxbuffer the log could not carry: refused, not accepted and then ignored.
        (
            "jute.maxbuffer=9000000\n",
            "jute.maxbuffer=9000000 is outside",
        ),
    ];
    for (line, says) in cases {
        let cfg = config(dir.path(), dir.path(), free_port(), line);
        let (code, err) = zabd(&["--config", &cfg]);
        assert_eq!(code, Some(2), "{line}: {err}");
        assert!(err.contains(says), "{line}: {err}");
    }
    let no_data_dir = dir.path().join("no-data-dir.cfg");
    std::fs::write(&no_data_dir, "tickTime=200\nclientPort=2181\n").unwrap();
    let (code, err) = zabd(&["--config", no_data_dir.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("dataDir"), "{err}");
}

/// Deliberately wrong behaviours and failing disks are not in the release build: it refuses
/// `zab.bug` and the `zab.fault.*` keys with exit code 2, naming the key and why (a `faults`
/// build takes them: `faulty_replicas.rs`, `slow_disks.rs`).
#[cfg(not(feature = "faults"))]
#[test]
fn the_release_build_refuses_the_test_only_keys_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for line in [
        "zab.bug=CommitWithoutQuorum\n",
        "zab.fault.fsyncFailsAfter=3\n",
        "zab.fault.fsyncDelayMs=300\n",
        "zab.fault.snapshotDelayMs=3000\n",
        "zab.fault.epochWriteDelayMs=3000\n",
    ] {
        let cfg = config(dir.path(), dir.path(), free_port(), line);
        let (code, err) = zabd(&["--config", &cfg]);
        assert_eq!(code, Some(2), "{line}: {err}");
        let key = line.split('=').next().unwrap_or_default();
        assert!(err.contains(key) && err.contains("faults"), "{err}");
    }
}

#[test]
fn a_port_in_use_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let cfg = config(dir.path(), dir.path(), port, "");
    let (code, err) = zabd(&["--config", &cfg]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains(&port.to_string()), "the port is named: {err}");
}

#[test]
fn a_data_directory_that_cannot_be_used_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the data directory should be.
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let cfg = config(dir.path(), &file, free_port(), "");
    let (code, err) = zabd(&["--config", &cfg]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("not-a-directory"),
        "the directory is named: {err}"
    );
}

#[test]
fn a_trace_directory_that_cannot_be_used_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-trace-dir");
    std::fs::write(&file, b"x").unwrap();
    let extra = format!("zab.traceDir={}\n", file.display());
    let data = dir.path().join("data");
    let cfg = config(dir.path(), &data, free_port(), &extra);
    let (code, err) = zabd(&["--config", &cfg]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("not-a-trace-dir"), "the path is named: {err}");
}

/// ZooKeeper 3.5+'s layout, the ensemble in the `dynamicConfigFile`: a member whose peers are
/// down looks for a leader rather than serving alone (which it did while zabd ignored the
/// file: every member its own standalone server, a split brain). The file unreadable is
/// exit 2, naming it.
#[test]
fn the_ensemble_in_a_dynamic_config_file_is_an_ensemble() {
    let dir = tempfile::tempdir().unwrap();
    let dynamic = dir.path().join("zoo.cfg.dynamic.100000000");
    let extra = format!(
        "initLimit=5\nsyncLimit=2\n4lw.commands.whitelist=*\ndynamicConfigFile={}\n",
        dynamic.display()
    );
    let (code, err) = zabd(&[
        "--config",
        &config(dir.path(), dir.path(), free_port(), &extra),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&dynamic.display().to_string()), "{err}");
    let members: String = (1..=3)
        .map(|id| format!("server.{id}=127.0.0.1:{}:{}\n", free_port(), free_port()))
        .collect();
    std::fs::write(&dynamic, members).unwrap();
    std::fs::write(dir.path().join("myid"), "1\n").unwrap();
    let port = free_port();
    let cfg = config(dir.path(), dir.path(), port, &extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_zabd"))
        .args(["--config", &cfg])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run zabd");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let answer = loop {
        match zab::server::fourlw::ask(port, "srvr") {
            Some(a) if !a.is_empty() => break a,
            _ if std::time::Instant::now() > deadline => break String::new(),
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    };
    // While looking, the words that describe a running server say it is not one, as
    // ZooKeeper's do (they answered with a looking server's numbers); ruok still answers.
    let others = [
        "stat", "mntr", "conf", "cons", "wchs", "dump", "dirs", "crst", "srst", "ruok",
    ]
    .map(|w| (w, zab::server::fourlw::ask(port, w).unwrap_or_default()));
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.contains("not currently serving"), "{answer}");
    for (word, said) in others {
        let serving_only = word != "ruok";
        assert_eq!(
            said.contains("not currently serving"),
            serving_only,
            "{word}: {said}"
        );
    }
}

/// The TCP ports process `pid` listens on (`ss`).
fn listening(pid: u32) -> Vec<u16> {
    let out = Command::new("ss").args(["-ltnpH"]).output().expect("ss");
    let owned = format!("pid={pid},");
    let mut ports: Vec<u16> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&owned))
        .filter_map(|l| {
            l.split_whitespace()
                .nth(3)?
                .rsplit(':')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    ports.sort();
    ports
}

/// `secureClientPort` alone: the server listens on it and on nothing else (before, the
/// plain port 2181 was bound too, as if configured).
#[test]
fn a_tls_only_server_opens_no_plain_port() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("k.pem"), dir.path().join("c.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(made.status.success(), "{made:?}");
    let store = dir.path().join("store.pem");
    let both = std::fs::read_to_string(&key).unwrap() + &std::fs::read_to_string(&cert).unwrap();
    std::fs::write(&store, both).unwrap();
    let secure = free_port();
    let cfg = dir.path().join("zoo.cfg");
    let text = format!(
        "tickTime=200\ndataDir={}\nsecureClientPort={secure}\nsecureClientPortAddress=127.0.0.1\n\
         ssl.keyStore.location={}\nssl.clientAuth=none\n",
        dir.path().display(),
        store.display()
    );
    std::fs::write(&cfg, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zabd"))
        .arg("--config")
        .arg(&cfg)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run zabd");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", secure)).is_err()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let ports = listening(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ports, vec![secure]);
}
