//! The core's side of the peer links: packets are framed into one outbox per link while a
//! batch of events runs, and each outbox is handed to its link task as one command.

use super::links::{self, Envelope, LinkCmd, Plane};
use super::Core;
use crate::replica::{Input, Packet, PeerMsg, ServerId};
use std::sync::Arc;
use tokio::sync::mpsc;

impl Core {
    /// Frames a message for `to` into that link's outbox; `flush_links` hands each outbox to
    /// its link as one command, so a batch of events wakes each link task once.
    pub(in crate::server) fn send(&mut self, to: ServerId, envelope: Envelope) {
        let envelope = match envelope {
            Envelope::Replica(PeerMsg::Quorum(Packet::Snap { zxid, snapshot }), id) => {
                // Streamed by the link, serialized on its way (`links::snap_stream`).
                let head = links::encode(&Envelope::SnapBegin { zxid, id });
                let snap = links::SnapSend {
                    head,
                    data: snapshot,
                    pace: self.info.snap_pace,
                };
                return self.control(to, Plane::Quorum, LinkCmd::Snap(Box::new(snap)));
            }
            other => other,
        };
        let plane = match &envelope {
            Envelope::Replica(msg, _) => msg.plane(),
            _ => Plane::Quorum,
        };
        let out = self.outbox.entry((to, plane)).or_default();
        if plane == Plane::Election {
            // Only the newest notification to a peer is worth sending.
            out.clear();
        }
        let before = out.len();
        links::encode_into(out, &envelope);
        let framed = out.len() - before;
        if let Envelope::Replica(PeerMsg::Quorum(Packet::Proposal(_)), _) = envelope {
            self.proposal_sizes.record(framed);
        }
    }

    /// Hands every link what was framed for it since the last flush, and every client its
    /// replies.
    pub(in crate::server) fn flush_links(&mut self) {
        self.clients.flush();
        let ready: Vec<((ServerId, Plane), Vec<u8>)> = self
            .outbox
            .iter_mut()
            .filter(|(_, b)| !b.is_empty())
            .map(|(k, b)| (*k, std::mem::take(b)))
            .collect();
        for ((peer, plane), bytes) in ready {
            self.link_cmd(peer, plane, LinkCmd::Send(bytes));
        }
    }

    /// A control command for a link: what was framed for it before goes first.
    pub(super) fn control(&mut self, peer: ServerId, plane: Plane, cmd: LinkCmd) {
        if let Some(bytes) = self.outbox.get_mut(&(peer, plane)).map(std::mem::take) {
            if !bytes.is_empty() {
                self.link_cmd(peer, plane, LinkCmd::Send(bytes));
            }
        }
        self.link_cmd(peer, plane, cmd);
    }

    /// Queues a command for a link, starting its task on first use. A full quorum queue is a
    /// peer that cannot keep up: the link is replaced (its connection closes, so the peer
    /// notices) and the replica hears of the break; a full election queue drops the message,
    /// which election tolerates.
    pub(super) fn link_cmd(&mut self, peer: ServerId, plane: Plane, cmd: LinkCmd) {
        if !self.links.contains_key(&(peer, plane)) {
            let Some(ports) = self.peers.get(&peer) else {
                return;
            };
            let addr = match plane {
                Plane::Election => ports.election.clone(),
                Plane::Quorum => ports.quorum.clone(),
            };
            let to = links::Target {
                auth: Arc::clone(&self.info.peer_auth),
                peer,
                plane,
                addr,
            };
            let link = links::Link::spawn(&self.rt, to, self.events.clone());
            self.links.insert((peer, plane), link);
        }
        let link = &self.links[&(peer, plane)];
        if let Err(mpsc::error::TrySendError::Full(_)) = link.try_send(cmd) {
            tracing::warn!(peer, ?plane, "link queue full");
            if plane == Plane::Quorum {
                // Dropping the link stops its task: nothing it still holds is sent.
                self.links.remove(&(peer, plane));
                self.inputs.push_back((Input::Disconnected { peer }, None));
            }
        }
    }
}
