//! An outbound link's task: it connects lazily, writes what its queue holds in batches, and
//! after a broken quorum connection drops everything queued until the core's `Reset`.

use super::snap_stream::{self, Streamed};
use super::{Event, EventTx, LinkCmd, LinkEvent, PeerAuth, PeerStream, Plane, QUEUE};
use crate::replica::ServerId;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// How many bytes a link gathers from its queue into one write.
const BATCH_BYTES: usize = 256 * 1024;
/// What a link's batch buffer keeps between writes.
const BATCH_KEEP: usize = BATCH_BYTES;

/// An outbound link as the core holds it: the queue into its task, and the task. Dropping
/// it (the link is replaced, or the server stops) stops the task at once: its connection
/// closes, so the peer notices, and what its queue held goes with it. A replaced link must
/// never send on: its queue belongs to a relationship the replica has been told is over.
pub struct Link {
    tx: mpsc::Sender<LinkCmd>,
    task: tokio::task::AbortHandle,
}

/// Where an outbound link goes.
pub struct Target {
    /// This server's side of the peer handshake (its id, the secret).
    pub auth: Arc<PeerAuth>,
    /// The peer.
    pub peer: ServerId,
    /// Which of the peer's ports.
    pub plane: Plane,
    /// The port's `host:port`.
    pub addr: String,
}

impl Link {
    /// Starts a link task on `rt`, with a queue of `QUEUE` commands.
    pub fn spawn(rt: &tokio::runtime::Handle, to: Target, events: EventTx) -> Link {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = rt.spawn(outbound(to, rx, events));
        Link {
            tx,
            task: task.abort_handle(),
        }
    }

