//! TLS on the client port (`secureClientPort`, PEM key and trust stores as ZooKeeper's
//! `ssl.keyStore.type=PEM`): kazoo connects over TLS with a certificate the trust store
//! vouches for and checks the server's; a client without a certificate, or with one from
//! another CA, is refused (with `ssl.clientAuth=want`, only the latter); the plain port
//! serves beside it; unusable TLS settings are
//! configuration errors (exit code 2). Certificates are made by `openssl` for each test.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::process::{free_port, kill, refused_start, respawn, server_process, Zabd};
use support::{ensure_kazoo, mode, Ensemble};

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`NAME-ca.pem`, `NAME-ca.key`) in `dir`.
fn ca(dir: &Path, name: &str) {
    let (key, cert) = (format!("{name}-ca.key"), format!("{name}-ca.pem"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &cert,
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} test CA"),
        ],
    );
}

/// A certificate `NAME.pem` with its key `NAME.key`, signed by CA `by`, for `usage`
/// (`serverAuth` or `clientAuth`), naming 127.0.0.1; returns the key store (key, then
/// certificate, in one file as ZooKeeper's PEM key store).
fn leaf(dir: &Path, name: &str, by: &str, usage: &str) -> PathBuf {
    let ext = format!("{name}.ext");
    std::fs::write(
        dir.join(&ext),
        format!(
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n"
        ),
    )
    .unwrap();
    let (key, csr, cert) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{by}-ca.pem"),
            "-CAkey",
            &format!("{by}-ca.key"),
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "2",
            "-extfile",
            &ext,
        ],
    );
    let store = dir.join(format!("{name}-store.pem"));
    let both = std::fs::read_to_string(dir.join(&key)).unwrap()
        + &std::fs::read_to_string(dir.join(&cert)).unwrap();
    std::fs::write(&store, both).unwrap();
    store
}

/// What kazoo says connecting over TLS to `port`, trusting the CA in `dir` and presenting
/// the certificate `who` made there (`None`: none).
fn kazoo(port: u16, dir: &Path, who: Option<&str>) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/tls.py");
    let file = |ext: &str| who.map_or("-".into(), |w| dir.join(format!("{w}.{ext}")));
    let out = Command::new("timeout")
        .args(["60", "python3", script, &format!("127.0.0.1:{port}")])
        .arg(dir.join("zab-ca.pem"))
        .args([file("pem"), file("key")])
        .output()
        .expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    said
}

/// zoo.cfg lines for a secure client port at `port` with the certificates in `dir`.
fn tls_cfg(dir: &Path, port: u16) -> String {
    format!(
        "secureClientPort={port}\nserverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n\
         ssl.keyStore.location={}\nssl.keyStore.type=PEM\nssl.trustStore.location={}\n\
         ssl.trustStore.type=PEM\n",
        dir.join("server-store.pem").display(),
        dir.join("zab-ca.pem").display(),
    )
}

#[test]
fn kazoo_connects_over_tls_and_untrusted_clients_are_refused() {
    ensure_kazoo();
    let certs = tempfile::tempdir().unwrap();
    let d = certs.path();
    ca(d, "zab");
    ca(d, "rogue");
    leaf(d, "server", "zab", "serverAuth");
    leaf(d, "client", "zab", "clientAuth");
    leaf(d, "intruder", "rogue", "clientAuth");
    let (port, admin) = (free_port(), free_port());
    let admin_cfg =
        format!("admin.enableServer=true\nadmin.serverPort={admin}\n4lw.commands.whitelist=*\n");
    let z = Zabd::start(&(tls_cfg(d, port) + &admin_cfg), &[]);

    let trusted = kazoo(port, d, Some("client"));
    assert!(
        trusted.starts_with("connected: read secret version 0"),
        "{trusted}"
    );
    // While a TLS session is open, the AdminServer lists it among the secure connections.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/tls.py");
    let mut held = Command::new("python3")
        .args([script, &format!("127.0.0.1:{port}")])
        .arg(d.join("zab-ca.pem"))
        .arg(d.join("client.pem"))
        .arg(d.join("client.key"))
        .arg("5")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(held.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.starts_with("connected"), "{line}");
    let (_, cons) = support::http::get(admin, "/commands/cons");
    let cons: serde_json::Value = serde_json::from_str(&cons).unwrap();
    assert_eq!(cons["connections"].as_array().unwrap().len(), 0, "{cons}");
    let secure = cons["secure_connections"].as_array().unwrap();
    assert_eq!(secure.len(), 1, "{cons}");
    assert!(secure[0]["session_id"].as_i64().unwrap() != 0, "{cons}");
    let _ = held.kill();
    let _ = held.wait();
    let anonymous = kazoo(port, d, None);
    assert!(
        anonymous.starts_with("refused"),
        "no certificate: {anonymous}"
    );
    let intruder = kazoo(port, d, Some("intruder"));
    assert!(intruder.starts_with("refused"), "another CA's: {intruder}");
    let log = z.log();
    assert!(log.contains("TLS handshake refused"), "{log}");
    // The plain port serves beside the secure one, and sees the node written over TLS.
    let plain = zab::server::fourlw::ask(z.port, "srvr").unwrap();
    assert!(plain.contains("Node count: 6"), "{plain}");
    drop(z);

    // With `ssl.clientAuth=want` a client need not present a certificate, but one it
    // presents must still be trusted: the refusals above are the verifier's.
    let port = free_port();
    let _z = Zabd::start(&format!("{}ssl.clientAuth=want\n", tls_cfg(d, port)), &[]);
    let anonymous = kazoo(port, d, None);
    assert!(
        anonymous.starts_with("connected"),
        "want, none: {anonymous}"
    );
    let intruder = kazoo(port, d, Some("intruder"));
    assert!(
        intruder.starts_with("refused"),
        "want, another CA's: {intruder}"
    );
}

