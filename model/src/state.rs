//! The model's state: every server's durable and volatile variables, the network, the
//! environment (partition, fault budgets) and the ghost variables the properties read.

pub use crate::ghost::{Ghost, Violation};
use crate::msg::Vote;
use crate::net::Net;
use crate::types::{Hist, Mask, Phase, ServerState, Sid, Zxid, MAX_TXNS};

/// The most servers (voters + observers) a configuration may have.
pub const MAX_SERVERS: usize = 7;

/// One server.
///
/// Durable fields survive a crash (ZooKeeper's `acceptedEpoch` and `currentEpoch` files and
/// its snapshot + transaction log, modelled as one sequence); everything else is lost.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Server {
    // ---- durable ----
    /// f.p in the paper: the epoch of the last LEADERINFO accepted.
    pub accepted_epoch: u8,
    /// f.a in the paper: the epoch of the last NEWLEADER accepted.
    pub current_epoch: u8,
    /// The transactions on disk.
    pub log: Hist,
    /// How many leading entries of `log` the newest snapshot holds: the rest are log records.
    pub log_snap: u8,

    // ---- volatile ----
    /// Whether the server is running: false from `Crash` until `Restart`.
    pub up: bool,
    /// LOOKING, FOLLOWING, LEADING or OBSERVING (`ServerState`).
    pub role: ServerState,
    /// The Zab phase: ELECTION, DISCOVERY, SYNCHRONIZATION or BROADCAST (`ZabState`).
    pub phase: Phase,
    /// The in-memory history: what the server has accepted, on disk or queued for disk. It is
    /// the log after a (re)load of the database.
    pub hist: Hist,
    /// How many leading entries of `hist` came in a snapshot (loaded at start, or received
    /// by SNAP): a leader has no log records for them, so a learner behind them can only be
    /// synchronized by SNAP.
    pub hist_snap: u8,
    /// Transactions handed to the SyncRequestProcessor and not yet on disk (the tail of
    /// `hist`, in order). Each is appended and fsynced by a `SyncThreadFlush` step, which
    /// then ACKs it.
    pub unsynced: Hist,
    /// How many leading entries of `unsynced` were left by a sync thread that survived a
    /// shutdown (ZOOKEEPER-4712): they reach the disk but belong to no live history.
    pub stale_unsynced: u8,
    /// How many entries of `hist` this server knows are committed and has applied: its
    /// delivered sequence in the paper's sense.
    pub committed: u8,
    /// The DataTree's lastProcessedZxid: what the server reports as its last zxid in votes and
    /// in ACKEPOCH. Normally the last entry of `hist` after a reload, or the last applied
    /// entry while running.
    pub last_processed: Zxid,
    /// The leader's bookkeeping, used while LEADING.
    pub leader: LeaderState,
    /// The learner's bookkeeping, used while FOLLOWING or OBSERVING.
    pub learner: LearnerState,
    /// This server's client's linearizable read (`zab.reads=linearizable`), if one is open.
    pub read: Read,
    /// Ghost: the last zxid of the committed sequence when the open read began; the read
    /// must see at least this much (`read_sees_committed`).
    pub read_floor: Zxid,
}

/// A linearizable read at one server, from the client's request to the answer: the server
/// asks the leader for its commit point (the read index), the leader confirms by a quorum
/// round that it still leads, and the server answers once it has applied up to that point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Read {
    /// No read open.
    #[default]
    Idle,
    /// Asked the leader (or, as leader, queued for the next quorum round).
    Asked,
    /// The leader confirmed this read index: answer once applied up to it.
    Ready(Zxid),
}

/// A leader's quorum round confirming that it still leads, for the reads waiting on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReadRound {
    /// The round's number within this leadership (CONFIRM carries it, so an answer to an
    /// older round does not count).
    pub round: u8,
    /// The leader's last committed zxid when the round began: the read index it confirms.
    pub index: Zxid,
    /// The servers whose reads wait on this round (the leader's own included).
    pub waiting: Mask,
    /// The voters that answered this round's CONFIRM (the leader included).
    pub acks: Mask,
}