    /// Queues a command; a full queue is the caller's to handle.
    pub fn try_send(&self, cmd: LinkCmd) -> Result<(), mpsc::error::TrySendError<LinkCmd>> {
        self.tx.try_send(cmd)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs an outbound link to `addr` until the command channel closes.
async fn outbound(to: Target, mut rx: mpsc::Receiver<LinkCmd>, events: EventTx) {
    let Target {
        auth,
        peer,
        plane,
        addr,
    } = to;
    let mut backoff = Duration::from_millis(20);
    // Logged once when the peer cannot be reached and once when it can again, not on every
    // retry: a peer that is down is retried every 500 ms.
    let mut unreachable = false;
    // A notification taken from the queue as its connection was found dead: it goes first on
    // the next one.
    let mut carried = None;
    // An election connection that carried notifications was found dead: what it carried last
    // may be lost with it, and only a new connection tells whether the peer is gone (logged)
    // or was restarted. So one is opened at once, with nothing to send: otherwise a peer that
    // died just after a notification was written to it (the kernel takes it, the peer's close
    // arrives a moment later) would not be found unreachable until the next election.
    let mut recheck = false;
    loop {
        // Connect lazily: wait for something to send first.
        let first = match carried.take() {
            Some(cmd) => Some(cmd),
            None if std::mem::take(&mut recheck) => None,
            None => match rx.recv().await {
                None => return,
                Some(LinkCmd::Close | LinkCmd::Reset) => continue,
                Some(cmd) => Some(cmd),
            },
        };
        let stream = loop {
            let opened = open(&addr, &auth, peer, plane).await;
            match &opened {
                Ok(_) if unreachable => {
                    tracing::info!(peer, ?plane, %addr, "peer reachable again");
                    unreachable = false;
                }
                Err(e) if !unreachable => {
                    tracing::warn!(peer, ?plane, %addr, "cannot reach peer: {e}");
                    unreachable = true;
                }
                _ => {}
            }
            match opened {
                Ok(s) => break Some(s),
                // A notification is worth sending only now: a peer that cannot be reached
                // gets the newest one when it can (the sender re-sends after notTimeout, the
                // peer announces itself when it starts), as Fast Leader Election expects.
                Err(_) if plane == Plane::Election => break None,
                Err(_) => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
            }
        };
        let Some((mut stream, probe)) = stream else {
            continue;
        };
        backoff = Duration::from_millis(20);
        // Commands taken from the queue but not yet written: the first, and those the core
        // queued while a SNAP streamed.
        let mut held: VecDeque<_> = first.into_iter().collect();
        let (mut ok, mut wrote) = (true, false);
        let mut batch = Vec::new();
        while ok {
            // One write for everything queued: under load the replica sends a packet per
            // proposal, ack and commit, and a syscall each would dominate.
            let mut next = match held.pop_front() {
                Some(cmd) => Some(cmd),
                None => match next_or_hangup(&mut rx, &mut stream, probe.as_ref()).await {
                    Next::Cmd(cmd) => cmd,
                    Next::HungUp(cmd) => {
                        (carried, ok) = (cmd, false);
                        break;
                    }
                },
            };
            let (mut closing, mut snap) = (false, None);
            loop {
                match next {
                    None => return,
                    // Notifications: the newest replaces what waits (ZooKeeper's send queue
                    // of capacity one, the model's latest-wins election link).
                    Some(LinkCmd::Send(b)) if batch.is_empty() || plane == Plane::Election => {
                        batch = b
                    }
                    Some(LinkCmd::Send(b)) => batch.extend_from_slice(&b),
                    Some(LinkCmd::Snap(s)) => {
                        snap = Some(s);
                        break;
                    }
                    Some(LinkCmd::Close) => {
                        closing = true;
                        break;
                    }
                    Some(LinkCmd::Reset) => {}
                }
                if batch.len() >= BATCH_BYTES {
                    break;
                }
                next = match held.pop_front() {
                    Some(cmd) => Some(cmd),
                    None => match rx.try_recv() {
                        Ok(cmd) => Some(cmd),
                        Err(_) => break,
                    },
                };
            }
            wrote |= !batch.is_empty();
            ok = stream.write_all(&batch).await.is_ok();
            batch.clear();
            // A large reply must not pin its size for the connection's life.
            batch.shrink_to(BATCH_KEEP);
            if let (Some(s), true) = (snap, ok) {
                match snap_stream::send(&mut stream, *s, &mut rx, &mut held).await {
                    Streamed::Sent => {}
                    Streamed::Failed => ok = false,
                    Streamed::Closed => closing = true,
                }
            }
            if closing {
                break;
            }
        }
        let _ = stream.shutdown().await;
        recheck = !ok && wrote && carried.is_none() && plane == Plane::Election;
        if !ok && plane == Plane::Quorum {
            let _ = events.send(Event::Link(LinkEvent::Broken { peer }));
            // Everything queued belongs to the relationship that just broke.
            loop {
                match rx.recv().await {
                    None => return,
                    Some(LinkCmd::Reset) => break,
                    Some(_) => {}
                }
            }
        }
    }
}

/// What an idle link hears first.
enum Next {
    /// A command, or `None` once the core dropped the link.
    Cmd(Option<LinkCmd>),
    /// The peer hung up; with the command taken as that was found.
    HungUp(Option<LinkCmd>),
}

/// The next command, or the peer's hang-up. A peer never writes on a connection we opened
/// once the handshake is done, so anything readable on it (its end closing: a restarted or
/// killed process, a reset, stray bytes) means the connection is gone. Noticing that while
/// idle matters: a write into a connection whose peer has died is accepted by the kernel and
/// lost, so a restarted peer's first answer would vanish and it would wait for its own retry
/// (notTimeout in an election, a ping period in discovery).
///
/// The hang-up goes first when both are ready. And tokio learns of a hang-up only when its
/// driver next turns, which may be after the core, hearing of the death on another connection
/// (a follower on its leader's quorum link), queued a notification: so with a `probe` (an
/// election link's) the kernel is asked before a command is taken as news. A notification
/// written into the dead connection was lost and, with no connection tried, the peer's absence
/// never logged.
async fn next_or_hangup(
    rx: &mut mpsc::Receiver<LinkCmd>,
    stream: &mut PeerStream,
    probe: Option<&socket2::Socket>,
) -> Next {
    let mut byte = [0u8; 1];
    tokio::select! {
        biased;
        _ = stream.read(&mut byte) => Next::HungUp(None),
        cmd = rx.recv() => match (cmd, probe) {
            (Some(cmd @ LinkCmd::Send(_)), Some(probe)) if hung_up(probe) => {
                Next::HungUp(Some(cmd))
            }
            (cmd, _) => Next::Cmd(cmd),
        },
    }
}

/// Whether the kernel holds the peer's end of the connection: its close or its reset. Bytes
/// waiting (a TLS session ticket) are left to the stream's own read.
fn hung_up(probe: &socket2::Socket) -> bool {
    let mut byte = [std::mem::MaybeUninit::uninit(); 1];
    // The probe shares the connection's open file, so it is non-blocking as tokio set it.
    match probe.peek(&mut byte) {
        Ok(n) => n == 0,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
        ),
    }
}

/// A second handle on an election connection's socket, to ask the kernel whether the peer
/// hung up (`hung_up`); without one (no descriptor left) the link relies on tokio's read.
fn probe_of(s: &TcpStream) -> Option<socket2::Socket> {
    use std::os::fd::AsFd;
    s.as_fd()
        .try_clone_to_owned()
        .ok()
        .map(socket2::Socket::from)
}

/// Connects to `addr` and runs the handshake as the connecting side. A peer that cannot
/// prove the secret is logged (at most once a second) and treated as one that cannot be
/// reached. An election connection comes with its probe (`hung_up`).
async fn open(
    addr: &str,
    auth: &PeerAuth,
    peer: ServerId,
    plane: Plane,
) -> std::io::Result<(PeerStream, Option<socket2::Socket>)> {
    let s = TcpStream::connect(addr).await?;
    let _ = s.set_nodelay(true);
    super::keepalive(&s);
    let probe = if plane == Plane::Election {
        probe_of(&s)
    } else {
        None
    };
    let at = s.peer_addr().ok();
    let mut s: PeerStream = match auth.tls() {
        None => Box::new(s),
        Some(tls) => match tls.connect(addr, s).await {
            Ok(s) => Box::new(s),
            Err(e) => {
                auth.log_refusal(at, &e);
                return Err(e);
            }
        },
    };
    if let Err(e) = auth.connect(&mut s, peer, plane).await {
        auth.log_refusal(at, &e);
        return Err(std::io::Error::other(e.to_string()));
    }
    Ok((s, probe))
}

#[cfg(test)]
mod tests;
