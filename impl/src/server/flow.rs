//! Flow control: how much one client connection, and all of them together, may hold in the
//! server at once.
//!
//! Three budgets, each a zoo.cfg key (`FlowLimits`):
//! - **Outstanding requests per connection** (`zab.client.maxOutstanding`): a connection's
//!   reader hands the core a request only with a permit of its connection, given back when
//!   the request is answered. A connection at its limit is not read, so its client is slowed
//!   by TCP, not answered with an error.
//! - **Outstanding requests in all** (`globalOutstandingLimit`, ZooKeeper's name and
//!   default): the same with one permit of the server's.
//! - **Bytes queued for a connection** (`zab.client.maxQueuedBytes`): replies handed to the
//!   connection's writer and not yet written to its socket. While a connection is over this
//!   budget the core answers none of its requests (`hold`), so a client that does not read
//!   its replies stops the production of more; its requests then give their global permits
//!   back, so it cannot starve other clients of them either. Notifications are never held
//!   and never dropped; a connection whose queue they push past `close_at` is closed (its
//!   client reconnects and sends `setWatches`, which fires what it missed).
//!
//! A client that neither reads nor can be read sends no pings either, so its session expires
//! after its timeout and the connection goes with it.
//!
//! A connection closed (by the core, or its reader ending) still writes what was queued for
//! it, a `closeSession` reply among others, until `CLOSE_GRACE` passes without a write: a
//! client that reads nothing must not keep a closed connection open (`ConnFlow::dropped`).

use super::core::{ConnId, Event, EventTx};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How long a closed connection's writer may go without writing a batch of what was queued
/// before the close (the `closeSession` reply, a refused handshake's answer, a four-letter
/// word's text); past it the connection is dropped without the rest, as an eviction is. A
/// client that reads gets a few replies in milliseconds; one that stopped reading with less
/// than its budget queued, but more than the kernel's socket buffers hold, would otherwise
/// keep the writer in its write, and the connection with its file descriptor, admission
/// place and core entry, for as long as it stays silent. ZooKeeper drops a closed
/// connection's unsent output at once; this keeps the replies of a client that does read.
pub const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// The budgets, from zoo.cfg.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowLimits {
    /// `globalOutstandingLimit` (default 1000): requests received from all clients and not
    /// yet answered.
    pub global_outstanding: usize,
    /// `zab.client.maxOutstanding` (default 100): the same for one connection.
    pub conn_outstanding: usize,
    /// `zab.client.maxQueuedBytes` (default 1 MiB): reply bytes queued for one connection
    /// above which its requests are held.
    pub queued_bytes: usize,
    /// `jute.maxbuffer`: the largest reply one request can produce.
    pub max_reply: usize,
}

impl FlowLimits {
    /// ZooKeeper's `globalOutstandingLimit` default.
    pub const GLOBAL_OUTSTANDING: usize = 1000;
    /// zabd's default for `zab.client.maxOutstanding`.
    pub const CONN_OUTSTANDING: usize = 100;
    /// zabd's default for `zab.client.maxQueuedBytes`.
    pub const QUEUED_BYTES: usize = 1 << 20;

    /// The queue at which a connection is closed: its budget, one more reply of the largest
    /// size (evaluated while it was just under), and as much again of notifications.
    pub fn close_at(&self) -> usize {
        self.queued_bytes
            .saturating_mul(2)
            .saturating_add(self.max_reply)
    }
}

/// The server's side: the global permits and the limits every connection shares.
pub struct Flow {
    limits: FlowLimits,
    global: Arc<Semaphore>,
}

impl Flow {
    /// Budgets as configured (a zero count is taken as one, so nothing waits forever).
    pub fn new(limits: FlowLimits) -> Flow {
        Flow {
            global: Arc::new(Semaphore::new(limits.global_outstanding.max(1))),
            limits,
        }
    }

    /// The budgets of a new connection.
    pub fn connection(&self, conn: ConnId, events: EventTx) -> Arc<ConnFlow> {
        Arc::new(ConnFlow {
            conn,
            limits: self.limits,
            permits: Arc::new(Semaphore::new(self.limits.conn_outstanding.max(1))),
            global: Arc::clone(&self.global),
            queued: AtomicUsize::new(0),
            held: AtomicBool::new(false),
            evicted: Notify::new(),
            closed_at: OnceLock::new(),
            writes: AtomicU64::new(0),
            writes_at_close: AtomicU64::new(0),
            closed: Notify::new(),
            events,
        })
    }

    /// Global permits not in use.
    #[cfg(test)]
    fn global_available(&self) -> usize {
        self.global.available_permits()
    }
}

/// One connection's budgets, shared by its reader, its writer and the core.
#[derive(Debug)]
pub struct ConnFlow {
    conn: ConnId,
    limits: FlowLimits,
    permits: Arc<Semaphore>,
    global: Arc<Semaphore>,
    /// Bytes handed to the writer and not yet written.
    queued: AtomicUsize,
    /// The core holds this connection's requests until its queue drains.
    held: AtomicBool,
    /// Wakes the connection's task to drop it at once (a queue past `close_at`).
    evicted: Notify,
    /// When the connection was closed: its writer has `CLOSE_GRACE` from then, and again
    /// after each batch it writes.
    closed_at: OnceLock<Instant>,
    /// Wakes the connection's task once `closed_at` is set.
    closed: Notify,
    /// Batches the writer has written: a closed connection whose count moves is being read.
    writes: AtomicU64,
    /// `writes` when the connection was closed.
    writes_at_close: AtomicU64,
    /// Tells the core when a held connection drained.
    events: EventTx,
}

