//! Real `zabd` ensembles for the tests that validate their traces: start one with traces on,
//! drive a scenario, stop it and read every server's trace.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zab::server::fourlw::ask;
use zab::server::trace;
use zab::wire::{frame, opcode, ConnectRequest, ConnectResponse, Reader, ReplyHeader, Writer};
use zab_model::ZabModel;

/// The `zabd` beside this test (`target/release/zabd`, or `target/faults/release/zabd` in the
/// `faults` build), built if it is missing.
pub fn zabd() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = profile_dir.join("zabd");
    if !bin.exists() {
        // Into the target directory this test was built in, with the same fault switches:
        // a test of deliberately wrong servers runs a `faults` build, every other a release one.
        let target_dir = profile_dir.parent().unwrap();
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.args([
            "build",
            "--release",
            "-p",
            "zab",
            "--bin",
            "zabd",
            "--target-dir",
        ]);
        cargo.arg(target_dir);
        if cfg!(feature = "faults") {
            cargo.args(["--features", "zab/faults"]);
        }
        assert!(
            cargo.status().is_ok_and(|s| s.success()),
            "zabd does not build"
        );
    }
    bin
}

pub struct Ensemble {
    child: Child,
    dir: tempfile::TempDir,
    /// The servers' client ports.
    pub ports: Vec<u16>,
    /// Servers a scenario restarted by hand.
    pub restarted: std::cell::RefCell<Vec<Child>>,
}

impl Ensemble {
    /// An ensemble with extra zoo.cfg lines.
    pub fn start_with(cfg: &[&str]) -> Ensemble {
        let dir = tempfile::tempdir().unwrap();
        let traces = format!("zab.traceDir={}", dir.path().join("traces").display());
        let mut cmd = Command::new(zabd());
        cmd.args(["ensemble", "--servers", "3", "--dir"])
            .arg(dir.path().join("servers"))
            .args(["--cfg", &traces]);
        for line in cfg {
            cmd.args(["--cfg", line]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut out = child.stdout.take().unwrap();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            line.push(byte[0] as char);
        }
        let ports = line
            .trim()
            .split(',')
            .map(|h| h.rsplit(':').next().unwrap().parse().unwrap())
            .collect::<Vec<u16>>();
        assert_eq!(ports.len(), 3, "the ensemble did not start: {line:?}");
        Ensemble {
            child,
            dir,
            ports,
            restarted: Default::default(),
        }
    }

    pub fn mode(&self, port: u16) -> String {
        ask(port, "srvr").unwrap_or_default()
    }

    pub fn leader(&self) -> Option<u16> {
        self.ports
            .iter()
            .copied()
            .find(|p| self.mode(*p).contains("Mode: leader"))
    }

    /// The server on `port`: its pid and command line.
    pub fn process(&self, port: u16) -> (u32, Vec<String>) {
        let servers = self.dir.path().join("servers");
        let cfg = std::fs::read_dir(&servers)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.extension().is_some_and(|x| x == "cfg")
                    && std::fs::read_to_string(p)
                        .unwrap()
                        .contains(&format!("clientPort={port}\n"))
            })
            .expect("the server's zoo.cfg");
        let pgrep = Command::new("pgrep")
            .args(["-f", "--", &format!("--config {}$", cfg.display())])
            .output()
            .unwrap();
        let pid = String::from_utf8_lossy(&pgrep.stdout)
            .split_whitespace()
            .next()
            .expect("the server's process")
            .parse()
            .unwrap();
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
        let args = cmdline
            .split('\0')
            .filter(|a| !a.is_empty())
            .map(String::from)
            .collect();
        (pid, args)
    }

    pub fn zxid(&self, port: u16) -> Option<String> {
        let text = self.mode(port);
        Some(
            text.split("Zxid: ")
                .nth(1)?
                .split_whitespace()
                .next()?
                .to_string(),
        )
    }

    /// Stops the ensemble (SIGTERM) and reads every server's trace, in server order.
    pub fn traces(mut self) -> Vec<Vec<trace::Record>> {
        if let Ok(keep) = std::env::var("ZAB_KEEP_TRACES") {
            let name = self.dir.path().file_name().unwrap().to_owned();
            let to = std::path::Path::new(&keep).join(name);
            let _ = std::fs::create_dir_all(&to);
            for id in 1..=3 {
                let from = trace::file_for(&self.dir.path().join("traces"), id);
                let _ = std::fs::copy(&from, to.join(format!("trace.{id}")));
            }
        }
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = Command::new("pkill")
            .args(["-f", "--"])
            .arg(self.dir.path())
            .status();
        (1..=3)
            .map(|id| trace::read(&trace::file_for(&self.dir.path().join("traces"), id)).unwrap())
            .collect()
    }
}

