//! The figures of a run: throughput per kind and latency percentiles, as a table or as the
//! one JSON object `--json` promises.

use crate::load::Outcome;
use serde::Serialize;

#[derive(Serialize, Debug, Clone)]
pub struct Target {
    pub connect: String,
    pub writes_per_s: f64,
    pub reads_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// Znodes the preload created, and how fast.
    pub preloaded: u64,
    pub preload_per_s: f64,
    /// Each server's resident memory after the run, in MiB (`--rss`; null where unknown).
    pub rss_mb: Vec<Option<f64>>,
    /// With `--workload watch`, the watchers: writes/s then counts the writes, reads/s the
    /// notifications, and the latencies are a write's ack to its last notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watchers: Option<usize>,
}

#[derive(Serialize, Debug)]
pub struct Ratio {
    pub writes: f64,
    pub reads: f64,
}

#[derive(Serialize, Debug)]
pub struct Report {
    pub targets: Vec<Target>,
    /// First target over second; present only with `--compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<Ratio>,
}

/// The `q`-quantile of sorted samples, nearest rank; 0 when there are none.
pub fn quantile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted_us.len() as f64).ceil() as usize;
    f64::from(sorted_us[rank.clamp(1, sorted_us.len()) - 1]) / 1000.0
}

impl Target {
    pub fn new(connect: &str, o: &Outcome) -> Target {
        let secs = o.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
        Target {
            connect: connect.to_string(),
            writes_per_s: o.writes as f64 / secs,
            reads_per_s: o.reads as f64 / secs,
            p50_ms: quantile_ms(&o.latencies_us, 0.50),
            p99_ms: quantile_ms(&o.latencies_us, 0.99),
            p999_ms: quantile_ms(&o.latencies_us, 0.999),
            preloaded: o.preloaded.created,
            preload_per_s: o.preloaded.created as f64
                / o.preloaded.elapsed.as_secs_f64().max(f64::MIN_POSITIVE),
            rss_mb: Vec::new(),
            watchers: None,
        }
    }

    /// The lines under the table for this target: its preload and its servers' memory.
    fn notes(&self, n: usize) -> String {
        let mut out = String::new();
        if let Some(w) = self.watchers {
            out += &format!(
                "{n:<8} {w} watchers: reads/s are notifications; the latencies are a write's \
                 ack to its last watcher's notification\n"
            );
        }
        if self.preloaded > 0 {
            out += &format!(
                "{n:<8} preloaded {} znodes, {:.0}/s\n",
                self.preloaded, self.preload_per_s
            );
        }
        if !self.rss_mb.is_empty() {
            let each: Vec<String> = self
                .rss_mb
                .iter()
                .map(|m| m.map_or("?".into(), |m| format!("{m:.0}")))
                .collect();
            out += &format!("{n:<8} rss MB per server: {}\n", each.join(", "));
        }
        out
    }
}

/// A ratio that stays finite: a target with no throughput of a kind gives 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

impl Report {
    pub fn new(targets: Vec<Target>) -> Report {
        let ratio = match targets.as_slice() {
            [a, b] => Some(Ratio {
                writes: ratio(a.writes_per_s, b.writes_per_s),
                reads: ratio(a.reads_per_s, b.reads_per_s),
            }),
            _ => None,
        };
        Report { targets, ratio }
    }

    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<8} {:>12} {:>12} {:>9} {:>9} {:>9}  connect\n",
            "target", "writes/s", "reads/s", "p50 ms", "p99 ms", "p999 ms"
        );
        for (i, t) in self.targets.iter().enumerate() {
            out += &format!(
                "{:<8} {:>12.0} {:>12.0} {:>9.2} {:>9.2} {:>9.2}  {}\n",
                i + 1,
                t.writes_per_s,
                t.reads_per_s,
                t.p50_ms,
                t.p99_ms,
                t.p999_ms,
                t.connect
            );
        }
        for (i, t) in self.targets.iter().enumerate() {
            out += &t.notes(i + 1);
        }
        if let (Some(r), [a, b]) = (&self.ratio, self.targets.as_slice()) {
            out += &format!(
                "{:<8} {:>11.2}x {:>11.2}x {:>8.2}x {:>8.2}x {:>8.2}x  (1 / 2)\n",
                "ratio",
                r.writes,
                r.reads,
                ratio(a.p50_ms, b.p50_ms),
                ratio(a.p99_ms, b.p99_ms),
                ratio(a.p999_ms, b.p999_ms)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let us: Vec<u32> = (1..=1000).map(|i| i * 1000).collect();
        assert_eq!(quantile_ms(&us, 0.5), 500.0);
        assert_eq!(quantile_ms(&us, 0.99), 990.0);
        assert_eq!(quantile_ms(&us, 0.999), 999.0);
        assert_eq!(quantile_ms(&[], 0.99), 0.0);
        assert_eq!(quantile_ms(&[7000], 0.999), 7.0);
    }

    #[test]
    fn json_has_the_promised_shape_and_ratios_are_first_over_second() {
        let t = |c: &str, w, r| Target {
            connect: c.into(),
            writes_per_s: w,
            reads_per_s: r,
            p50_ms: 1.0,
            p99_ms: 2.0,
            p999_ms: 3.0,
            preloaded: 0,
            preload_per_s: 0.0,
            rss_mb: vec![Some(12.0), None],
            watchers: None,
        };
        let rep = Report::new(vec![t("a:1", 300.0, 1000.0), t("b:2", 100.0, 500.0)]);
        let v: serde_json::Value = serde_json::to_value(&rep).unwrap();
        assert_eq!(v["ratio"]["writes"], 3.0);
        assert_eq!(v["ratio"]["reads"], 2.0);
        let keys: Vec<_> = v["targets"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for k in [
            "connect",
            "writes_per_s",
            "reads_per_s",
            "p50_ms",
            "p99_ms",
            "p999_ms",
            "preloaded",
            "rss_mb",
        ] {
            assert!(keys.contains(&k.to_string()), "{k} missing: {keys:?}");
        }
        let single = Report::new(vec![t("a:1", 1.0, 1.0)]);
        assert!(serde_json::to_value(&single)
            .unwrap()
            .get("ratio")
            .is_none());
        assert!(rep.table().contains("3.00x"));
        assert!(rep.table().contains("rss MB per server: 12, ?"));
    }
}
