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