/// A leader's bookkeeping (`Leader` and its `LearnerHandler`s).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LeaderState {
    /// The epoch it will propose: one more than the largest acceptedEpoch heard (`epoch` in
    /// `Leader.getEpochToPropose`).
    pub epoch: u8,
    /// `!waitingForNewEpoch`: a quorum sent FOLLOWERINFO and the epoch is fixed.
    pub epoch_fixed: bool,
    /// Voters counted toward the new epoch (`connectingFollowers`, includes the leader).
    pub connecting: Mask,
    /// Voters whose ACKEPOCH counted (`electingFollowers`, includes the leader).
    pub electing: Mask,
    /// `electionFinished`.
    pub epoch_acked: bool,
    /// Voters whose ACK of NEWLEADER counted (`newLeaderProposal` ack set).
    pub newleader_acks: Mask,
    /// `quorumFormed` for NEWLEADER: the leader is established and broadcasting.
    pub established: bool,
    /// Per learner: how far its LearnerHandler got.
    pub handler: [Handler; MAX_SERVERS],
    /// The last zxid each learner reported in ACKEPOCH (used by syncFollower).
    pub peer_last: [Zxid; MAX_SERVERS],
    /// Per entry of the leader's history: the voters that ACKed it (outstanding proposals).
    pub acks: [Mask; MAX_TXNS],
    /// Servers whose read-index requests wait for the next quorum round.
    pub read_queue: Mask,
    /// The quorum round in progress, if any (one at a time; requests queue behind it).
    pub read_round: Option<ReadRound>,
    /// Quorum rounds started in this leadership (the next round's number).
    pub read_rounds: u8,
}

impl LeaderState {
    /// Learners with a live handler whose sync is done: they receive new proposals
    /// (`forwardingFollowers` / observingLearners).
    pub fn forwarding(&self) -> Mask {
        let mut m = Mask::EMPTY;
        for (s, h) in self.handler.iter().enumerate() {
            if h.is_forwarding() {
                m = m.with(s as Sid);
            }
        }
        m
    }

    /// Learners with a live handler at any stage.
    pub fn learners(&self) -> Mask {
        let mut m = Mask::EMPTY;
        for (s, h) in self.handler.iter().enumerate() {
            if *h != Handler::None {
                m = m.with(s as Sid);
            }
        }
        m
    }
}

/// The stages of a `LearnerHandler` (one per connected learner) in `LearnerHandler.run`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Handler {
    /// No connection from this learner.
    #[default]
    None,
    /// Connected; waiting for FOLLOWERINFO.
    Connected,
    /// FOLLOWERINFO read; blocked in getEpochToPropose until a quorum connects.
    AwaitEpoch,
    /// LEADERINFO sent; waiting for ACKEPOCH.
    AwaitAckEpoch,
    /// ACKEPOCH read; blocked in waitForEpochAck until a quorum acked, then syncFollower.
    AwaitSync,
    /// Sync packets and NEWLEADER queued; waiting for the ACK of NEWLEADER.
    AwaitNewLeaderAck,
    /// NEWLEADER acked; blocked in waitForNewLeaderAck until a quorum acked.
    AwaitQuorum,
    /// UPTODATE sent; the learner is in broadcast.
    Broadcast,
}

impl Handler {
    /// Whether the leader forwards new proposals to this learner: from syncFollower on
    /// (`startForwarding` runs at the end of syncFollower).
    pub fn is_forwarding(self) -> bool {
        matches!(
            self,
            Handler::AwaitNewLeaderAck | Handler::AwaitQuorum | Handler::Broadcast
        )
    }
}

/// How the leader synchronized this learner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SyncMode {
    /// Not synchronized yet: no DIFF, TRUNC or SNAP received from this leader.
    #[default]
    None,
    /// DIFF: the learner keeps its history and receives the entries it lacks.
    Diff,
    /// TRUNC: the learner cut its log back to the leader's and reloaded its database.
    Trunc,
    /// SNAP: the learner's database was replaced by the leader's snapshot.
    Snap,
}

/// The state of a learner's quorum connection to its leader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Conn {
    /// Not connected yet (just decided to follow).
    #[default]
    NotYet,
    /// Connected: FOLLOWERINFO (or OBSERVERINFO) sent; packets flow both ways.
    Open,
    /// The connection broke (peer crashed, partition, loss, leader shut down); the learner
    /// has not noticed yet.
    Closed,
}

/// A learner's (follower's or observer's) bookkeeping (`Learner`, `Follower`, `Observer`).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LearnerState {
    /// The leader it follows (from the election).
    pub leader: Option<Sid>,
    /// The state of its quorum connection to `leader`.
    pub conn: Conn,
    /// How the leader is synchronizing it (DIFF, TRUNC, SNAP), once the first sync packet came.
    pub sync_mode: SyncMode,
    /// NEWLEADER received: the epoch it carried. Its handling is split into steps.
    pub newleader: Option<u8>,
    /// NEWLEADER handling steps done, in the order of `NewLeaderStep` for this bug setting.
    pub nl_steps: u8,
    /// `packetsNotLogged`: proposals received during sync, not yet logged.
    pub pnl: Hist,
    /// `packetsCommitted`: zxids committed during sync, not yet applied (values are 0).
    pub pc: Hist,
    /// How many entries of the history the leader declared committed during sync (the DIFF
    /// base, TRUNC point or snapshot, then each applied PROPOSAL/COMMIT pair). They are
    /// delivered at UPTODATE, when the leader is known to be established (COMMIT-LD in the
    /// paper).
    pub synced: u8,
}

