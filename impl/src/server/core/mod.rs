//! The server's core: one thread that owns the replica, its disk and every piece of client
//! state, and takes events in arrival order (peer messages, client packets, ticks). Outputs
//! run in the order the replica emits them; disk outputs through `storage::driver`, so a
//! `Persist` before a `Send` is an fsync barrier. Asynchronous appends are synced once per
//! batch of events (group commit), then reported back as `Input::Fsynced`.

use super::clients::Clients;
use super::links::{self, Plane};
use super::trace::{MsgId, SendNumbers};
use crate::database::ZkDatabase;
use crate::replica::{Input, Output, Replica, ServerId, ServerState};
use crate::session::SessionTracker;
use crate::storage::{FileStorage, StorageError};
use crate::zxid::Zxid;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod event;
mod outbox;
mod owners;
mod peers;
mod sessions;
mod steps;

pub use event::Event;

/// A client connection's id, counted from 1 by the client port's accept loop; it is also the
/// connection's `WatcherId`.
pub type ConnId = i64;
/// The sending end of the core's event queue: every tokio task feeds the core through it.
pub type EventTx = Sender<Event>;

/// The replica's clock: one tick every 100 ms (its limits are scaled from tickTime).
pub const REPLICA_TICK: Duration = Duration::from_millis(100);

/// Where each peer listens.
#[derive(Clone, Debug)]
pub struct PeerPorts {
    /// `host:quorumPort` from the peer's `server.N` line (Zab packets).
    pub quorum: String,
    /// `host:electionPort` from the peer's `server.N` line (election notifications).
    pub election: String,
}

/// The core thread's state: the replica, its storage, the links to peers, every client and
/// the leader's session tracker. Only the core thread touches it.
pub struct Core {
    pub(super) replica: Replica<ZkDatabase>,
    pub(super) storage: FileStorage,
    /// The last zxid handed to the log without a sync yet.
    unsynced: Option<Zxid>,
    /// Whether a batch's fsync runs on the log's sync thread.
    syncing: bool,
    /// Inputs raised while executing outputs (a link found full, say), run next, each with
    /// the identity of the peer message it reads.
    inputs: VecDeque<(Input, Option<MsgId>)>,
    /// Numbers the replica's messages to each peer (`trace::MsgId`).
    sends: SendNumbers,
    pub(super) peers: HashMap<ServerId, PeerPorts>,
    links: HashMap<(ServerId, Plane), links::Link>,
    /// Frames for each link not handed to it yet (`flush_links`).
    outbox: HashMap<(ServerId, Plane), Vec<u8>>,
    /// Each peer's latest inbound quorum connection (its generation).
    inbound: HashMap<ServerId, u64>,
    /// While leading: the inbound connection each learner sent its FOLLOWERINFO on. Its
    /// later packets count only from that connection (`peers.rs`).
    learner_conns: HashMap<ServerId, u64>,
    pub(super) events: EventTx,
    rt: tokio::runtime::Handle,
    pub(super) clients: Clients,
    /// The leader's session expiry, rebuilt whenever this server starts leading.
    pub(super) tracker: Option<SessionTracker>,
    /// While leading: the server each session's client is connected to (`owners.rs`).
    pub(in crate::server) owners: HashMap<i64, ServerId>,
    /// A learner's sessions with activity since its last touch to the leader.
    pub(super) touched: HashSet<i64>,
    pub(super) state: ServerState,
    pub(super) leader: Option<ServerId>,
    pub(super) started: Instant,
    /// Client request latency (`srvr`, `mntr`, the metrics endpoint).
    pub(in crate::server) latency: super::stats::Latency,
    /// How long elections took (`election_time`).
    pub(in crate::server) elections: super::stats::Elections,
    /// The sizes of the proposals this server sent as leader (`proposal_stats`).
    pub(in crate::server) proposal_sizes: super::stats::Sizes,
    pub(super) info: super::Info,
    /// When autopurge runs next (`None`: at the first tick).
    pub(super) next_purge: Option<Instant>,
    /// A purge's snapshot check is running on its own thread (`purge.rs`).
    pub(super) purging: bool,
    /// Handshakes resuming a session this learner does not know, waiting to catch up with
    /// the leader, by the token of the leader's answer (`revalidate.rs`).
    pub(super) resumes: HashMap<u64, super::revalidate::PendingResume>,
    /// The periodic snapshot being written on its own thread (`snapshots.rs`).
    pub(super) snapshot_job: Option<super::snapshots::SnapshotJob>,
    /// Compaction of the in-memory states while the server idles (`compaction.rs`).
    pub(super) compaction: super::compaction::Compaction,
    /// When a serving leader next looks for empty containers (`containers.rs`).
    pub(super) next_container_check: Option<Instant>,
    /// Where every replica step is recorded (`zab.traceDir`).
    recorder: Option<super::trace::Recorder>,
}

