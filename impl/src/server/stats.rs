//! What the server measures of itself, for `srvr`, `mntr` and the metrics endpoint: the
//! latency of client requests (ZooKeeper's `ServerStats`) and how long its elections took
//! (`election_time`).

use crate::replica::ServerState;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How many recent elections the quantiles of `election_time` are taken over.
const RECENT_ELECTIONS: usize = 64;

/// Request latency, from the request's arrival on the core to its reply being queued for
/// the connection, over every client request answered since the server started.
#[derive(Clone, Copy, Debug, Default)]
pub struct Latency {
    count: u64,
    total_us: u64,
    min_us: u64,
    max_us: u64,
}

impl Latency {
    /// Counts one request that took `took`.
    pub fn record(&mut self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.min_us = if self.count == 0 {
            us
        } else {
            self.min_us.min(us)
        };
        self.max_us = self.max_us.max(us);
        self.total_us = self.total_us.saturating_add(us);
        self.count += 1;
    }

    /// The fastest request, in whole milliseconds (0 before any request, as ZooKeeper).
    pub fn min_ms(&self) -> u64 {
        self.min_us / 1000
    }

    /// The slowest request, in whole milliseconds.
    pub fn max_ms(&self) -> u64 {
        self.max_us / 1000
    }

    /// The mean, in milliseconds (0 before any request).
    pub fn avg_ms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_us as f64 / self.count as f64 / 1000.0
        }
    }
}

/// How long each election took: from entering LOOKING to deciding to lead, follow or
/// observe, in milliseconds.
#[derive(Clone, Debug, Default)]
pub struct Elections {
    /// When the current election began, while LOOKING.
    looking_since: Option<Instant>,
    count: u64,
    sum_ms: f64,
    /// The most recent durations, oldest first, for the quantiles.
    recent: VecDeque<f64>,
}

impl Elections {
    /// The server went from `was` to `now_state` at `at`: an election begins or ends.
    pub fn on_state(&mut self, was: ServerState, now_state: ServerState, at: Instant) {
        match (was, now_state) {
            (ServerState::Looking, ServerState::Looking) => {}
            (_, ServerState::Looking) => self.looking_since = Some(at),
            (ServerState::Looking, _) => {
                if let Some(since) = self.looking_since.take() {
                    self.record(at.saturating_duration_since(since));
                }
            }
            _ => {}
        }
    }

    /// The server starts LOOKING at `at` (its first election).
    pub fn started(&mut self, at: Instant) {
        self.looking_since = Some(at);
    }

    fn record(&mut self, took: Duration) {
        let ms = took.as_secs_f64() * 1000.0;
        self.count += 1;
        self.sum_ms += ms;
        if self.recent.len() == RECENT_ELECTIONS {
            self.recent.pop_front();
        }
        self.recent.push_back(ms);
    }

    /// Elections finished since the server started.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their total duration, in milliseconds.
    pub fn sum_ms(&self) -> f64 {
        self.sum_ms
    }

    /// The `q` quantile (0 to 1) of the recent elections' durations, in milliseconds; `None`
    /// before the first.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.recent.is_empty() {
            return None;
        }
        let mut sorted: Vec<f64> = self.recent.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let rank = (q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64).round() as usize;
        Some(sorted[rank])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_zero_until_a_request_then_min_avg_max() {
        let mut l = Latency::default();
        assert_eq!((l.min_ms(), l.avg_ms(), l.max_ms()), (0, 0.0, 0));
        l.record(Duration::from_millis(4));
        l.record(Duration::from_millis(2));
        l.record(Duration::from_millis(9));
        assert_eq!((l.min_ms(), l.max_ms()), (2, 9));
        assert!((l.avg_ms() - 5.0).abs() < 1e-9);
    }

    #[test]
    fn an_election_lasts_from_looking_to_a_decision() {
        let t0 = Instant::now();
        let mut e = Elections::default();
        e.started(t0);
        assert_eq!(e.quantile(0.5), None);
        e.on_state(
            ServerState::Looking,
            ServerState::Following,
            t0 + Duration::from_millis(30),
        );
        e.on_state(
            ServerState::Following,
            ServerState::Looking,
            t0 + Duration::from_secs(5),
        );
        e.on_state(
            ServerState::Looking,
            ServerState::Leading,
            t0 + Duration::from_millis(5010),
        );
        assert_eq!(e.count(), 2);
        assert!((e.sum_ms() - 40.0).abs() < 1e-6);
        assert_eq!(e.quantile(0.0), Some(10.0));
        assert_eq!(e.quantile(1.0), Some(30.0));
    }
}

