//! zab-bench: a load tool speaking the ZooKeeper client protocol. It measures a server
//! ensemble (zabd or Apache ZooKeeper) with pipelined sessions and prints writes/s, reads/s
//! and latency percentiles; with `--compare` it runs the same load against a second
//! ensemble, one after the other, and prints the ratios.

use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;

mod conn;
mod idle;
mod load;
mod preload;
mod report;
mod rss;
mod watch;

#[derive(Parser)]
#[command(
    name = "zab-bench",
    version,
    about = "Load a ZooKeeper-compatible ensemble"
)]
struct Args {
    /// Connect string of the ensemble to measure: host:port,host:port,...
    #[arg(long)]
    connect: String,
    /// A second ensemble to run the same load against afterwards.
    #[arg(long)]
    compare: Option<String>,
    /// Sessions, spread round-robin over the servers.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Requests each session keeps in flight.
    #[arg(long, default_value_t = 16)]
    pipeline: usize,
    /// Fraction of requests that are reads (getData); the rest are writes (setData).
    #[arg(long, default_value_t = 0.5)]
    read_ratio: f64,
    /// Bytes per written value.
    #[arg(long, default_value_t = 100)]
    value_size: usize,
    /// Seconds per target (the default is 10 unless --ops is given).
    #[arg(long, conflicts_with = "ops")]
    duration: Option<f64>,
    /// Total operations per target instead of a duration.
    #[arg(long)]
    ops: Option<u64>,
    /// Seed of the read/write choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sessions on the first server that pipeline 400 reads of a 1 MB znode and never read
    /// a reply, open during the run: what a client that does not read costs the others.
    #[arg(long, default_value_t = 0)]
    idle_readers: usize,
    /// Znodes of --value-size bytes created under /zab-bench/data before the timed load
    /// (existing ones are kept): the state a server holds while it is measured.
    #[arg(long, default_value_t = 0)]
    preload: u64,
    /// Report each server's resident memory after the run (local servers only: the process
    /// listening on each port, from /proc).
    #[arg(long)]
    rss: bool,
    /// What each session's requests are: `rw`, setData/getData of its own znode by
    /// --read-ratio; `churn`, a create of a child of that znode then its delete, again and
    /// again; `children`, getChildren of one znode with --children children; `watch`, one
    /// writer and --watchers sessions watching what it writes, one write at a time, timed
    /// from its ack to its last watcher's notification (--clients, --pipeline and
    /// --read-ratio do not apply).
    #[arg(long, value_enum, default_value = "rw")]
    workload: load::Workload,
    /// Children of the znode `--workload children` lists (empty znodes, created before the
    /// clock starts and kept).
    #[arg(long, default_value_t = 1000)]
    children: u64,
    /// Sessions watching the znode `--workload watch` writes, spread over the servers.
    #[arg(long, default_value_t = 1000)]
    watchers: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

fn load_of(a: &Args) -> Result<load::Load, String> {
    if a.clients == 0 || a.pipeline == 0 || a.watchers == 0 {
        return Err("--clients, --pipeline and --watchers must be at least 1".into());
    }
    if !(0.0..=1.0).contains(&a.read_ratio) {
        return Err(format!("--read-ratio {} is not in [0, 1]", a.read_ratio));
    }
    if a.value_size >= zab::wire::DEFAULT_MAX_BUFFER - 1024 {
        return Err(format!(
            "--value-size {} is over jute.maxbuffer",
            a.value_size
        ));
    }
    let stop = match (a.duration, a.ops) {
        (_, Some(n)) => load::Stop::Ops(n),
        (Some(s), None) if s.is_finite() && s > 0.0 => {
            load::Stop::After(Duration::from_secs_f64(s))
        }
        (Some(s), None) => return Err(format!("--duration {s} must be positive")),
        (None, None) => load::Stop::After(Duration::from_secs(10)),
    };
    Ok(load::Load {
        clients: a.clients,
        pipeline: a.pipeline,
        read_ratio: a.read_ratio,
        value_size: a.value_size,
        stop,
        seed: a.seed,
        idle_readers: a.idle_readers,
        preload: a.preload,
        workload: a.workload,
        children: a.children,
        watchers: a.watchers,
    })
}

fn hosts(connect: &str) -> Result<Vec<String>, String> {
    let hosts: Vec<String> = connect
        .split(',')
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect();
    if hosts.is_empty() || hosts.iter().any(|h| !h.contains(':')) {
        return Err(format!("connect string {connect:?} is not host:port,..."));
    }
    Ok(hosts)
}

async fn measure(args: &Args, load: &load::Load) -> Result<report::Report, String> {
    let mut targets = Vec::new();
    for connect in std::iter::once(&args.connect).chain(args.compare.as_ref()) {
        let hosts = hosts(connect)?;
        let o = load::run(&hosts, load)
            .await
            .map_err(|e| format!("{connect}: {e}"))?;
        if o.errors > 0 {
            return Err(format!("{connect}: {} requests failed", o.errors));
        }
        let mut t = report::Target::new(connect, &o);
        if load.workload == load::Workload::Watch {
            t.watchers = Some(load.watchers);
        }
        if args.rss {
            t.rss_mb = rss::of_servers(&hosts)
                .into_iter()
                .map(|b| b.map(|b| b as f64 / (1 << 20) as f64))
                .collect();
        }
        targets.push(t);
    }
    Ok(report::Report::new(targets))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let load = match load_of(&args) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("zab-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match rt.block_on(measure(&args, &load)) {
        Ok(rep) if args.json => {
            println!(
                "{}",
                serde_json::to_string(&rep).expect("plain numbers serialize")
            );
            ExitCode::SUCCESS
        }
        Ok(rep) => {
            print!("{}", rep.table());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("zab-bench: {e}");
            ExitCode::from(1)
        }
    }
}
