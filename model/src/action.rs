//! The model's actions: one variant per disjunct of the protocol's next-state relation.

use crate::msg::{Msg, Notification, Plane};
use crate::sync::NlStep;
use crate::types::{sid_name, Mask, Sid, Zxid};
use std::fmt;

/// A step of the model: one action of a server, of the network or of the environment, with the
/// servers and packet it involves (so that a trace reads as a message sequence).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    // ---- election, oracle grain ----
    /// A quorum of LOOKING voters agrees on `leader`, a member with the highest
    /// (currentEpoch, last zxid); every member leaves the election at once.
    Elect {
        /// The elected member: it has the highest (currentEpoch, last zxid) in `quorum`.
        leader: Sid,
        /// The minimal quorum of LOOKING voters that elects it (the leader included).
        quorum: Mask,
    },
    /// A LOOKING server learns that `leader` leads and joins it.
    Join {
        /// The LOOKING server that joins.
        server: Sid,
        /// The server it joins, which is LEADING.
        leader: Sid,
    },

    // ---- election, Fast Leader Election grain ----
    /// `from`'s notification reaches `to` (WorkerReceiver + one turn of lookForLeader).
    Notify {
        /// The sender of the notification.
        from: Sid,
        /// The receiver, which processes it.
        to: Sid,
        /// The notification read: the sender's vote, state and round.
        n: Notification,
    },
    /// finalizeWait elapsed: a LOOKING server whose proposal has a quorum decides.
    Decide(Sid),
    /// notTimeout elapsed with nothing received: a LOOKING server re-sends its vote.
    Resend(Sid),

    // ---- discovery / synchronization / broadcast ----
    /// A learner opens its quorum connection to the leader it elected and sends
    /// FOLLOWERINFO (or OBSERVERINFO).
    Connect(Sid),
    /// `from`'s quorum packet reaches `to`.
    Deliver {
        /// The sender of the packet.
        from: Sid,
        /// The receiver; the packet and the receiver's role choose its handler.
        to: Sid,
        /// The packet read (the head of the link's FIFO queue).
        msg: Msg,
    },
    /// The leader's handler for `learner` runs syncFollower: DIFF, TRUNC or SNAP, the
    /// packets, NEWLEADER.
    SyncLearner {
        /// The leader, past discovery.
        leader: Sid,
        /// The learner whose ACKEPOCH the handler holds.
        learner: Sid,
        /// Whether the learner gets SNAP rather than DIFF or TRUNC from the log
        /// (`sync::routes` says when each is open).
        snapshot: bool,
    },
    /// A follower takes the next step of its NEWLEADER handling (named for readers; the state
    /// determines it).
    NewLeaderStep(Sid, NlStep),
    /// A server's SyncRequestProcessor appends and fsyncs the head of its queue (this zxid),
    /// then ACKs it.
    SyncFlush(Sid, Zxid),
    /// A client submits a write at this server (the leader proposes it; a learner forwards
    /// it).
    ClientRequest(Sid),
    /// A client opens a linearizable read at this server: it asks its leader for the read
    /// index (a leader queues it for its next quorum round).
    ReadStart(Sid),
    /// The server answers its open read: the leader confirmed the read index and the server
    /// has applied up to it.
    ReadServe(Sid),

    // ---- protocol timeouts ----
    /// A learner gives up on its leader (connection closed, leader unreachable, or the
    /// server it elected follows someone else) and returns to LOOKING.
    LearnerTimeout(Sid),
    /// A leader cannot assemble or keep a quorum (initLimit / syncLimit) and returns to
    /// LOOKING.
    LeaderTimeout(Sid),

    // ---- faults ----
    /// A leader's initLimit or syncLimit expires while its quorum could still form or keep up
    /// (peers slower than the limit: a long GC pause, a slow disk, a congested network). It
    /// returns to LOOKING as in `LeaderTimeout`, spending the premature-timeout budget. A
    /// learner's premature timeout needs no action of its own: it is a `Lose` of its
    /// connection followed by `LearnerTimeout`.
    PrematureTimeout(Sid),
    /// A server crashes (budgeted): it keeps only acceptedEpoch, currentEpoch and its log, and its
    /// connections and in-flight messages are gone.
    Crash(Sid),
    /// A crashed server starts again from disk (free): it reloads its log and enters LOOKING.
    Restart(Sid),
    /// Cut the servers in the mask off from the rest.
    Partition(Mask),
    /// The partition ends (free); connections broken by it stay broken.
    Heal,
    /// Lose a message: on the election plane the newest notification of the link is dropped
    /// (the waiting one, else the last one in TCP); on the quorum plane the TCP connection
    /// breaks (also with nothing in flight: a learner's open connection).
    Lose {
        /// The sender side of the link.
        from: Sid,
        /// The receiver side of the link.
        to: Sid,
        /// Election plane (drop a notification) or quorum plane (break the connection).
        plane: Plane,
    },
    /// `from`'s SendWorker writes the notification waiting for `to` to TCP before `to` read
    /// it: a newer notification now queues behind it instead of replacing it, and `to` will
    /// read both, the older first.
    Transmit {
        /// The server whose SendWorker writes the notification.
        from: Sid,
        /// The server the notification is for.
        to: Sid,
    },
}

