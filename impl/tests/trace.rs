//! Recorded traces of a real ensemble replay exactly: three `zabd` processes record every
//! replica step (`zab.traceDir`) while a client writes, the leader is killed (SIGKILL) and
//! restarted; afterwards each server's replica, re-run through its recorded inputs, does
//! exactly what the server did, output for output, across the restart.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use support::process::{kill, server_process};
use support::{zk_connect as connect, Ensemble};
use zab::server::fourlw::ask;
use zab::server::trace;
use zookeeper_client as zk;

mod support;

fn port(host: &str) -> u16 {
    host.rsplit(':').next().unwrap().parse().unwrap()
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out: {what}");
}

fn zxid(p: u16) -> Option<String> {
    let text = ask(p, "srvr")?;
    Some(
        text.split("Zxid: ")
            .nth(1)?
            .split_whitespace()
            .next()?
            .to_string(),
    )
}

#[test]
fn a_killed_and_restarted_ensembles_traces_replay_exactly() {
    let traces = tempfile::tempdir().unwrap();
    let line = format!("zab.traceDir={}", traces.path().display());
    let e = Ensemble::zabd_with(3, 0, &[&line]);
    let hosts: Vec<String> = e.hosts.split(',').map(String::from).collect();
    let ports: Vec<u16> = hosts.iter().map(|h| port(h)).collect();
    let leader = e.leader().expect("a leader");
    let others: Vec<&String> = hosts.iter().filter(|h| port(h) != leader).collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let open = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    let write = |host: String, from: u32, to: u32| {
        let open = open.clone();
        rt.block_on(async move {
            let c = connect(&host).await;
            for i in from..to {
                c.create(&format!("/t{i}"), b"x", &open).await.unwrap();
            }
        })
    };
    write(others[0].clone(), 0, 20);
    let (pid, cmdline) = server_process(e.dir.path(), leader);
    kill(pid);
    // The two others elect a new leader and go on.
    write(others[1].clone(), 20, 40);
    let log = std::fs::File::create(e.dir.path().join("restarted.log")).unwrap();
    let mut restarted = Command::new(&cmdline[0])
        .args(&cmdline[1..])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    wait_for("the restarted server catches up", || {
        let z: Vec<_> = ports.iter().map(|p| zxid(*p)).collect();
        z[0].is_some() && z.iter().all(|x| *x == z[0])
    });
    write(others[0].clone(), 40, 45);
    let _ = restarted.kill();
    let _ = restarted.wait();
    drop(e);

    let mut files: Vec<PathBuf> = std::fs::read_dir(traces.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    let mut restarts = 0;
    for f in &files {
        let records = trace::read(f).unwrap();
        let done = trace::replay(&records, zab::server::genesis)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        println!(
            "{}: {} starts, {} steps reproduced",
            f.display(),
            done.starts,
            done.steps
        );
        assert!(done.steps > 100, "{}: {done:?}", f.display());
        restarts += done.starts - 1;
    }
    assert_eq!(restarts, 1, "the killed leader started twice");
    // The command-line replay agrees.
    let out = Command::new(env!("CARGO_BIN_EXE_zabd"))
        .arg("replay")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("reproduced")
            .count(),
        3
    );
}
