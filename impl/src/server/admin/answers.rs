//! The admin commands' answers, read on the core thread in one step.

use super::{Answer, Command, Fields};
use crate::replica::{Phase, ServerState};
use crate::server::core::{ConnId, Core};
use crate::server::fourlw::{self, VERSION};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `monitor` keys whose values are doubles in ZooKeeper; the others are integers.
const DOUBLES: [&str; 1] = ["avg_latency"];

/// `monitor` keys ZooKeeper reports only while leading.
const LEADER_ONLY: [&str; 2] = ["synced_followers", "synced_observers"];

impl Core {
    /// The answer to an admin command.
    pub(in crate::server) fn admin(&mut self, command: Command) -> Answer {
        if command.needs_serving && !self.serving() {
            return Answer::NotServing;
        }
        Answer::Data(match command.name {
            "server_stats" => self.server_stats(),
            "stats" => {
                let mut f = self.server_stats();
                f.extend(fields!(
                    "connections" => self.connections(false, false),
                    "secure_connections" => self.connections(false, true),
                ));
                f
            }
            "connections" => fields!(
                "connections" => self.connections(true, false),
                "secure_connections" => self.connections(true, true),
            ),
            "monitor" => self.monitor(),
            "watch_summary" => self.watch_summary(),
            "watches" => fields!("session_id_to_watched_paths" => self.watched_paths()),
            "watches_by_path" => fields!("path_to_session_ids" => self.path_watchers()),
            "is_read_only" => fields!("read_only" => false),
            "leader" => return self.leader_answer(),
            "dump" => self.dump(),
            "connection_stat_reset" => {
                fourlw::reset_connection_stats(self);
                vec![]
            }
            "stat_reset" => {
                fourlw::reset_server_stats(self);
                vec![]
            }
            // configuration, environment, dirs and ruok: the endpoint fills in the rest.
            _ => vec![],
        })
    }

    /// `server_stats`: ZooKeeper's `ServerStats` for what zabd measures (the directory
    /// sizes are added by the endpoint, off the core).
    fn server_stats(&self) -> Fields {
        let c = &self.clients;
        let sizes = buffer_stats(&c.response_sizes);
        let stats = json!({
            "auth_failed_count": c.auth_failed,
            "fsync_threshold_exceed_count": self.storage.slow_syncs(),
            // Jackson's snake case of getNonMTLSLocalConnCount, ZooKeeper's spelling here.
            "non_mtlslocal_conn_count": c.plain_opened.0,
            "non_mtlsremote_conn_count": c.plain_opened.1,
            "client_response_stats": sizes.clone(),
            "packets_sent": c.sent,
            "packets_received": c.received,
            "server_state": fourlw::mode(self),
            "outstanding_requests": c.writes.len(),
            "min_latency": self.latency.min_ms(),
            "avg_latency": self.latency.avg_ms(),
            "max_latency": self.latency.max_ms(),
            "last_processed_zxid": self.replica.last_processed().0,
            "num_alive_client_connections": c.conns.len(),
            // ZooKeeper's stats object says whether it has lost its server; these are read
            // from the running core, which they cannot outlive.
            "provider_null": false,
            "uptime": self.started.elapsed().as_millis() as u64,
        });
        let mut f = fields!(
            "version" => VERSION,
            "read_only" => false,
            "server_stats" => stats,
            "client_response" => sizes,
        );
        if self.state == ServerState::Leading {
            f.extend(fields!("proposal_stats" => buffer_stats(&self.proposal_sizes)));
        }
        f.extend(fields!("node_count" => fourlw::znode_count(self)));
        f
    }

    /// Each client connection of the plain or the secure port, in connection order:
    /// ZooKeeper's brief form (`stats`) or with the session (`connections`).
    /// `interest_ops` is ZooKeeper's selector interest: 1 (read) unless the connection's
    /// replies back up, plus 4 (write) while bytes wait.
    fn connections(&self, full: bool, secure: bool) -> Value {
        let conns = &self.clients.conns;
        let mut ids: Vec<&ConnId> = conns
            .keys()
            .filter(|id| conns[id].secure == secure)
            .collect();
        ids.sort();
        let list = ids.into_iter().map(|id| {
            let c = &self.clients.conns[id];
            let read = if c.flow.stalled() { 0 } else { 1 };
            let write = if c.flow.queued_bytes() > 0 { 4 } else { 0 };
            let mut o = json!({
                "remote_socket_address": c.addr.to_string(),
                "interest_ops": read | write,
                "outstanding_requests": c.queue.len(),
                "packets_received": c.received,
                "packets_sent": c.sent,
            });
            if full {
                self.session_fields(&mut o, c);
            }
            o
        });
        Value::Array(list.collect())
    }

    /// `connections`' keys for a connection's session and latency, in ZooKeeper's order
    /// (`last_response_time`: milliseconds since the server started, a monotonic clock as
    /// ZooKeeper's).
    fn session_fields(&self, o: &mut Value, c: &crate::server::clients::Conn) {
        let s = &c.stats;
        let since_start =
            |at: std::time::Instant| at.duration_since(self.started).as_millis() as u64;
        for (k, v) in fields!(
            "session_id" => c.session.unwrap_or(0),
            "last_operation" => s.last_op,
            "established" => s.established_ms,
            "session_timeout" => s.session_timeout_ms,
            "last_cxid" => s.last_cxid,
            "last_zxid" => s.last_zxid,
            "last_response_time" => s.last_response.map_or(0, since_start),
            "last_latency" => s.last_latency_ms,
            "min_latency" => s.latency.min_ms(),
            "avg_latency" => s.latency.avg_ms() as u64,
            "max_latency" => s.latency.max_ms(),
        ) {
            o[k] = v;
        }
    }

