//! The liveness check's report: each goal's verdict and, when one fails, its fair lasso
//! replayed into readable lines.

use super::verdict;
use crate::config::Config;
use crate::display::trace_line;
use crate::liveness;
use crate::model::ZabModel;
use serde::Serialize;

/// The liveness report in serializable form.
#[derive(Clone, Debug, Serialize)]
pub struct LivenessReport {
    /// The configuration checked, as one line (`Config::summary`).
    pub config: String,
    /// The verdict: "pass", "fail" (some goal has a fair lasso) or "incomplete" (state limit hit).
    pub result: &'static str,
    /// Unique states explored (no symmetry reduction: fairness classes name servers).
    pub unique_states: usize,
    /// Transitions explored, including those leading outside the checked bounds.
    pub edges: usize,
    /// Wall-clock time of exploration and analysis.
    pub seconds: f64,
    /// Unique states per second.
    pub states_per_second: f64,
    /// Whether every reachable state (within bounds) was explored before the state limit.
    pub complete: bool,
    /// One result per liveness goal.
    pub properties: Vec<LivenessResult>,
}

/// The verdict on one liveness goal, with its fair lasso as readable lines when it fails.
#[derive(Clone, Debug, Serialize)]
pub struct LivenessResult {
    /// The goal's name (`leader_eventually_established`, `request_eventually_committed`).
    pub name: &'static str,
    /// Whether no fair lasso violates the goal.
    pub holds: bool,
    /// The lasso: steps to the cycle, then the cycle (repeated forever).
    pub prefix: Vec<String>,
    /// The actions of the cycle, one line each, after the prefix's cycle entry state; empty
    /// when the run is stuck there (no action fairness obliges is enabled).
    pub cycle: Vec<String>,
}

/// Runs the liveness check (`zab-model liveness`) on `cfg` without symmetry, exploring at
/// most `max_states` states, and replays each lasso found into readable lines.
pub fn run_liveness(cfg: &Config, max_states: usize, progress: bool) -> LivenessReport {
    let model = ZabModel::new(Config {
        symmetry: false,
        ..cfg.clone()
    });
    let r = liveness::check(&model, max_states, progress);
    let properties = r
        .goals
        .iter()
        .map(|g| {
            let (prefix, cycle) = match &g.lasso {
                None => (vec![], vec![]),
                Some(l) => {
                    let mut st = l.init.clone();
                    let mut prefix = vec![format!("initial state:\n{st:?}")];
                    for a in &l.prefix {
                        st = model.step(&st, *a);
                        prefix.push(trace_line(cfg, a, &st));
                    }
                    prefix.push(format!("cycle entry state:\n{st:?}"));
                    let cycle = l
                        .cycle
                        .iter()
                        .map(|a| {
                            st = model.step(&st, *a);
                            trace_line(cfg, a, &st)
                        })
                        .collect();
                    (prefix, cycle)
                }
            };
            LivenessResult {
                name: g.goal.name(),
                holds: g.lasso.is_none(),
                prefix,
                cycle,
            }
        })
        .collect();
    LivenessReport {
        config: cfg.summary(),
        result: verdict(!r.holds(), r.complete),
        unique_states: r.states,
        edges: r.edges,
        seconds: r.seconds,
        states_per_second: r.states as f64 / r.seconds.max(1e-9),
        complete: r.complete,
        properties,
    }
}

/// The liveness report as printed: each goal's verdict, the exploration's figures, then the
/// fair lasso of each goal violated.
pub fn liveness_table(r: &LivenessReport) -> String {
    let mut out = format!("{}\n", r.config);
    for p in &r.properties {
        let verdict = if p.holds { "holds" } else { "VIOLATED" };
        out.push_str(&format!("{:<32} {verdict}\n", p.name));
    }
    let extent = if r.complete {
        "complete"
    } else {
        "incomplete (state limit)"
    };
    out.push_str(&format!(
        "states {}  edges {}  {:.2} s  {:.0} states/s  {extent}\n",
        r.unique_states, r.edges, r.seconds, r.states_per_second
    ));
    for p in r.properties.iter().filter(|p| !p.holds) {
        out.push_str(&format!("\nfair lasso violating {}:\n", p.name));
        for line in &p.prefix {
            out.push_str(&format!("{line}\n"));
        }
        if p.cycle.is_empty() {
            out.push_str("-- stuck: no action fairness obliges is enabled here --\n");
        } else {
            out.push_str("-- cycle (repeats forever) --\n");
        }
        for line in &p.cycle {
            out.push_str(&format!("{line}\n"));
        }
    }
    out.push_str(&format!("result: {}\n", r.result.to_uppercase()));
    out
}
