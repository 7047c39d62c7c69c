//! Running the exhaustive safety check and the liveness check, and reporting both as a table,
//! as JSON, and as readable counterexample traces.

use crate::action::Action;
use crate::config::Config;
use crate::display::trace_line;
use crate::model::ZabModel;
use crate::route::Route;
use crate::state::State;
use crate::symmetry;
use serde::Serialize;
use stateright::report::{ReportData, ReportDiscovery, Reporter};
use stateright::{Checker, Expectation, HasDiscoveries, Model, Path};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

mod liveness_report;
pub use liveness_report::{liveness_table, run_liveness, LivenessReport, LivenessResult};

/// The outcome of one property.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyResult {
    /// The property's name, as `properties.md` lists it.
    pub name: &'static str,
    /// "always" or "sometimes".
    pub kind: &'static str,
    /// For `always`: no counterexample found. For `sometimes`: an example was found.
    pub holds: bool,
    /// "holds", "violated", "reached", "not reached", or "unknown" (the run stopped at the
    /// first violation before settling it).
    pub status: &'static str,
    /// Length of the counterexample or example, in steps.
    pub depth: Option<usize>,
}

/// A path printed step by step: the counterexample of an `always` property, or the example that
/// reaches a `sometimes` property.
#[derive(Clone, Debug, Serialize)]
pub struct Counterexample {
    /// The property the path violates or reaches.
    pub property: &'static str,
    /// The initial state, one line per action with the state it leads to, and the final state.
    pub steps: Vec<String>,
    /// The Explorer's route to the path's last step (`#/steps/…`), on `zab-model explore` with
    /// the same configuration.
    pub explorer: Option<String>,
}

/// The outcome of a safety check (`zab-model check`): the search's size, the verdict and a
/// result per property.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// The configuration checked, as one line (`Config::summary`).
    pub config: String,
    /// The verdict: "pass", "fail" or "incomplete" (see `verdict`).
    pub result: &'static str,
    /// Distinct states visited (after symmetry reduction, when on).
    pub unique_states: usize,
    /// States generated, counting repeats.
    pub total_states: usize,
    /// The deepest level of the search, in steps from an initial state.
    pub max_depth: usize,
    /// Wall-clock time of the search.
    pub seconds: f64,
    /// Unique states per second.
    pub states_per_second: f64,
    /// Whether every reachable state (within bounds) was explored.
    pub complete: bool,
    /// One result per property checked.
    pub properties: Vec<PropertyResult>,
    /// The path to each violated `always` property (the search stops at the first one);
    /// a shortest path unless the search was depth-first.
    pub counterexamples: Vec<Counterexample>,
    /// Paths to the reached `sometimes` properties (with `--examples`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Counterexample>,
}

impl CheckReport {
    /// Whether every property holds on every reachable state ("pass").
    pub fn passed(&self) -> bool {
        self.result == "pass"
    }
}

/// "fail" when a counterexample was found, "pass" when every reachable state was checked,
/// "incomplete" when a limit (time, states) stopped the search first.
pub fn verdict(violated: bool, complete: bool) -> &'static str {
    match (violated, complete) {
        (true, _) => "fail",
        (false, true) => "pass",
        (false, false) => "incomplete",
    }
}

/// The process exit code for a verdict: 0 pass, 1 counterexample, 3 inconclusive.
pub fn exit_code(result: &str) -> u8 {
    match result {
        "pass" => 0,
        "fail" => 1,
        _ => 3,
    }
}

/// How to run a safety check (the command-line options of `zab-model check`).
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Worker threads of the checker (at least 1).
    pub threads: usize,
    /// Print the state count every two seconds on standard error.
    pub progress: bool,
    /// Stop the search after this long; the verdict is then "incomplete" unless a counterexample
    /// was found.
    pub timeout: Option<Duration>,
    /// Also record the paths that reach each `sometimes` property.
    pub examples: bool,
    /// Depth-first instead of breadth-first: memory is only the visited set (stateright's
    /// breadth-first frontier keeps a path per pending state), but counterexamples are not
    /// the shortest.
    pub dfs: bool,
    /// Check only these properties (all when empty).
    pub only: Vec<String>,
}

struct Progress {
    enabled: bool,
    last: Option<Instant>,
}

impl Reporter<ZabModel> for Progress {
    fn report_checking(&mut self, d: ReportData) {
        let due = self
            .last
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(2));
        if self.enabled && (due || d.done) {
            self.last = Some(Instant::now());
            let secs = d.duration.as_secs_f64().max(1e-9);
            eprintln!(
                "{} {} unique states, {} total, depth {}, {:.1}s, {:.0} unique states/s",
                if d.done { "done:" } else { "checking:" },
                d.unique_states,
                d.total_states,
                d.max_depth,
                secs,
                d.unique_states as f64 / secs
            );
        }
    }

    fn report_discoveries(
        &mut self,
        _: &ZabModel,
        _: BTreeMap<&'static str, ReportDiscovery<ZabModel>>,
    ) {
    }

    fn delay(&self) -> Duration {
        Duration::from_millis(50)
    }
}

