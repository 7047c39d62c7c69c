//! Admission: the accept loops of the client, quorum and election ports, and the client
//! port's connection caps.
//!
//! A client connection over `maxClientCnxns` from its address, or over `maxCnxns` in all, is
//! closed as it is accepted, before a byte of it is read: it never reaches the core, so it
//! can neither create a session nor hold a buffer. Refusals are logged at most once a second,
//! with how many there were, so a flood of connections cannot flood the log.
//!
//! An accept error never ends a loop. A process out of file descriptors (EMFILE, ENFILE), a
//! connection reset before it was accepted (ECONNABORTED) or a kernel short of memory (ENOBUFS,
//! ENOMEM) is a condition that passes; the loop logs it once per run of errors, backs off
//! (doubling from `FIRST_BACKOFF` to `MAX_BACKOFF`, so a loop that cannot accept does not spin
//! on a core) and accepts again, logging how many errors the run had once it can.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
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

/// The client port's connection caps and the connections they count. 0 means no cap.
pub struct ClientCaps {
    /// `maxClientCnxns`: connections one IP address may hold.
    per_ip: u32,
    /// `maxCnxns`: connections the client port may hold in all.
    total: u32,
    open: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    by_ip: HashMap<IpAddr, u32>,
    total: u32,
    /// Refusals since the last one logged.
    unlogged: u64,
    last_logged: Option<Instant>,
}

/// Why a client connection was refused at accept.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    /// Its address already holds `maxClientCnxns` connections.
    #[error("too many connections from {ip} (maxClientCnxns={max})")]
    PerIp {
        /// The client's address.
        ip: IpAddr,
        /// The cap.
        max: u32,
    },
    /// The port already holds `maxCnxns` connections.
    #[error("too many connections in all (maxCnxns={max})")]
    Total {
        /// The cap.
        max: u32,
    },
}

/// An admitted connection's place under the caps, given back when it is dropped (when the
/// connection's task ends, however it ends).
pub struct Admitted {
    caps: Arc<ClientCaps>,
    ip: IpAddr,
}

impl ClientCaps {
    /// Caps of `per_ip` connections per address and `total` in all (0: no cap).
    pub fn new(per_ip: u32, total: u32) -> Arc<ClientCaps> {
        Arc::new(ClientCaps {
            per_ip,
            total,
            open: Mutex::new(Counts::default()),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        // The counts stay consistent under every panic (each update is one statement).
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a connection from `ip` in, or says which cap it is over (and logs that, at
    /// most once a second).
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admitted, Refused> {
        let mut c = self.counts();
        let held = c.by_ip.get(&ip).copied().unwrap_or(0);
        let refused = if self.per_ip > 0 && held >= self.per_ip {
            Some(Refused::PerIp {
                ip,
                max: self.per_ip,
            })
        } else if self.total > 0 && c.total >= self.total {
            Some(Refused::Total { max: self.total })
        } else {
            None
        };
        if let Some(why) = refused {
            c.unlogged += 1;
            let now = Instant::now();
            if c.last_logged
                .is_none_or(|t| now - t >= Duration::from_secs(1))
            {
                tracing::warn!(refused = c.unlogged, "client connection refused: {why}");
                c.unlogged = 0;
                c.last_logged = Some(now);
            }
            return Err(why);
        }
        *c.by_ip.entry(ip).or_default() += 1;
        c.total += 1;
        Ok(Admitted {
            caps: Arc::clone(self),
            ip,
        })
    }

    /// The connections counted in now (all addresses).
    #[cfg(test)]
    fn open(&self) -> u32 {
        self.counts().total
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut c = self.caps.counts();
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.by_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn an_address_holds_at_most_max_client_cnxns() {
        let caps = ClientCaps::new(2, 0);
        let (a1, _a2) = (caps.admit(A).unwrap(), caps.admit(A).unwrap());
        assert_eq!(caps.admit(A).err(), Some(Refused::PerIp { ip: A, max: 2 }));
        let _b = caps.admit(B).expect("another address has its own count");
        drop(a1);
        let _a3 = caps.admit(A).expect("a closed connection frees its place");
        assert_eq!(caps.open(), 3);
    }

    #[test]
    fn the_port_holds_at_most_max_cnxns_and_zero_means_no_cap() {
        let caps = ClientCaps::new(0, 3);
        let held: Vec<_> = [A, B, A].map(|ip| caps.admit(ip).unwrap()).into();
        assert_eq!(caps.admit(B).err(), Some(Refused::Total { max: 3 }));
        drop(held);
        assert_eq!(caps.open(), 0);
        let unbounded = ClientCaps::new(0, 0);
        let many: Vec<_> = (0..1000).map(|_| unbounded.admit(A).unwrap()).collect();
        assert_eq!(unbounded.open(), 1000);
        drop(many);
        assert!(
            unbounded.counts().by_ip.is_empty(),
            "no address left behind"
        );
    }
}
