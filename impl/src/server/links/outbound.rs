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
    loop {
        // Connect lazily: wait for something to send first.
        let first = match rx.recv().await {
            None => return,
            Some(LinkCmd::Close | LinkCmd::Reset) => continue,
            Some(cmd) => cmd,
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
        let Some(mut stream) = stream else {
            continue;
        };
        backoff = Duration::from_millis(20);
        // Commands taken from the queue but not yet written: the first, and those the core
        // queued while a SNAP streamed.
        let mut held = VecDeque::from([first]);
        let mut ok = true;
        let mut batch = Vec::new();
        while ok {
            // One write for everything queued: under load the replica sends a packet per
            // proposal, ack and commit, and a syscall each would dominate.
            let mut next = match held.pop_front() {
                Some(cmd) => Some(cmd),
                None => match next_or_hangup(&mut rx, &mut stream).await {
                    Some(cmd) => cmd,
                    None => {
                        ok = false;
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

/// The next command, or `None` if the peer hung up first. A peer never writes on a
/// connection we opened once the handshake is done, so anything readable on it — its end
/// closing (a restarted or killed process), a reset, stray bytes — means the connection is
/// gone. Noticing that while idle matters: a write into a connection whose peer has died is
/// accepted by the kernel and lost, so a restarted peer's first answer would vanish and it
/// would wait for its own retry (notTimeout in an election, a ping period in discovery).
async fn next_or_hangup(
    rx: &mut mpsc::Receiver<LinkCmd>,
    stream: &mut PeerStream,
) -> Option<Option<LinkCmd>> {
    let mut probe = [0u8; 1];
    tokio::select! {
        cmd = rx.recv() => Some(cmd),
        _ = stream.read(&mut probe) => None,
    }
}

/// Connects to `addr` and runs the handshake as the connecting side. A peer that cannot
/// prove the secret is logged (at most once a second) and treated as one that cannot be
/// reached.
async fn open(
    addr: &str,
    auth: &PeerAuth,
    peer: ServerId,
    plane: Plane,
) -> std::io::Result<PeerStream> {
    let s = TcpStream::connect(addr).await?;
    let _ = s.set_nodelay(true);
    super::keepalive(&s);
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
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A link dropped while it still holds 64 MiB (the peer reads nothing, so the task waits
    /// on a full socket) sends none of the rest: its connection closes at once and no new
    /// one opens. Before, a replaced quorum link kept its task, which wrote its whole queue
    /// on, and would have reconnected to do so.
    /// Server 1's quorum link to a listener standing for server 2, and the link's events.
    fn quorum_link_to_two(
        rt: &tokio::runtime::Runtime,
    ) -> (
        Link,
        std::net::TcpListener,
        std::sync::mpsc::Receiver<Event>,
    ) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (events, heard) = std::sync::mpsc::channel();
        let to = Target {
            auth: Arc::new(PeerAuth::new(1, [1, 2], None)),
            peer: 2,
            plane: Plane::Quorum,
            addr,
        };
        (Link::spawn(rt.handle(), to, events), listener, heard)
    }

    /// Accepts the link's connection and runs server 2's side of the handshake, so the link
    /// goes on to write what it holds.
    fn accept_as_two(
        rt: &tokio::runtime::Runtime,
        listener: &std::net::TcpListener,
    ) -> std::net::TcpStream {
        let (peer, _) = listener.accept().unwrap();
        peer.set_nonblocking(true).unwrap();
        let two = PeerAuth::new(2, [1, 2], None);
        let peer = rt.block_on(async {
            let mut s = tokio::net::TcpStream::from_std(peer).unwrap();
            assert_eq!(two.accept(&mut s).await.unwrap(), (1, Plane::Quorum));
            s.into_std().unwrap()
        });
        peer.set_nonblocking(false).unwrap();
        peer
    }

    /// A peer that closes the connection (a killed or restarted server) is noticed while
    /// the link is idle: the break is reported at once, not after the next write, which the
    /// kernel would accept into the dead connection and lose. Before, a restarted follower
    /// waited 0.6 s for its election and as long again for its discovery, each time for its
    /// own retry after the first answer to it was lost that way.
    #[test]
    fn a_link_whose_peer_hangs_up_reports_the_break_while_idle() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (link, listener, heard) = quorum_link_to_two(&rt);
        link.try_send(LinkCmd::Send(vec![0, 0, 0, 1, 7])).unwrap();
        let mut peer = accept_as_two(&rt, &listener);
        let mut got = [0u8; 5];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(got, [0, 0, 0, 1, 7]);
        drop(peer);
        match heard.recv_timeout(Duration::from_secs(5)) {
            Ok(Event::Link(LinkEvent::Broken { peer: 2 })) => {}
            other => panic!("no break reported while idle: {other:?}"),
        }
        drop(link);
    }

    #[test]
    fn a_dropped_link_stops_at_once_and_sends_nothing_it_still_held() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (link, listener, _events) = quorum_link_to_two(&rt);
        let chunk = vec![7u8; 4 << 20];
        for _ in 0..16 {
            link.try_send(LinkCmd::Send(chunk.clone())).unwrap();
        }
        let mut peer = accept_as_two(&rt, &listener);
        std::thread::sleep(Duration::from_millis(200));
        drop(link);
        peer.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (mut got, mut buf) = (0, vec![0; 1 << 20]);
        loop {
            match peer.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        assert!(
            got < 16 * chunk.len(),
            "{got} bytes arrived: everything the link held"
        );
        listener.set_nonblocking(true).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            listener.accept().is_err(),
            "the dropped link connected again"
        );
    }
}