/// A client session that creates two znodes and closes: 4 transactions (the model's bound).
pub fn write_two(port: u16) {
    let mut c = Client::open(port);
    c.create(1, "/a");
    c.create(2, "/b");
    c.close(3);
}

/// At a server that reads linearizably: a session creates `/a`, reads it and closes (3
/// transactions, 1 read).
pub fn write_and_read(port: u16) {
    let mut c = Client::open(port);
    c.create(1, "/a");
    assert_eq!(c.get_data(2, "/a"), b"a");
    c.close(3);
}

/// A session that reads `/a` and leaves its connection without closing (1 transaction, its
/// start, and 1 read; with `write_and_read`, the model's 4 transactions).
pub fn read_and_leave(port: u16) {
    let mut c = Client::open(port);
    assert_eq!(c.get_data(1, "/a"), b"a");
}

/// One client session over the wire protocol; every call waits for its reply.
struct Client(TcpStream);

impl Client {
    fn open(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut c = Client(s);
        let hello = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: 30_000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: Some(false),
        };
        let r = ConnectResponse::decode(&c.roundtrip(hello.encode())).unwrap();
        assert!(r.session_id != 0, "the session was refused");
        c
    }

    fn roundtrip(&mut self, body: Vec<u8>) -> Vec<u8> {
        self.0.write_all(&frame::frame(&body)).unwrap();
        let mut len = [0u8; 4];
        self.0.read_exact(&mut len).unwrap();
        let mut reply = vec![0; u32::from_be_bytes(len) as usize];
        self.0.read_exact(&mut reply).unwrap();
        reply
    }

    /// A request whose reply must be OK; the reply's body.
    fn call(&mut self, w: Writer) -> Vec<u8> {
        let reply = self.roundtrip(w.bytes);
        let mut r = Reader::new(&reply);
        assert_eq!(ReplyHeader::decode(&mut r).unwrap().err, 0);
        reply[reply.len() - r.remaining()..].to_vec()
    }

    /// Creates `path` holding its own name (`/a` holds `a`).
    fn create(&mut self, xid: i32, path: &str) {
        let mut w = Writer::new();
        w.int(xid).int(opcode::CREATE).ustring(path);
        w.buffer(&path.as_bytes()[1..]);
        w.int(1).int(31).ustring("world").ustring("anyone").int(0);
        self.call(w);
    }

    /// The data of `path`.
    fn get_data(&mut self, xid: i32, path: &str) -> Vec<u8> {
        let mut w = Writer::new();
        w.int(xid)
            .int(opcode::GET_DATA)
            .ustring(path)
            .boolean(false);
        let body = self.call(w);
        Reader::new(&body).buffer().unwrap()
    }

    fn close(&mut self, xid: i32) {
        let mut w = Writer::new();
        w.int(xid).int(opcode::CLOSE_SESSION);
        self.roundtrip(w.bytes);
    }
}

/// The model of a 3-server run with `kills` servers killed: each server's stop at the end is
/// a crash too (and `zabd ensemble` may have restarted all three once, on new ports).
pub fn model(kills: u8) -> ZabModel {
    super::recorded_run_model(kills + 6)
}

pub fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One real ensemble at a time: each is three processes on a 2-core machine.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `scenario` on a fresh ensemble and returns its traces, after `starts` server starts
/// in all. A second try (up to 3 in all) when there were more: `zabd ensemble` starts its
/// servers again on new ports when one found its port taken, and the two tries share their
/// trace files.
pub fn record(
    cfg: &[&str],
    starts: usize,
    scenario: impl Fn(&Ensemble),
) -> Vec<Vec<trace::Record>> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    for _ in 0..3 {
        let e = Ensemble::start_with(cfg);
        scenario(&e);
        std::thread::sleep(Duration::from_millis(300));
        let traces = e.traces();
        let n = traces
            .iter()
            .flatten()
            .filter(|r| matches!(r, trace::Record::Start { .. }))
            .count();
        if n == starts {
            return traces;
        }
        println!("{n} server starts, not {starts}: the ensemble restarted; again");
    }
    panic!("no clean run in 3 tries");
}
