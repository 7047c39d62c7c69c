//! `--idle-readers N`: sessions that pipeline reads of a large znode and never read a reply,
//! open for the whole run beside the measured load, to show what such clients cost the
//! others (their latency) and the server (its memory).

use crate::conn::Conn;
use std::io;

/// The znode the idle readers read, created once.
const BIG: &str = "/zab-bench/idle-big";
/// Its size: near jute.maxbuffer's default, as large as one reply gets by default.
const BIG_BYTES: usize = 1_000_000;
/// Reads each idle session sends: 400 MB of replies if a server produced them all.
const READS: usize = 400;

/// Opens `n` idle readers on `host` (their requests sent, their replies never read) and
/// returns them; dropping them closes their connections.
pub async fn open(host: &str, n: usize, timeout_ms: i32) -> io::Result<Vec<Conn>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut setup = Conn::open(host, timeout_ms).await?;
    setup.ensure(BIG, &vec![b'b'; BIG_BYTES]).await?;
    let _ = setup.close().await;
    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = Conn::open(host, timeout_ms).await?;
        for _ in 0..READS {
            c.get_data(BIG).await?;
        }
        // Fits the socket's buffers: requests are 40 bytes each, so this does not block
        // whatever the server does with them.
        c.flush().await?;
        idle.push(c);
    }
    Ok(idle)
}