#[test]
fn unusable_tls_settings_are_configuration_errors() {
    let certs = tempfile::tempdir().unwrap();
    let d = certs.path();
    ca(d, "zab");
    leaf(d, "server", "zab", "serverAuth");
    let good = tls_cfg(d, free_port());
    let missing = good.replace("server-store.pem", "absent.pem");
    let cert_only = good.replace("server-store.pem", "server.pem");
    for (what, cfg, says) in [
        (
            "a JKS key store",
            format!("{good}ssl.keyStore.type=JKS\n"),
            "PEM",
        ),
        ("a missing key store", missing, "absent.pem"),
        ("a key store without its key", cert_only, "private key"),
        (
            "no trust store",
            format!(
                "secureClientPort={}\nssl.keyStore.location={}\n",
                free_port(),
                d.join("server-store.pem").display()
            ),
            "ssl.trustStore.location",
        ),
        (
            "an encrypted key",
            format!("{good}ssl.keyStore.password=hunter2\n"),
            "unencrypted",
        ),
    ] {
        let out = refused_start(&cfg);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(says), "{what}: {err}");
    }
}

/// Starts the server whose command line is `cmdline` again, with `from` replaced by `to` in
/// its zoo.cfg (the last argument), logging to `log`.
fn start_with(cmdline: &[String], from: &str, to: &str, log: &Path) -> std::process::Child {
    let cfg = cmdline.last().unwrap();
    let text = std::fs::read_to_string(cfg).unwrap().replace(from, to);
    std::fs::write(cfg, text).unwrap();
    respawn(cmdline, log)
}

/// Whether the server on `port` serves within `within`.
fn serves_within(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if mode(port).is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn peers_speak_tls_and_a_server_another_ca_vouches_for_cannot_join() {
    let certs = tempfile::tempdir().unwrap();
    let d = certs.path();
    ca(d, "zab");
    ca(d, "rogue");
    leaf(d, "peer", "zab", "serverAuth,clientAuth");
    leaf(d, "stranger", "rogue", "serverAuth,clientAuth");
    let key_store = format!(
        "ssl.quorum.keyStore.location={}",
        d.join("peer-store.pem").display()
    );
    let trust_store = format!(
        "ssl.quorum.trustStore.location={}",
        d.join("zab-ca.pem").display()
    );
    let cfg = [
        "sslQuorum=true",
        &key_store,
        &trust_store,
        "ssl.quorum.hostnameVerification=true",
    ];
    // `Ensemble` returns once every server serves: an election and a synchronization over TLS.
    let e = Ensemble::zabd_with(3, 0, &cfg);
    let ports = e.client_ports();
    let leader = e.leader().expect("a leader");
    let follower = *ports.iter().find(|&&p| p != leader).unwrap();

    let (pid, cmdline) = server_process(e.dir.path(), follower);
    kill(pid);
    let log = e.dir.path().join("restarted.log");
    let mut stranger = start_with(&cmdline, "peer-store.pem", "stranger-store.pem", &log);
    assert!(
        !serves_within(follower, Duration::from_secs(8)),
        "a server with another CA's certificate joined"
    );
    let logs: String = ["z1.log", "z2.log", "z3.log", "restarted.log"]
        .iter()
        .map(|f| std::fs::read_to_string(e.dir.path().join(f)).unwrap_or_default())
        .collect();
    assert!(logs.contains("TLS"), "the refusal is logged: {logs}");
    assert_eq!(
        mode(leader).as_deref(),
        Some("leader"),
        "the other two go on"
    );

    // The same server with the ensemble's certificate joins: the refusal was its certificate's.
    let _ = stranger.kill();
    let _ = stranger.wait();
    let mut member = start_with(&cmdline, "stranger-store.pem", "peer-store.pem", &log);
    assert!(
        serves_within(follower, Duration::from_secs(20)),
        "it joins with a trusted certificate"
    );
    let _ = member.kill();
    let _ = member.wait();
}