impl Core {
    /// A core around a started replica; runs `first`, the outputs `Replica::new` returned
    /// (a disk failure there is the error). `peers` holds the other servers' ports.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        replica: Replica<ZkDatabase>,
        first: Vec<Output<crate::data_tree::ApplyOutcome>>,
        mut storage: FileStorage,
        peers: HashMap<ServerId, PeerPorts>,
        events: EventTx,
        rt: tokio::runtime::Handle,
        clients: Clients,
        info: super::Info,
        recorder: Option<super::trace::Recorder>,
    ) -> Result<Core, StorageError> {
        let wake = events.clone();
        storage.set_sync_waker(Arc::new(move || {
            let _ = wake.send(Event::LogSynced);
        }));
        let mut core = Core {
            replica,
            storage,
            unsynced: None,
            syncing: false,
            inputs: VecDeque::new(),
            sends: SendNumbers::new(info.life),
            peers,
            links: HashMap::new(),
            outbox: HashMap::new(),
            inbound: HashMap::new(),
            learner_conns: HashMap::new(),
            owners: HashMap::new(),
            events,
            rt,
            clients,
            tracker: None,
            touched: HashSet::new(),
            state: ServerState::Looking,
            leader: None,
            started: Instant::now(),
            latency: Default::default(),
            elections: Default::default(),
            proposal_sizes: Default::default(),
            info,
            next_purge: None,
            purging: false,
            snapshot_job: None,
            compaction: Default::default(),
            resumes: HashMap::new(),
            next_container_check: None,
            recorder,
        };
        // A server starts in its first election.
        core.elections.started(core.started);
        core.execute(first)?;
        core.flush_links();
        Ok(core)
    }

    /// Runs until `Shutdown` or a disk failure (which ends the server, as ZooKeeper halts).
    pub fn run(mut self, rx: Receiver<Event>) -> Result<(), StorageError> {
        let mut next_tick = Instant::now() + REPLICA_TICK;
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Event::Shutdown) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(ev) => self.handle(ev)?,
                Err(RecvTimeoutError::Timeout) => {}
            }
            // Everything that arrived meanwhile joins this batch (and its one fsync).
            for _ in 0..4096 {
                match rx.try_recv() {
                    Ok(Event::Shutdown) => return self.stop(),
                    Ok(ev) => self.handle(ev)?,
                    Err(_) => break,
                }
            }
            if Instant::now() >= next_tick {
                self.tick()?;
                next_tick = (next_tick + REPLICA_TICK).max(Instant::now());
            }
            // The batch's packets leave before its fsync, so followers log in parallel.
            self.flush_links();
            self.group_commit()?;
            self.flush_links();
        }
        self.stop()
    }

    fn stop(mut self) -> Result<(), StorageError> {
        // Every append durable before the clients hear the server is gone.
        while self.syncing || self.unsynced.is_some() {
            self.log_synced(true)?;
            self.group_commit()?;
        }
        self.finish_snapshot()?;
        self.flush_links();
        self.clients.close_all();
        Ok(())
    }

    fn handle(&mut self, ev: Event) -> Result<(), StorageError> {
        match ev {
            Event::Link(l) => self.on_link(l),
            Event::ClientOpened(conn, new) => {
                self.clients.opened(conn, new);
                Ok(())
            }
            Event::Connect { conn, req } => self.on_connect(conn, req),
            Event::Request {
                conn,
                xid,
                op,
                ticket,
            } => self.on_request(conn, xid, op, ticket),
            Event::Refused {
                conn,
                xid,
                err,
                close,
                why,
                ticket,
            } => {
                tracing::info!(conn, xid, "refused: {why}");
                self.refuse(conn, xid, err, close, Some(ticket));
                Ok(())
            }
            Event::PurgeChecked { keep, valid } => {
                self.purge_checked(keep, valid);
                Ok(())
            }
            Event::SnapshotWritten { zxid } => self.snapshot_written(zxid),
            Event::LogSynced => self.log_synced(false),
            Event::Compacted(done) => {
                self.compacted(done);
                Ok(())
            }
            Event::Drained { conn } => {
                self.drain(conn);
                Ok(())
            }
            Event::ClientClosed { conn } => {
                self.clients.closed(conn);
                self.forget_resume(conn);
                Ok(())
            }
            Event::FourLetter { conn, word } => {
                let out = super::fourlw::answer(self, word);
                self.clients.send(conn, out);
                Ok(())
            }
            Event::Metrics { reply } => {
                // The endpoint may have given up waiting; nothing to do then.
                let _ = reply.send(self.metrics());
                Ok(())
            }
            Event::Admin { command, reply } => {
                let _ = reply.send(self.admin(command));
                Ok(())
            }
            Event::Shutdown => Ok(()),
        }
    }

    fn tick(&mut self) -> Result<(), StorageError> {
        self.step(Input::Tick { now_ms: wall_ms() })?;
        // A leader still synchronizing its learners cannot propose a close: sessions expire
        // once it serves (ZooKeeper starts its session tracker then too).
        if self.serving() {
            self.expire_sessions(self.session_clock_ms())?;
        }
        self.send_touches();
        let now = Instant::now();
        self.check_containers(now)?;
        self.autopurge(now);
        self.maybe_compact();
        Ok(())
    }

    fn on_role_changed(&mut self, state: ServerState, leader: Option<ServerId>, epoch: u32) {
        tracing::info!(?state, ?leader, epoch, "role changed");
        let was = self.state;
        self.state = state;
        self.elections.on_state(was, state, Instant::now());
        self.leader = leader;
        self.tracker = None;
        self.learner_conns.clear();
        self.owners.clear();
        // The old leader's answers will not come; the handshakes' clients try again.
        self.resumes.clear();
        if state == ServerState::Leading {
            let prefix = self.info.session_prefix;
            let mut t = SessionTracker::new(prefix, wall_ms(), self.info.tick_time_ms);
            let now = self.session_clock_ms();
            for (id, timeout) in self.replica.state_machine().sessions() {
                t.add(id, timeout, now);
            }
            self.tracker = Some(t);
        }
        if state == ServerState::Looking && was != ServerState::Looking {
            // A server that stops serving drops its clients; they reconnect elsewhere.
            self.clients.close_all();
        }
    }

    /// Whether clients can be served: this server is in broadcast under a leader.
    pub(super) fn serving(&self) -> bool {
        self.replica.phase() == crate::replica::Phase::Broadcast
            && self.state != ServerState::Looking
    }
}

/// Wall-clock milliseconds, for transaction times (a znode's mtime) and new session ids.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
