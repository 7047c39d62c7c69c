//! The metrics endpoint's content: ZooKeeper's metric names for what zabd measures, read on
//! the core thread in one step (so the values agree with each other), and written in
//! Prometheus' text format by the endpoint's task.

use super::core::Core;
use crate::replica::state::{Handler, Role};
use std::fmt::Write;

/// The quantiles `election_time` reports, as ZooKeeper's Prometheus provider reports a
/// summary of its basic detail level.
pub const ELECTION_QUANTILES: [f64; 1] = [0.5];

/// One reading of every metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Gauges by ZooKeeper's name, in the order they are written.
    pub gauges: Vec<(&'static str, f64)>,
    /// `election_time`: elections finished, their total milliseconds, and the quantiles of
    /// the recent ones (`None` before the first election ends).
    pub election_time: Summary,
}

/// A Prometheus summary: count, sum, and quantiles.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Observations.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// Each quantile with its value, if there was an observation.
    pub quantiles: Vec<(f64, Option<f64>)>,
}

impl Core {
    /// Every metric, as the core knows it now.
    pub(super) fn metrics(&self) -> Metrics {
        let tree = self.replica.state_machine().tree();
        let (data_watches, child_watches) = self.clients.watches.len();
        let (followers, observers) = self.synced_learners();
        let c = &self.clients;
        let gauges = vec![
            ("znode_count", super::fourlw::znode_count(self) as f64),
            ("ephemerals_count", tree.ephemeral_count() as f64),
            ("watch_count", (data_watches + child_watches) as f64),
            ("approximate_data_size", tree.approximate_data_size() as f64),
            ("num_alive_connections", c.conns.len() as f64),
            ("outstanding_requests", c.writes.len() as f64),
            ("packets_received", c.received as f64),
            ("packets_sent", c.sent as f64),
            ("avg_latency", self.latency.avg_ms()),
            ("max_latency", self.latency.max_ms() as f64),
            ("min_latency", self.latency.min_ms() as f64),
            ("quorum_size", self.voters() as f64),
            ("synced_followers", followers as f64),
            ("synced_observers", observers as f64),
            ("uptime", self.started.elapsed().as_millis() as f64),
        ];
        let e = &self.elections;
        Metrics {
            gauges,
            election_time: Summary {
                count: e.count(),
                sum: e.sum_ms(),
                quantiles: ELECTION_QUANTILES
                    .iter()
                    .map(|&q| (q, e.quantile(q)))
                    .collect(),
            },
        }
    }

    /// The voting members of the ensemble, this server included (ZooKeeper's
    /// `getQuorumSize`).
    pub(super) fn voters(&self) -> usize {
        let cfg = self.replica.config();
        cfg.voters.len()
    }

    /// While leading: the followers and observers in broadcast (sent UPTODATE); else none.
    pub(super) fn synced_learners(&self) -> (usize, usize) {
        let Role::Leading(ls) = self.replica.role() else {
            return (0, 0);
        };
        let cfg = self.replica.config();
        let synced = ls
            .learners
            .iter()
            .filter(|(_, l)| l.stage == Handler::Broadcast);
        let (mut followers, mut observers) = (0, 0);
        for (id, _) in synced {
            if cfg.is_voter(*id) {
                followers += 1;
            } else {
                observers += 1;
            }
        }
        (followers, observers)
    }
}

/// The text format Prometheus scrapes (version 0.0.4): a `# HELP` and `# TYPE` line per
/// metric, then its samples.
pub fn prometheus_text(m: &Metrics) -> String {
    let mut out = String::new();
    for (name, value) in &m.gauges {
        let _ = writeln!(
            out,
            "# HELP {name} {name}\n# TYPE {name} {}\n{name} {}",
            gauge_type(name),
            number(*value)
        );
    }
    let s = &m.election_time;
    let _ = writeln!(
        out,
        "# HELP election_time election_time\n# TYPE election_time summary"
    );
    for (q, v) in &s.quantiles {
        let v = v.map_or_else(|| "NaN".to_string(), number);
        let _ = writeln!(out, "election_time{{quantile=\"{q}\"}} {v}");
    }
    let _ = writeln!(out, "election_time_count {}", number(s.count as f64));
    let _ = writeln!(out, "election_time_sum {}", number(s.sum));
    out
}

/// The type a gauge is declared with: `gauge`, except for ZooKeeper's names that end in
/// `_count` (`znode_count`, `ephemerals_count`, `watch_count`). Prometheus reserves that
/// suffix for the series of summaries and histograms, and its linter refuses it on a gauge
/// (ZooKeeper's provider declares them gauges and fails `promtool check metrics`); declared
/// `untyped` they keep ZooKeeper's names and pass, and queries read them as gauges.
fn gauge_type(name: &str) -> &'static str {
    if name.ends_with("_count") {
        "untyped"
    } else {
        "gauge"
    }
}

/// A sample value as Prometheus' Java client writes it (`5.0`, `0.25`).
fn number(v: f64) -> String {
    super::fourlw::java_double(v)
}
