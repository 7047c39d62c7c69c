//! What the core takes from peers. Links are authenticated before they reach here
//! (`links::peer_auth`); on top of that, a leader binds each learner to the connection its
//! FOLLOWERINFO came on, as ZooKeeper binds a learner to its `LearnerHandler`'s socket:
//! another connection claiming the same id can neither send packets in the learner's name
//! (a forwarded write, a touch, an ACK) nor, by closing, make the leader drop the learner.
//! Only a FOLLOWERINFO moves the binding: it starts the learner's handshake anew on its
//! connection, as ZooKeeper's new `LearnerHandler` does, and ends the old handler.

use super::super::links::{Envelope, LinkCmd, LinkEvent, Plane};
use super::Core;
use crate::replica::{Input, Packet, PeerMsg, ServerId, ServerState};
use crate::storage::StorageError;
use std::collections::HashMap;

impl Core {
    pub(super) fn on_link(&mut self, ev: LinkEvent) -> Result<(), StorageError> {
        match ev {
            LinkEvent::Message {
                from,
                plane,
                generation,
                envelope,
            } => {
                if plane == Plane::Quorum {
                    let follower_info = matches!(
                        envelope,
                        Envelope::Replica(PeerMsg::Quorum(Packet::FollowerInfo { .. }), _)
                    );
                    let leading = self.state == ServerState::Leading;
                    match admit(
                        &mut self.learner_conns,
                        leading,
                        from,
                        generation,
                        follower_info,
                    ) {
                        Admission::Counts => {}
                        Admission::Dropped => {
                            tracing::debug!(
                                peer = from,
                                generation,
                                "packet off the learner's connection"
                            );
                            return Ok(());
                        }
                        Admission::Rebinds => {
                            // ZooKeeper starts a new LearnerHandler; the old connection's end
                            // may come later or never (a lost FIN), and its handler would
                            // otherwise swallow this FOLLOWERINFO and keep the learner in
                            // discovery for ever, its PINGs keeping it from timing out.
                            tracing::info!(
                                peer = from,
                                generation,
                                "FOLLOWERINFO on a new connection: the learner's old one is over"
                            );
                            self.step(Input::Disconnected { peer: from })?;
                        }
                    }
                }
                self.on_envelope(from, envelope)
            }
            LinkEvent::Opened { peer, generation } => {
                self.inbound.insert(peer, generation);
                Ok(())
            }
            LinkEvent::Closed { peer, generation } => {
                // A stale connection's end says nothing about the current one; a leader's
                // current one for a learner is the one it synced on.
                let current = match self.learner_conns.get(&peer) {
                    Some(&bound) => bound == generation,
                    None => self.inbound.get(&peer) == Some(&generation),
                };
                if !current {
                    return Ok(());
                }
                self.learner_conns.remove(&peer);
                self.step(Input::Disconnected { peer })
            }
            LinkEvent::Streaming { from, generation } => {
                if self.inbound.get(&from) != Some(&generation) {
                    return Ok(());
                }
                self.step(Input::Heard { peer: from })
            }
            LinkEvent::Broken { peer } => {
                // Reset first: it follows everything sent before the replica knew.
                self.control(peer, Plane::Quorum, LinkCmd::Reset);
                self.step(Input::Disconnected { peer })
            }
        }
    }

    fn on_envelope(&mut self, from: ServerId, envelope: Envelope) -> Result<(), StorageError> {
        match envelope {
            Envelope::Replica(PeerMsg::Quorum(Packet::Request(mut r)), id) => {
                r.body = self.owned_write(r.session_id, from, r.body);
                let msg = PeerMsg::Quorum(Packet::Request(r));
                self.step_received(Input::Peer { from, msg }, id)
            }
            Envelope::Replica(msg, id) => self.step_received(Input::Peer { from, msg }, id),
            // Touches, owners and `sync` markers are a learner's, once it serves: from any
            // other peer they would keep sessions alive, move them or probe the leader.
            Envelope::Touch(_) | Envelope::SyncRequest { .. } | Envelope::SetOwner { .. }
                if !self.replica.leads_in_broadcast(from) =>
            {
                tracing::debug!(
                    peer = from,
                    "touch, owner or sync from a peer not in broadcast"
                );
                Ok(())
            }
            Envelope::SetOwner { session } => {
                super::owners::set_owner(&mut self.owners, self.tracker.as_ref(), session, from);
                Ok(())
            }
            Envelope::Touch(ids) => {
                self.touch_all(&ids);
                Ok(())
            }
            Envelope::SyncRequest { token } => {
                // What the leader has proposed so far: the learner's `sync` waits for it.
                let zxid = self.replica.last_logged();
                self.send(from, Envelope::SyncReply { token, zxid });
                Ok(())
            }
            Envelope::SyncReply { token, zxid } => {
                if !self.resume_reply(token, zxid) {
                    self.clients.sync_reply(token, zxid);
                    self.drain_syncs();
                }
                Ok(())
            }
            // The inbound link turns a streamed SNAP into its packet; none arrives as such.
            Envelope::SnapBegin { .. } => Ok(()),
        }
    }
}

/// What a leader does with a quorum-plane envelope from a learner's connection.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    /// It counts.
    Counts,
    /// It came on a connection other than the one the learner is bound to.
    Dropped,
    /// A FOLLOWERINFO on a new connection: the learner is bound to it, and its handler on the
    /// old one is over (the replica must hear of that first).
    Rebinds,
}

/// A leader takes a FOLLOWERINFO from any connection (it starts a learner's handshake and
/// binds the learner to that connection, in `bound`), and anything else from a learner only
/// on the connection it is bound to. Not leading, everything counts.
fn admit(
    bound: &mut HashMap<ServerId, u64>,
    leading: bool,
    from: ServerId,
    generation: u64,
    follower_info: bool,
) -> Admission {
    if !leading {
        return Admission::Counts;
    }
    if follower_info {
        // Generations only grow: a FOLLOWERINFO from an older connection than the bound one
        // is a late packet of a connection the learner has left, not a new handshake.
        return match bound.get(&from).copied() {
            Some(old) if generation < old => Admission::Dropped,
            Some(old) if generation > old => {
                bound.insert(from, generation);
                Admission::Rebinds
            }
            Some(_) => Admission::Counts,
            None => {
                bound.insert(from, generation);
                Admission::Counts
            }
        };
    }
    if bound.get(&from).is_none_or(|&b| b == generation) {
        Admission::Counts
    } else {
        Admission::Dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_followerinfo_on_a_new_connection_ends_the_learners_old_handler() {
        let mut bound = HashMap::new();
        assert_eq!(admit(&mut bound, true, 2, 1, true), Admission::Counts);
        assert_eq!(admit(&mut bound, true, 2, 1, false), Admission::Counts);
        assert_eq!(
            admit(&mut bound, true, 2, 1, true),
            Admission::Counts,
            "same one"
        );
        assert_eq!(admit(&mut bound, true, 2, 5, true), Admission::Rebinds);
        assert_eq!(admit(&mut bound, true, 2, 1, false), Admission::Dropped);
        // A late FOLLOWERINFO of the old connection neither rebinds nor ends the new one.
        assert_eq!(admit(&mut bound, true, 2, 1, true), Admission::Dropped);
        assert_eq!(admit(&mut bound, true, 2, 5, false), Admission::Counts);
        assert_eq!(
            admit(&mut bound, true, 3, 9, false),
            Admission::Counts,
            "unbound"
        );
        assert_eq!(admit(&mut bound, false, 2, 1, false), Admission::Counts);
    }
}