/// A request's place in its connection's budget and in the server's. Dropping it (the
/// request answered, its connection closed, its event dropped) gives both back.
#[derive(Debug)]
pub struct Ticket {
    _conn: OwnedSemaphorePermit,
    global: Option<OwnedSemaphorePermit>,
    /// When the request had been read and asked for its place: its latency counts from here
    /// (`stats.rs`), waiting for room included.
    pub read_at: std::time::Instant,
}

impl Ticket {
    /// Gives the global permit back early: the request waits on its own client now.
    pub fn release_global(&mut self) {
        self.global = None;
    }
}

impl ConnFlow {
    /// Waits for room for one more request, in the connection's budget and then the
    /// server's. `None` only if the semaphores were closed (never, in practice).
    pub async fn admit(&self) -> Option<Ticket> {
        let read_at = std::time::Instant::now();
        let conn = Arc::clone(&self.permits).acquire_owned().await.ok()?;
        let global = Arc::clone(&self.global).acquire_owned().await.ok()?;
        Some(Ticket {
            _conn: conn,
            global: Some(global),
            read_at,
        })
    }

    /// The core hands the writer `n` more bytes. Returns true when this takes the queue past
    /// `close_at` (once): the connection must be dropped now, and its task has been told.
    pub fn queued(&self, n: usize) -> bool {
        let before = self.queued.fetch_add(n, Ordering::SeqCst);
        let close_at = self.limits.close_at();
        let crossed = before <= close_at && before + n > close_at;
        if crossed {
            self.evicted.notify_one();
        }
        crossed
    }

    /// The writer wrote `n` bytes; a held connection that drained to its budget tells the
    /// core to answer again.
    pub fn written(&self, n: usize) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        let now = self.queued.fetch_sub(n, Ordering::SeqCst) - n;
        self.release_if_drained(now);
    }

    /// The core wrote the connection's framed replies to its socket itself, all of them:
    /// one held on those unflushed bytes tells the core to answer again, as `written` does.
    pub fn wrote_directly(&self) {
        self.release_if_drained(self.queued.load(Ordering::SeqCst));
    }

    fn release_if_drained(&self, queued: usize) {
        if queued <= self.limits.queued_bytes && self.held.swap(false, Ordering::SeqCst) {
            let _ = self.events.send(Event::Drained { conn: self.conn });
        }
    }

    /// Whether the core must hold this connection's requests: its queue, with the
    /// `unflushed` bytes the core has framed for it but not handed over yet, is over budget.
    /// Marks it held first and looks again, so a writer that drains meanwhile either sees
    /// the mark (and wakes the core) or is seen here.
    pub fn hold(&self, unflushed: usize) -> bool {
        let over = || self.queued.load(Ordering::SeqCst) + unflushed > self.limits.queued_bytes;
        if !over() {
            return false;
        }
        self.held.store(true, Ordering::SeqCst);
        if !over() {
            self.held.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Whether more is queued than the budget: the client is not reading, so a `Close`
    /// queued behind the replies would never be reached.
    pub fn stalled(&self) -> bool {
        self.queued.load(Ordering::SeqCst) > self.limits.queued_bytes
    }

    /// Has the connection's task drop it now, without writing what is queued.
    pub fn evict(&self) {
        self.evicted.notify_one();
    }

    /// The core closed the connection. One whose client is not reading (`stalled`) is
    /// dropped at once: a `Close` behind its unread replies would never be reached. Any
    /// other gets `CLOSE_GRACE` to write what is queued (`grace_starts`).
    pub fn close(&self) {
        if self.stalled() {
            self.evict();
        } else {
            self.grace_starts();
        }
    }

    /// The connection is closed: its writer has `CLOSE_GRACE` from now (from the first call)
    /// to write what is queued, and as long again after each batch it writes; once a whole
    /// grace passes without one, `dropped` resolves.
    pub fn grace_starts(&self) {
        let writes = self.writes.load(Ordering::SeqCst);
        if self.closed_at.set(Instant::now()).is_ok() {
            self.writes_at_close.store(writes, Ordering::SeqCst);
            self.closed.notify_one();
        }
    }

    /// Bytes queued for the writer now.
    pub fn queued_bytes(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    /// Resolves when the connection must be dropped without writing what is queued: it was
    /// evicted, or it was closed and its writer has written nothing for `CLOSE_GRACE`. Gives
    /// the reason, for the log.
    pub async fn dropped(&self) -> String {
        let grace_over = async {
            if self.closed_at.get().is_none() {
                // `grace_starts` sets the time, then notifies: a notification sent before
                // this waits is kept for it (`notify_one`).
                self.closed.notified().await;
            }
            let closed_at = self.closed_at.get().copied().unwrap_or_else(Instant::now);
            // A client that reads, however slowly, gets everything: only a whole grace
            // without a batch written ends it.
            let mut seen = self.writes_at_close.load(Ordering::SeqCst);
            let mut deadline = closed_at + CLOSE_GRACE;
            loop {
                tokio::time::sleep_until(deadline).await;
                let now = self.writes.load(Ordering::SeqCst);
                if now == seen {
                    break;
                }
                seen = now;
                deadline = Instant::now() + CLOSE_GRACE;
            }
        };
        tokio::select! {
            _ = self.evicted.notified() => {
                "its replies were not being read (zab.client.maxQueuedBytes)".to_string()
            }
            _ = grace_over => format!(
                "closed, and its client did not read what was queued for it within {} s \
                 (the rest was dropped)",
                CLOSE_GRACE.as_secs()
            ),
        }
    }
}

#[cfg(test)]
mod tests;
