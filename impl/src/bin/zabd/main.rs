//! zabd: a ZooKeeper-compatible server running Zab.
//!
//! `zabd --config zoo.cfg` runs one server; `zabd ensemble --servers 3` starts a local
//! ensemble of separate processes on free loopback ports and prints its connect string;
//! `zabd replay TRACE...` re-runs recorded replica traces (`zab.traceDir`).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use zab::config::ServerConfig;

mod ensemble;

/// jemalloc: less resident memory for a large tree than glibc's malloc (whose freed small
/// chunks, left between long-lived znodes, stay resident), and no slower (README, "Memory at
/// a million znodes").
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "zabd",
    version,
    about = "A ZooKeeper-compatible server running Zab"
)]
struct Cli {
    /// A zoo.cfg-compatible configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start a local ensemble of separate processes on free loopback ports.
    Ensemble(ensemble::Args),
    /// Re-run the replica of each trace file (`zab.traceDir`) through its recorded inputs and
    /// check it does what the server did; exit 1 at the first difference.
    Replay {
        /// Also print every record: its time, input and outputs.
        #[arg(long)]
        print: bool,
        traces: Vec<PathBuf>,
    },
}

/// Exit codes: 2 a bad configuration, 3 a port in use or a data directory that cannot be
/// used, 4 a failure while running (a disk write or fsync failed, logged once as `halting`).
fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or a pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match (cli.command, cli.config) {
        (Some(Command::Ensemble(args)), _) => ensemble::run(args),
        (Some(Command::Replay { print, traces }), _) => replay(&traces, print),
        (None, Some(path)) => serve(&path),
        (None, None) => {
            eprintln!("zabd: give --config zoo.cfg, or `zabd ensemble --servers N`");
            ExitCode::from(2)
        }
    }
}

fn serve(path: &std::path::Path) -> ExitCode {
    let cfg = match ServerConfig::load(path) {
        Ok(c) => c,
        Err(e @ zab::config::ConfigError::DataDir { .. }) => {
            eprintln!("zabd: {e}");
            return ExitCode::from(3);
        }
        Err(e) => {
            eprintln!("zabd: bad configuration {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    for (line, key) in &cfg.unknown {
        tracing::warn!(line, key, "unknown configuration key ignored");
    }
    for (line, what) in &cfg.adjusted {
        tracing::warn!(line, "{what}");
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if cfg.worker_threads > 0 {
        rt.worker_threads(cfg.worker_threads);
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zabd: cannot start the runtime: {e}");
            return ExitCode::from(4);
        }
    };
    match rt.block_on(zab::server::run(cfg, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        // What the machine gives it cannot serve: a port, the data it recovered (a snapshot
        // that does not restore), the trace directory. Not a failure while running.
        Err(
            e @ (zab::server::ServerError::Bind { .. }
            | zab::server::ServerError::Storage(_)
            | zab::server::ServerError::Start(_)
            | zab::server::ServerError::Trace(_)),
        ) => {
            eprintln!("zabd: {e}");
            ExitCode::from(3)
        }
        // The supervisor has logged the cause.
        Err(zab::server::ServerError::Halted(_)) => ExitCode::from(4),
        Err(e) => {
            eprintln!("zabd: {e}");
            ExitCode::from(4)
        }
    }
}

fn replay(traces: &[PathBuf], print: bool) -> ExitCode {
    use zab::server::trace;
    for path in traces {
        let records = trace::read(path);
        if let (true, Ok(records)) = (print, &records) {
            for r in records {
                println!("{}", trace::describe(r));
            }
        }
        let result = records.and_then(|r| trace::replay(&r, zab::server::genesis));
        match result {
            Ok(done) => println!(
                "{}: {} starts, {} steps reproduced",
                path.display(),
                done.starts,
                done.steps
            ),
            Err(e) => {
                eprintln!("zabd replay: {}: {e}", path.display());
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
