//! `zab-model`: check the Zab model, check its liveness, explore it in the browser, list the
//! bug switches. Exit code 0 when all properties hold, 1 when a counterexample is found, 2 for
//! bad usage, 3 when a limit (`--timeout`, `--max-states`) ended the search inconclusively.

use clap::{Args, Parser, Subcommand, ValueEnum};
use stateright::Model;
use std::process::ExitCode;
use std::time::Duration;
use zab_model::bugs::{Bug, ALL_BUGS};
use zab_model::check::{self, CheckOptions};
use zab_model::config::ConfigError;
use zab_model::explorer::{self, Focus, Tour};
use zab_model::scenarios;
use zab_model::{Config, Election, Scope, ZabModel};

#[derive(Parser)]
#[command(
    name = "zab-model",
    version,
    about = "A model-checked specification of ZooKeeper's Zab"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Exhaustive breadth-first check of every safety property.
    Check(Flags),
    /// Liveness: look for a fair cycle in which no leader is established or a proposal never
    /// commits.
    Liveness(LivenessFlags),
    /// Serve the stateright Explorer on 127.0.0.1.
    Explore(ExploreFlags),
    /// List the bug switches.
    Bugs,
    /// List the guided scenarios, or print one's explanation and steps (`explore --scenario
    /// NAME` opens it in the Explorer).
    Scenarios {
        /// The scenario to print.
        name: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ElectionArg {
    Fle,
    Oracle,
}

#[derive(Clone, Copy, ValueEnum)]
enum PhaseArg {
    All,
    Election,
}

#[derive(Args, Clone)]
struct Flags {
    /// Voting servers.
    #[arg(long)]
    servers: Option<u8>,
    /// Observers (never vote).
    #[arg(long)]
    observers: Option<u8>,
    /// Client requests in total.
    #[arg(long)]
    txns: Option<u8>,
    /// Crash budget.
    #[arg(long)]
    crashes: Option<u8>,
    /// Partition budget.
    #[arg(long)]
    partitions: Option<u8>,
    /// Message/connection loss budget.
    #[arg(long)]
    losses: Option<u8>,
    /// Transmit budget: election notifications written to TCP before their receiver read
    /// them, so a newer one queues behind instead of replacing them (with --election fle).
    #[arg(long)]
    transmits: Option<u8>,
    /// Premature-timeout budget: a leader gives up on a quorum that could still form or keep
    /// up (peers slower than initLimit/syncLimit).
    #[arg(long)]
    premature_timeouts: Option<u8>,
    /// Linearizable reads by read index (zabd's `zab.reads=linearizable`) in total.
    #[arg(long)]
    reads: Option<u8>,
    /// Highest epoch a leader may propose.
    #[arg(long)]
    epochs: Option<u8>,
    /// Highest Fast Leader Election round explored (with --election fle).
    #[arg(long)]
    rounds: Option<u8>,
    /// Election grain.
    #[arg(long, value_enum)]
    election: Option<ElectionArg>,
    /// Check everything, or Fast Leader Election alone.
    #[arg(long, value_enum)]
    phase: Option<PhaseArg>,
    /// Re-introduce a known ZooKeeper bug (see `zab-model bugs`). Alone, it selects the
    /// smallest configuration that exhibits the bug.
    #[arg(long)]
    bug: Option<String>,
    /// Checker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Reduce by symmetry over server ids (oracle election only).
    #[arg(long)]
    symmetry: bool,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Give up after this many seconds.
    #[arg(long)]
    timeout: Option<u64>,
    /// Also print a path to every reached `sometimes` property.
    #[arg(long)]
    examples: bool,
    /// Search depth-first (memory is only the visited set; counterexamples not shortest).
    #[arg(long)]
    dfs: bool,
    /// Check only this property (repeatable; see the table a full check prints).
    #[arg(long = "property")]
    properties: Vec<String>,
}

#[derive(Args, Clone)]
struct LivenessFlags {
    #[command(flatten)]
    flags: Flags,
    /// Stop exploring after this many states (the result is then partial).
    #[arg(long, default_value_t = 5_000_000)]
    max_states: usize,
}

#[derive(Args, Clone)]
struct ExploreFlags {
    #[command(flatten)]
    flags: Flags,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Serve a guided scenario's configuration and print the address of its last step (see
    /// `zab-model scenarios`); the configuration flags are then not used.
    #[arg(long)]
    scenario: Option<String>,
}

/// The Explorer's port unless `--port` says otherwise.
const DEFAULT_PORT: u16 = 3000;

impl Flags {
    /// The configuration: a bug switch alone selects its smallest configuration; explicit
    /// flags override it.
    // `..base` fills the fields the `mutants` feature adds (the tests' switch, never a flag).
    #[allow(clippy::needless_update)]
    fn config(&self) -> Result<Config, ConfigError> {
        let bug = match &self.bug {
            None => None,
            Some(name) => Some(Bug::parse(name).ok_or_else(|| {
                let names: Vec<&str> = ALL_BUGS.iter().map(|b| b.name()).collect();
                ConfigError(format!("unknown bug {name:?}; known: {}", names.join(", ")))
            })?),
        };
        let base = bug.map(Bug::smallest_config).unwrap_or_default();
        let cfg = Config {
            servers: self.servers.unwrap_or(base.servers),
            observers: self.observers.unwrap_or(base.observers),
            txns: self.txns.unwrap_or(base.txns),
            crashes: self.crashes.unwrap_or(base.crashes),
            partitions: self.partitions.unwrap_or(base.partitions),
            losses: self.losses.unwrap_or(base.losses),
            transmits: self.transmits.unwrap_or(base.transmits),
            premature_timeouts: self.premature_timeouts.unwrap_or(base.premature_timeouts),
            reads: self.reads.unwrap_or(base.reads),
            epochs: self.epochs.unwrap_or(base.epochs),
            rounds: self.rounds.unwrap_or(base.rounds),
            election: match self.election {
                Some(ElectionArg::Fle) => Election::Fle,
                Some(ElectionArg::Oracle) => Election::Oracle,
                None => base.election,
            },
            scope: match self.phase {
                Some(PhaseArg::All) => Scope::All,
                Some(PhaseArg::Election) => Scope::Election,
                None => base.scope,
            },
            bug,
            symmetry: self.symmetry,
            ..base
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("zab-model: {msg}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Bugs => list_bugs(),
        Command::Scenarios { name: None } => list_scenarios(),
        Command::Scenarios { name: Some(name) } => print_scenario(&name),
        Command::Check(flags) => run_check(&flags),
        Command::Liveness(lf) => run_liveness(&lf),
        Command::Explore(ef) => explore(&ef),
    }
}

/// `zab-model bugs`: every bug switch, with the check that finds it.
fn list_bugs() -> ExitCode {
    for b in ALL_BUGS {
        let by = if b.found_by_liveness() {
            "liveness"
        } else {
            "check"
        };
        println!("{:<8} [{by:<8}] {}", b.name(), b.summary());
    }
    ExitCode::SUCCESS
}

/// `zab-model scenarios`: the names and titles of the guided scenarios.
fn list_scenarios() -> ExitCode {
    for sc in &scenarios::SCENARIOS {
        println!("{:<30} {}", sc.name, sc.title);
    }
    println!(
        "\n`zab-model scenarios NAME` prints one; `zab-model explore --scenario NAME` opens it."
    );
    ExitCode::SUCCESS
}

/// `zab-model check`: the exhaustive safety check, as a table (with its traces) or JSON.
fn run_check(flags: &Flags) -> ExitCode {
    let cfg = match flags.config() {
        Ok(c) => c,
        Err(e) => return usage_error(&e.to_string()),
    };
    let known: Vec<&str> = ZabModel::new(cfg.clone())
        .properties()
        .iter()
        .map(|p| p.name)
        .collect();
    if let Some(bad) = flags
        .properties
        .iter()
        .find(|p| !known.contains(&p.as_str()))
    {
        return usage_error(&format!(
            "unknown property {bad:?}; known: {}",
            known.join(", ")
        ));
    }
    let report = check::run(
        &cfg,
        &CheckOptions {
            threads: flags.threads,
            progress: true,
            timeout: flags.timeout.map(Duration::from_secs),
            examples: flags.examples,
            dfs: flags.dfs,
            only: flags.properties.clone(),
        },
    );
    if flags.json {
        println!("{}", serde_json::to_string(&report).expect("serializable"));
    } else {
        print!("{}", check::table(&report));
        print_traces(&report);
    }
    ExitCode::from(check::exit_code(report.result))
}

/// A check's counterexamples (with their address in the Explorer) and examples.
fn print_traces(report: &check::CheckReport) {
    for c in &report.counterexamples {
        println!("\ncounterexample to {}:", c.property);
        for line in &c.steps {
            println!("{line}");
        }
        if let Some(route) = &c.explorer {
            println!(
                "\nin the Explorer (zab-model explore with the same flags): \
                 http://127.0.0.1:{DEFAULT_PORT}/{route}"
            );
        }
    }
    for c in &report.examples {
        println!("\nexample of {}:", c.property);
        for line in &c.steps {
            println!("{line}");
        }
    }
}

/// `zab-model liveness`: each goal's verdict, and the fair lasso of each one violated.
fn run_liveness(lf: &LivenessFlags) -> ExitCode {
    let cfg = match lf.flags.config() {
        Ok(c) => c,
        Err(e) => return usage_error(&e.to_string()),
    };
    let report = check::run_liveness(&cfg, lf.max_states, true);
    if lf.flags.json {
        println!("{}", serde_json::to_string(&report).expect("serializable"));
    } else {
        print!("{}", check::liveness_table(&report));
    }
    ExitCode::from(check::exit_code(report.result))
}

/// `zab-model explore`: serves the Explorer (with the tour) until the process is stopped.
fn explore(ef: &ExploreFlags) -> ExitCode {
    let (stop, cfg, focus) = match explore_target(ef) {
        Ok(found) => found,
        Err(e) => return usage_error(&e),
    };
    let summary = cfg.summary();
    let tour = Tour::new(ef.flags.threads);
    let port = match tour.open(&stop, cfg, focus.clone(), ef.port) {
        Ok(port) => port,
        Err(e) => return usage_error(&e.to_string()),
    };
    eprintln!("Explorer for {summary} at http://127.0.0.1:{port}/");
    match focus {
        Focus::Scenario { route, .. } => eprintln!("its last step: {}", route.url(port)),
        Focus::Bug {
            found: Some((property, route)),
            ..
        } => eprintln!("the counterexample to {property}: {}", route.url(port)),
        Focus::Bug { found: None, .. } => eprintln!("the check found no counterexample"),
        Focus::Free => {}
    }
    loop {
        std::thread::park();
    }
}

/// What `explore` serves: its tour stop's name (empty for a configuration of its own), the
/// configuration, and what it is opened for.
fn explore_target(ef: &ExploreFlags) -> Result<(String, Config, Focus), String> {
    if let Some(name) = &ef.scenario {
        let sc = scenarios::find(name).ok_or_else(|| {
            format!(
                "unknown scenario {name:?}; known: {}",
                scenarios::names().join(", ")
            )
        })?;
        eprintln!("{}\n\n{}\n", sc.title, sc.explanation);
        let route = sc
            .route()
            .ok_or_else(|| format!("the model no longer reaches scenario {name}"))?;
        let focus = Focus::Scenario {
            name: sc.name,
            route,
        };
        return Ok((sc.name.to_string(), sc.config(), focus));
    }
    let cfg = ef.flags.config().map_err(|e| e.to_string())?;
    let Some(bug) = cfg.bug else {
        return Ok((String::new(), cfg, Focus::Free));
    };
    let timeout = ef.flags.timeout.map(Duration::from_secs);
    let focus = explorer::bug_focus(&cfg, ef.flags.threads, timeout);
    // The tour's stop for the bug is its smallest configuration; other flags make another.
    let stop = if cfg == bug.smallest_config() {
        format!("bug/{}", bug.name())
    } else {
        String::new()
    };
    Ok((stop, cfg, focus))
}

/// `zab-model scenarios NAME`: the explanation, the steps and the Explorer's address.
fn print_scenario(name: &str) -> ExitCode {
    let Some(sc) = scenarios::find(name) else {
        let known = scenarios::names().join(", ");
        return usage_error(&format!("unknown scenario {name:?}; known: {known}"));
    };
    println!("{}\n\n{}\n", sc.title, sc.explanation);
    let Some((route, steps)) = sc.steps() else {
        eprintln!("zab-model: the model no longer reaches scenario {name}");
        return ExitCode::from(1);
    };
    for line in steps {
        println!("{line}");
    }
    println!(
        "\nzab-model explore --scenario {name}, then {}",
        route.url(DEFAULT_PORT)
    );
    ExitCode::SUCCESS
}
