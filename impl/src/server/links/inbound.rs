//! Inbound peer connections: the handshake (`peer_auth.rs`), then frames into the core.

use super::{
    max_frame, read_frame, snap_stream, Envelope, LinkEvent, PeerAuth, PeerStream, Restorer,
};
use crate::replica::{PeerMsg, Plane, ServerId};
use crate::server::core::{Event, EventTx};
use std::sync::Arc;
use tokio::io::BufReader;
use tokio::net::TcpStream;

/// Serves one accepted peer connection (`generation` orders a peer's connections, so the core
/// tells a newer one from an older), reading its hello, then its frames, into the core.
/// Only a connection whose handshake (`peer_auth.rs`) succeeds reaches the core. Which of a
/// peer's connections counts is the core's to say (`core/peers.rs`), so a second connection
/// claiming a learner's id ends nothing here; one whose peer vanished without a FIN is ended
/// by TCP keepalive (`super::keepalive`).
pub(in crate::server) async fn inbound(
    stream: TcpStream,
    generation: u64,
    events: EventTx,
    auth: Arc<PeerAuth>,
    restorer: Restorer,
) {
    let Some((from, plane, stream)) = handshake(stream, &auth).await else {
        return;
    };
    if plane == Plane::Quorum {
        let _ = events.send(Event::Link(LinkEvent::Opened {
            peer: from,
            generation,
        }));
    }
    let link = Inbound {
        from,
        plane,
        generation,
        events: &events,
        restorer: &restorer,
    };
    // Buffered: a batch of frames arrives in one read.
    let mut stream = BufReader::with_capacity(64 * 1024, stream);
    while let Some(envelope) = link.next_envelope(&mut stream).await {
        let message = LinkEvent::Message {
            from,
            plane,
            generation,
            envelope,
        };
        if events.send(Event::Link(message)).is_err() {
            return; // The core is gone.
        }
    }
    if plane == Plane::Quorum {
        let _ = events.send(Event::Link(LinkEvent::Closed {
            peer: from,
            generation,
        }));
    }
}

/// TLS if configured, then the hello: who the peer is and which plane this is.
async fn handshake(stream: TcpStream, auth: &PeerAuth) -> Option<(ServerId, Plane, PeerStream)> {
    let _ = stream.set_nodelay(true);
    super::keepalive(&stream);
    let addr = stream.peer_addr().ok();
    let Some(_slot) = auth.handshake_slot() else {
        auth.log_refusal(addr, &"too many peer connections in their handshake");
        return None;
    };
    let mut stream: PeerStream = match auth.tls() {
        None => Box::new(stream),
        Some(tls) => match crate::server::tls::accept(&tls.acceptor, stream).await {
            Ok(s) => Box::new(s),
            Err(why) => {
                auth.log_refusal(addr, &why);
                return None;
            }
        },
    };
    match auth.accept(&mut stream).await {
        Ok((from, plane)) => Some((from, plane, stream)),
        Err(e) => {
            auth.log_refusal(addr, &e);
            None
        }
    }
}

/// An authenticated inbound connection and where its envelopes go.
struct Inbound<'a> {
    from: ServerId,
    plane: Plane,
    generation: u64,
    events: &'a EventTx,
    restorer: &'a Restorer,
}

impl Inbound<'_> {
    /// The next envelope, a streamed SNAP received whole; `None` once the connection ends
    /// (logged unless the peer closed it or went away).
    async fn next_envelope(&self, stream: &mut BufReader<PeerStream>) -> Option<Envelope> {
        let (from, plane, generation) = (self.from, self.plane, self.generation);
        let body = match read_frame(stream, max_frame(plane)).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                tracing::warn!(peer = from, ?plane, "{e}; connection closed");
                return None;
            }
            Err(_) => return None,
        };
        let Ok(envelope) = crate::encoding::decode::<Envelope>(&body) else {
            tracing::warn!(peer = from, "malformed peer frame; connection closed");
            return None;
        };
        let Envelope::SnapBegin { zxid, id } = envelope else {
            return Some(envelope);
        };
        let started = std::time::Instant::now();
        let streaming = || {
            let _ = (self.events).send(Event::Link(LinkEvent::Streaming { from, generation }));
        };
        match snap_stream::receive(stream, self.restorer, streaming).await {
            Ok((snapshot, tally)) => {
                let ms = started.elapsed().as_millis();
                let (bytes, chunks) = (tally.bytes, tally.chunks);
                tracing::info!(peer = from, %zxid, bytes, chunks, ms, "SNAP received");
                let snap = crate::replica::Packet::Snap { zxid, snapshot };
                Some(Envelope::Replica(PeerMsg::Quorum(snap), id))
            }
            Err(why) => {
                tracing::warn!(peer = from, %zxid, "SNAP refused ({why}); connection closed");
                None
            }
        }
    }
}