/// Fast Leader Election state of one server (`FastLeaderElection` + `QuorumPeer` vote).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fle {
    /// `logicalclock`.
    pub round: u8,
    /// The current proposal while LOOKING; the elected vote afterwards.
    pub vote: Vote,
    /// The round in which the current vote was decided (`electionEpoch` of the vote).
    pub vote_round: u8,
    /// `recvset`: votes received in this round, per voter.
    pub recv: [Option<Ballot>; MAX_SERVERS],
    /// `outofelection`: votes of servers that already decided, per voter.
    pub ooe: [Option<Ballot>; MAX_SERVERS],
    /// In the finalizeWait drain: processing a LOOKING notification left the proposal with a
    /// quorum, and no better vote has arrived since.
    pub draining: bool,
}

/// A vote as recorded in a vote box.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ballot {
    /// The vote the notification carried.
    pub vote: Vote,
    /// The round the notification carried: the sender's logical clock, or, for a sender that had
    /// decided, the round it decided in.
    pub round: u8,
    /// The sender's state (LOOKING, FOLLOWING, LEADING, OBSERVING) when it sent the vote.
    pub state: ServerState,
}

/// Fault budgets used so far and the current partition.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Env {
    /// Crashes so far (budget `Config::crashes`).
    pub crashes: u8,
    /// Partitions so far (budget `Config::partitions`).
    pub partitions: u8,
    /// Losses so far: notifications dropped, quorum connections broken (budget `Config::losses`).
    pub losses: u8,
    /// Election notifications written to TCP before their receiver read them (`Transmit`).
    pub transmits: u8,
    /// Premature leader timeouts so far (budget `Config::premature_timeouts`).
    pub premature_timeouts: u8,
    /// The servers on one side of the current partition (empty: no partition).
    pub partition: Mask,
}

impl Env {
    /// Whether `a` and `b` can talk (both on the same side of any partition).
    pub fn connected(&self, a: Sid, b: Sid) -> bool {
        self.partition.contains(a) == self.partition.contains(b)
    }
}

/// The whole model state.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State {
    /// Every server, voters first, then observers; indexed by `Sid`.
    pub servers: Vec<Server>,
    /// Fast Leader Election state per server (empty with the oracle election).
    pub fle: Vec<Fle>,
    /// Every message in flight on both planes.
    pub net: Net,
    /// Fault budgets used and the current partition.
    pub env: Env,
    /// Ghost variables: read only by properties.
    pub ghost: Ghost,
}

impl Server {
    /// A server at first start: empty disk, LOOKING.
    pub fn fresh() -> Server {
        Server {
            accepted_epoch: 0,
            current_epoch: 0,
            log: Hist::EMPTY,
            log_snap: 0,
            up: true,
            role: ServerState::Looking,
            phase: Phase::Election,
            hist: Hist::EMPTY,
            hist_snap: 0,
            unsynced: Hist::EMPTY,
            stale_unsynced: 0,
            committed: 0,
            last_processed: Zxid::ZERO,
            leader: LeaderState::default(),
            learner: LearnerState::default(),
            read: Read::Idle,
            read_floor: Zxid::ZERO,
        }
    }

    /// The delivered sequence: the committed prefix of the in-memory history.
    pub fn delivered(&self) -> Hist {
        self.hist.prefix(self.committed as usize)
    }

    /// Established leader in broadcast.
    pub fn is_established_leader(&self) -> bool {
        self.up && self.role == ServerState::Leading && self.phase == Phase::Broadcast
    }
}

impl State {
    /// The state of server `s`.
    pub fn server(&self, s: Sid) -> &Server {
        &self.servers[s as usize]
    }
    /// The state of server `s`, for an action to change.
    pub fn server_mut(&mut self, s: Sid) -> &mut Server {
        &mut self.servers[s as usize]
    }
    /// Number of servers, voters and observers.
    pub fn n(&self) -> usize {
        self.servers.len()
    }
    /// Every server id, voters first.
    pub fn ids(&self) -> impl Iterator<Item = Sid> {
        0..self.servers.len() as Sid
    }
    /// Whether `a` can reach `b`: both up and on the same side of the partition.
    pub fn reachable(&self, a: Sid, b: Sid) -> bool {
        self.server(a).up && self.server(b).up && self.env.connected(a, b)
    }
}