/// Runs the exhaustive breadth-first safety check. It stops at the first counterexample.
pub fn run(cfg: &Config, opts: &CheckOptions) -> CheckReport {
    let model = ZabModel::with_properties(cfg.clone(), &opts.only);
    let props = model.properties();
    let started = Instant::now();
    let mut builder = model
        .clone()
        .checker()
        .threads(opts.threads.max(1))
        .finish_when(HasDiscoveries::AnyFailures);
    if let Some(t) = opts.timeout {
        builder = builder.timeout(t);
    }
    let mut progress = Progress {
        enabled: opts.progress,
        last: None,
    };
    let (discoveries, unique, total, max_depth) = if opts.dfs {
        let c = builder.spawn_dfs().join_and_report(&mut progress);
        (
            c.discoveries(),
            c.unique_state_count(),
            c.state_count(),
            c.max_depth(),
        )
    } else {
        let c = builder.spawn_bfs().join_and_report(&mut progress);
        (
            c.discoveries(),
            c.unique_state_count(),
            c.state_count(),
            c.max_depth(),
        )
    };
    let seconds = started.elapsed().as_secs_f64();
    let violated = props
        .iter()
        .any(|p| p.expectation == Expectation::Always && discoveries.contains_key(p.name));
    let timed_out = opts.timeout.is_some_and(|t| started.elapsed() >= t);
    let complete = !violated && !timed_out;
    let mut properties = Vec::new();
    let mut counterexamples = Vec::new();
    let mut examples = Vec::new();
    for p in &props {
        let found = discoveries.get(p.name);
        let depth = found.map(|path| path.clone().into_actions().len());
        let (kind, holds, status) = match (&p.expectation, found) {
            (Expectation::Always, Some(_)) => ("always", false, "violated"),
            (Expectation::Always, None) if complete => ("always", true, "holds"),
            (Expectation::Always, None) => ("always", true, "unknown"),
            (_, Some(_)) => ("sometimes", true, "reached"),
            (_, None) if complete => ("sometimes", false, "not reached"),
            (_, None) => ("sometimes", false, "unknown"),
        };
        match (&p.expectation, found) {
            (Expectation::Always, Some(path)) => {
                counterexamples.push(counterexample(&model, p.name, path))
            }
            (_, Some(path)) if opts.examples => examples.push(counterexample(&model, p.name, path)),
            _ => {}
        }
        properties.push(PropertyResult {
            name: p.name,
            kind,
            holds,
            status,
            depth,
        });
    }
    CheckReport {
        config: cfg.summary(),
        result: verdict(violated, complete),
        unique_states: unique,
        total_states: total,
        max_depth,
        seconds,
        states_per_second: unique as f64 / seconds.max(1e-9),
        complete,
        properties,
        counterexamples,
        examples,
    }
}

/// A path with the servers' real names: its initial state and actions, replayed without
/// symmetry when the model canonicalized states under it (tracking the renaming).
pub fn real_path(model: &ZabModel, path: &Path<State, Action>) -> (State, Vec<Action>) {
    let steps = path.clone().into_vec();
    let plain = plain(model);
    let init = steps[0].0.clone();
    let mut real = init.clone();
    // perm maps real ids to canonical ids.
    let mut perm: Vec<u8> = (0..real.n() as u8).collect();
    let mut actions = Vec::new();
    for (_, action) in &steps {
        let Some(action) = action else { break };
        let real_action = if model.cfg.symmetry {
            symmetry::permute_action(*action, &symmetry::invert(&perm))
        } else {
            *action
        };
        real = plain.step(&real, real_action);
        if model.cfg.symmetry {
            perm = symmetry::canonical_with_perm(&real, &model.cfg).1;
        }
        actions.push(real_action);
    }
    (init, actions)
}

/// The same model without symmetry: the one the Explorer serves and traces are told in.
fn plain(model: &ZabModel) -> ZabModel {
    ZabModel::new(Config {
        symmetry: false,
        ..model.cfg.clone()
    })
}

/// A path as readable lines (`Counterexample::steps`), with the Explorer's route to its last
/// step.
fn counterexample(
    model: &ZabModel,
    property: &'static str,
    path: &Path<State, Action>,
) -> Counterexample {
    let (init, actions) = real_path(model, path);
    let plain = plain(model);
    Counterexample {
        property,
        steps: trace(&plain, &init, &actions),
        explorer: Route::of_path(&plain, &init, &actions).map(|r| r.to_string()),
    }
}

/// The initial state, one line per action with the state it leads to, and the final state.
pub fn trace(model: &ZabModel, init: &State, actions: &[Action]) -> Vec<String> {
    let mut state = init.clone();
    let mut lines = vec![format!("initial state:\n{state:?}")];
    for (i, action) in actions.iter().enumerate() {
        state = model.step(&state, *action);
        lines.push(format!(
            "{:>3}. {}",
            i + 1,
            trace_line(&model.cfg, action, &state)
        ));
    }
    lines.push(format!("final state:\n{state:?}"));
    lines
}

/// The table printed after a check.
pub fn table(r: &CheckReport) -> String {
    let mut out = format!("{}\n", r.config);
    let w = r.properties.iter().map(|p| p.name.len()).max().unwrap_or(8);
    out.push_str(&format!(
        "{:<w$}  {:<9}  {:<11}  depth\n",
        "property", "kind", "result"
    ));
    for p in &r.properties {
        out.push_str(&format!(
            "{:<w$}  {:<9}  {:<11}  {}\n",
            p.name,
            p.kind,
            p.status,
            p.depth.map(|d| d.to_string()).unwrap_or_default()
        ));
    }
    out.push_str(&format!(
        "unique states {}  total states {}  max depth {}  {:.2} s  {:.0} unique states/s  {}\n",
        r.unique_states,
        r.total_states,
        r.max_depth,
        r.seconds,
        r.states_per_second,
        if r.complete { "complete" } else { "incomplete" }
    ));
    out.push_str(&format!("result: {}\n", r.result.to_uppercase()));
    out
}