impl Action {
    /// Whether the environment takes this step (faults and client requests): such steps
    /// are bounded by budgets and are not subject to fairness.
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            Action::Crash(_)
                | Action::Restart(_)
                | Action::Partition(_)
                | Action::Heal
                | Action::Lose { .. }
                | Action::Transmit { .. }
                | Action::PrematureTimeout(_)
                | Action::ClientRequest(_)
                | Action::ReadStart(_)
        )
    }

    /// The server that takes the step (the receiver for deliveries).
    pub fn actor(&self) -> Option<Sid> {
        match *self {
            Action::Elect { leader, .. } => Some(leader),
            Action::Join { server, .. } => Some(server),
            Action::Notify { to, .. } | Action::Deliver { to, .. } => Some(to),
            Action::Decide(s)
            | Action::Resend(s)
            | Action::Connect(s)
            | Action::NewLeaderStep(s, _)
            | Action::SyncFlush(s, _)
            | Action::ClientRequest(s)
            | Action::ReadStart(s)
            | Action::ReadServe(s)
            | Action::LearnerTimeout(s)
            | Action::LeaderTimeout(s)
            | Action::PrematureTimeout(s)
            | Action::Crash(s)
            | Action::Restart(s) => Some(s),
            Action::SyncLearner { leader, .. } => Some(leader),
            Action::Lose { to, .. } => Some(to),
            Action::Transmit { from, .. } => Some(from),
            Action::Partition(_) | Action::Heal => None,
        }
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = sid_name;
        match *self {
            Action::Elect { leader, quorum } => {
                write!(f, "Elect {} by {:?}", n(leader), quorum)
            }
            Action::Join { server, leader } => write!(f, "{} joins {}", n(server), n(leader)),
            Action::Notify { from, to, n: note } => {
                write!(f, "{} → {}: {:?}", n(from), n(to), note)
            }
            Action::Decide(s) => write!(f, "{} decides", n(s)),
            Action::Resend(s) => write!(f, "{} re-sends its vote", n(s)),
            Action::Connect(s) => write!(f, "{} connects to its leader", n(s)),
            Action::Deliver { from, to, msg } => write!(f, "{} → {}: {:?}", n(from), n(to), msg),
            Action::SyncLearner {
                leader,
                learner,
                snapshot,
            } => write!(
                f,
                "{} syncs {}{}",
                n(leader),
                n(learner),
                if snapshot { " by snapshot" } else { "" }
            ),
            Action::NewLeaderStep(s, step) => write!(
                f,
                "{} NEWLEADER: {}",
                n(s),
                match step {
                    NlStep::Log(crate::sync::Persist::Sync) => "log synced txns, fsync",
                    NlStep::Log(crate::sync::Persist::Async) => "hand synced txns to sync thread",
                    NlStep::Log(crate::sync::Persist::Skip) => "snapshot if needed, log nothing",
                    NlStep::SetEpoch => "write currentEpoch",
                    NlStep::Ack => "send ACK",
                }
            ),
            Action::SyncFlush(s, z) => write!(f, "{} fsyncs {:?}", n(s), z),
            Action::ClientRequest(s) => write!(f, "client write at {}", n(s)),
            Action::ReadStart(s) => write!(f, "client linearizable read at {}", n(s)),
            Action::ReadServe(s) => write!(f, "{} answers the read", n(s)),
            Action::LearnerTimeout(s) => write!(f, "{} gives up on its leader", n(s)),
            Action::LeaderTimeout(s) => write!(f, "{} loses its quorum", n(s)),
            Action::PrematureTimeout(s) => {
                write!(f, "{} gives up on its quorum too early (slow peers)", n(s))
            }
            Action::Crash(s) => write!(f, "{} crashes", n(s)),
            Action::Restart(s) => write!(f, "{} restarts", n(s)),
            Action::Partition(m) => write!(f, "partition {:?} | rest", m),
            Action::Heal => write!(f, "heal the partition"),
            Action::Lose { from, to, plane } => {
                write!(f, "lose {} → {} ({:?})", n(from), n(to), plane)
            }
            Action::Transmit { from, to } => {
                write!(
                    f,
                    "{} → {}: the waiting notification goes into TCP",
                    n(from),
                    n(to)
                )
            }
        }
    }
}
