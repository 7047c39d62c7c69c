//! Admission: the accept loops of the client, quorum and election ports.
//!
//! An accept error never ends a loop. A process out of file descriptors (EMFILE, ENFILE), a
//! connection reset before it was accepted (ECONNABORTED) or a kernel short of memory (ENOBUFS,
//! ENOMEM) is a condition that passes; the loop logs it once per run of errors, backs off
//! (doubling from `FIRST_BACKOFF` to `MAX_BACKOFF`, so a loop that cannot accept does not spin
//! on a core) and accepts again, logging how many errors the run had once it can.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// The first pause after an accept error.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// The longest pause between tries while accepts keep failing.
pub const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Accepts connections on `listener` until the task is aborted, spawning `serve` for each.
/// `what` names the port in the log ("client port", "quorum port", "election port").
pub async fn accept_loop<F, S>(listener: TcpListener, what: &'static str, mut serve: S)
where
    S: FnMut(TcpStream, SocketAddr) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let mut backoff = FIRST_BACKOFF;
    let mut failed = 0u64;
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                if failed > 0 {
                    tracing::info!(what, failed, "accepting again after accept errors");
                    failed = 0;
                    backoff = FIRST_BACKOFF;
                }
                tokio::spawn(serve(stream, addr));
            }
            Err(e) => {
                if failed == 0 {
                    tracing::warn!(what, "accept failed ({e}); backing off and retrying");
                }
                failed += 1;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}