    /// `monitor`: the server's state, then every metric the metrics endpoint serves, under
    /// the same names (integers except ZooKeeper's doubles).
    fn monitor(&self) -> Fields {
        let mut f = fields!("version" => VERSION, "server_state" => fourlw::mode(self));
        if !self.peers.is_empty() {
            f.extend(fields!("peer_state" => self.peer_state()));
        }
        let leading = self.state == ServerState::Leading && self.serving();
        let m = self.metrics();
        for (name, v) in m.gauges {
            let quorum_only = name == "quorum_size" && self.peers.is_empty();
            if (LEADER_ONLY.contains(&name) && !leading) || quorum_only {
                continue;
            }
            let value = if DOUBLES.contains(&name) {
                json!(v)
            } else {
                json!(v as i64)
            };
            f.push((name.to_string(), value));
        }
        let e = &m.election_time;
        let avg = if e.count == 0 {
            0.0
        } else {
            e.sum / e.count as f64
        };
        f.extend(fields!(
            "avg_election_time" => avg,
            "cnt_election_time" => e.count,
            "sum_election_time" => e.sum as i64,
        ));
        f
    }

    /// ZooKeeper's `peer_state`: the server state, and while not looking its Zab phase.
    fn peer_state(&self) -> String {
        let state = match self.state {
            ServerState::Looking => return "looking".into(),
            ServerState::Leading => "leading",
            ServerState::Following => "following",
            ServerState::Observing => "observing",
        };
        let phase = match self.replica.phase() {
            Phase::Election => "election",
            Phase::Discovery => "discovery",
            Phase::Synchronization => "synchronization",
            Phase::Broadcast => "broadcast",
        };
        format!("{state} - {phase}")
    }

    /// `dump`: the leader's expiry buckets (deadline → session ids) and each session's
    /// ephemeral paths, map keys as decimal strings as ZooKeeper writes them.
    fn dump(&self) -> Fields {
        let buckets = fourlw::expiry_buckets(self).into_iter();
        let owners = fourlw::ephemerals(self).into_iter();
        fields!(
            "expiry_time_to_session_ids" =>
                Value::Object(buckets.map(|(t, ids)| (t.to_string(), json!(ids))).collect()),
            "session_id_to_ephemeral_paths" =>
                Value::Object(owners.map(|(s, p)| (s.to_string(), json!(p))).collect()),
        )
    }

    /// `watch_summary`: the summary `wchs` prints.
    fn watch_summary(&self) -> Fields {
        let s = fourlw::watch_summary(self);
        fields!(
            "num_connections" => s.connections,
            "num_paths" => s.paths,
            "num_total_watches" => s.total,
        )
    }

    /// Each connection holding data watches: its session, and the paths of those watches
    /// (child watches are in no listing, as in ZooKeeper's).
    pub(in crate::server) fn watching_connections(
        &self,
    ) -> impl Iterator<Item = (Option<i64>, Vec<String>)> + '_ {
        let w = &self.clients.watches;
        self.clients
            .conns
            .iter()
            .map(|(&id, c)| (c.session, w.paths_of(id).0))
            .filter(|(_, data)| !data.is_empty())
    }

    /// Each watching connection's session id with the paths of its data watches.
    pub(in crate::server) fn data_watches(&self) -> BTreeMap<i64, Vec<String>> {
        self.watching_connections()
            .map(|(session, mut data)| {
                data.sort();
                (session.unwrap_or(0), data)
            })
            .collect()
    }

    /// `watches`: session id (a decimal string, as ZooKeeper writes map keys) → paths.
    fn watched_paths(&self) -> Value {
        let map = self.data_watches().into_iter();
        Value::Object(map.map(|(s, p)| (s.to_string(), json!(p))).collect())
    }

    /// `watches_by_path`: path → session ids.
    fn path_watchers(&self) -> Value {
        let by_path = self.watchers_by_path().into_iter();
        Value::Object(by_path.map(|(p, s)| (p, json!(s))).collect())
    }

    /// Each data-watched path with the sessions watching it.
    pub(in crate::server) fn watchers_by_path(&self) -> BTreeMap<String, Vec<i64>> {
        let mut by_path: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (session, paths) in self.data_watches() {
            for p in paths {
                by_path.entry(p).or_default().push(session);
            }
        }
        by_path
    }

    /// `leader`: who leads, with the host of its `server.N` line; ZooKeeper's error on a
    /// standalone server.
    fn leader_answer(&self) -> Answer {
        if self.peers.is_empty() {
            return Answer::Error("server is not initialized".into());
        }
        let id = match self.state {
            ServerState::Leading => self.info.my_id,
            _ => self.leader.unwrap_or(0),
        };
        let host = self.info.hosts.get(&id).cloned().unwrap_or_default();
        Answer::Data(fields!(
            "is_leader" => self.state == ServerState::Leading,
            "leader_id" => id,
            "leader_ip" => host,
        ))
    }
}

/// ZooKeeper's `BufferStats` of some sizes.
fn buffer_stats(s: &crate::server::stats::Sizes) -> Value {
    json!({"last_buffer_size": s.last, "min_buffer_size": s.min, "max_buffer_size": s.max})
}
