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
        }
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
        ] {
            assert!(keys.contains(&k.to_string()), "{k} missing: {keys:?}");
        }
        let single = Report::new(vec![t("a:1", 1.0, 1.0)]);
        assert!(serde_json::to_value(&single)
            .unwrap()
            .get("ratio")
            .is_none());
        assert!(rep.table().contains("3.00x"));
    }
}
