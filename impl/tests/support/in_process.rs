//! A standalone server run in the test's own process (`zab::server::run` on a thread of its
//! own), on a free loopback port; `Drop` stops it through its shutdown future.

use std::time::Duration;
use zab::config::ServerConfig;
use zab::server::fourlw::ask as four_letter;

pub struct Server {
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn start() -> Server {
    start_with("4lw.commands.whitelist=ruok\n")
}

/// A standalone server on a free port, its zoo.cfg ending with `extra` lines.
pub fn start_with(extra: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "tickTime=200\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n{extra}",
        dir.path().display()
    );
    let cfg = ServerConfig::parse(&text).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(zab::server::run(cfg, async {
            let _ = rx.await;
        }))
        .unwrap();
    });
    let s = Server {
        port,
        stop: Some(tx),
        thread: Some(thread),
        _dir: dir,
    };
    for _ in 0..100 {
        if four_letter(port, "srvr").is_some_and(|t| t.contains("Mode:")) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not start");
}