/// One client connection's statistics, as ZooKeeper's `cons` reports them per connection.
#[derive(Clone, Debug)]
pub struct ConnStats {
    /// When its session was set up, in wall-clock milliseconds (0 before).
    pub established_ms: i64,
    /// Its session's negotiated timeout, in milliseconds (0 before).
    pub session_timeout_ms: i32,
    /// ZooKeeper's short name of the last request answered (`NA` before any).
    pub last_op: &'static str,
    /// The last answered request's xid (-1 before any).
    pub last_cxid: i64,
    /// The zxid applied when the last reply was queued (-1 before any).
    pub last_zxid: i64,
    /// When the last reply was queued.
    pub last_response: Option<Instant>,
    /// The last request's latency, in milliseconds.
    pub last_latency_ms: u64,
    /// Every answered request's latency.
    pub latency: Latency,
}

impl Default for ConnStats {
    fn default() -> ConnStats {
        ConnStats {
            established_ms: 0,
            session_timeout_ms: 0,
            last_op: "NA",
            last_cxid: -1,
            last_zxid: -1,
            last_response: None,
            last_latency_ms: 0,
            latency: Latency::default(),
        }
    }
}

impl ConnStats {
    /// Counts one answered request.
    pub fn answered(
        &mut self,
        op: Option<&crate::wire::ClientOp>,
        cxid: i32,
        zxid: i64,
        took: Duration,
    ) {
        self.last_op = op.map_or("NA", op_name);
        self.last_cxid = i64::from(cxid);
        self.last_zxid = zxid;
        self.last_response = Some(Instant::now());
        self.last_latency_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        self.latency.record(took);
    }
}

/// A request's name as ZooKeeper's `cons` shows the last one (`FinalRequestProcessor`).
pub fn op_name(op: &crate::wire::ClientOp) -> &'static str {
    use crate::wire::ClientOp as Op;
    match op {
        Op::Create { .. } => "CREA",
        Op::Delete { .. } => "DELE",
        Op::Exists { .. } => "EXIS",
        Op::GetData { .. } => "GETD",
        Op::SetData { .. } => "SETD",
        Op::GetAcl { .. } => "GETA",
        Op::SetAcl { .. } => "SETA",
        Op::GetChildren { .. } => "GETC",
        Op::Sync { .. } => "SYNC",
        Op::Ping => "PING",
        Op::Check { .. } => "CHEC",
        Op::Multi(_) => "MULT",
        Op::MultiRead(_) => "MLTR",
        Op::CheckWatches { .. } => "CHKW",
        Op::RemoveWatches { .. } => "REMW",
        Op::SetWatches(_) => "SETW",
        Op::AddWatch { .. } => "ADDW",
        Op::GetEphemerals { .. } => "GETE",
        Op::GetAllChildrenNumber { .. } => "GETACN",
        Op::WhoAmI => "HOMI",
        Op::Auth { .. } => "AUTH",
        Op::CloseSession => "CLOS",
    }
}

/// The last, smallest and largest of some sizes in bytes, -1 before the first (ZooKeeper's
/// `BufferStats`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// The latest.
    pub last: i64,
    /// The smallest.
    pub min: i64,
    /// The largest.
    pub max: i64,
}

impl Default for Sizes {
    fn default() -> Sizes {
        Sizes {
            last: -1,
            min: -1,
            max: -1,
        }
    }
}

impl Sizes {
    /// Counts one of `n` bytes.
    pub fn record(&mut self, n: usize) {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.min = if self.min < 0 { n } else { self.min.min(n) };
        self.max = self.max.max(n);
        self.last = n;
    }
}
