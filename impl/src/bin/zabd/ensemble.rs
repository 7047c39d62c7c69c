//! `zabd ensemble`: separate server processes on free loopback ports, each with its own
//! zoo.cfg and dataDir under one directory; the connect string on stdout once every server
//! serves; the children stopped (SIGTERM) when this process is interrupted.
//!
//! It is a tool for development and tests on one machine, so its servers answer every
//! four-letter word (`4lw.commands.whitelist=*`) and take any number of connections from
//! one address (`maxClientCnxns=0`); `--cfg` lines come last and override both. Its peers
//! authenticate each other with a secret it draws for the ensemble (`quorum.secret`, mode
//! 0600, named by `zab.quorum.secretFile`).

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use zab::server::fourlw::ask;

#[derive(clap::Args)]
pub struct Args {
    /// Voting servers.
    #[arg(long, default_value_t = 3)]
    servers: u32,
    /// Observers.
    #[arg(long, default_value_t = 0)]
    observers: u32,
    /// Where the servers keep their configs, data and logs (default: a new temporary one).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// tickTime in ms.
    #[arg(long, default_value_t = 500)]
    tick_time: u32,
    /// An extra zoo.cfg line for every server, e.g. `--cfg snapCount=1000` (repeatable).
    #[arg(long = "cfg", value_name = "KEY=VALUE")]
    extra: Vec<String>,
    /// Serve Prometheus metrics: each server gets the Prometheus provider and a free
    /// `metricsProvider.httpPort` of its own (in its `zN.cfg`).
    #[arg(long)]
    metrics: bool,
    /// Serve the AdminServer: each server gets `admin.enableServer=true` and a free
    /// `admin.serverPort` of its own (in its `zN.cfg`).
    #[arg(long)]
    admin: bool,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

struct Member {
    client_port: u16,
    child: Child,
}

pub fn run(args: Args) -> ExitCode {
    match start(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zabd ensemble: {e}");
            ExitCode::from(3)
        }
    }
}

fn start(args: &Args) -> std::io::Result<ExitCode> {
    if args.servers == 0 {
        eprintln!("zabd ensemble: --servers must be at least 1");
        return Ok(ExitCode::from(2));
    }
    if let Some(bad) = args
        .extra
        .iter()
        .find(|l| !l.contains('=') || l.contains('\n'))
    {
        eprintln!("zabd ensemble: --cfg {bad:?} is not KEY=VALUE");
        return Ok(ExitCode::from(2));
    }
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("zab-ensemble-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    // A free port is free when chosen, not when the server binds it: another process may
    // take it in between (exit code 3). Then the whole ensemble starts again on new ports.
    let mut attempt = 1;
    let (mut members, ok) = loop {
        let mut members = launch(args, &dir)?;
        match wait_serving(&mut members, Duration::from_secs(60)) {
            Started::Serving => break (members, true),
            Started::Exited(Some(3)) if attempt < LAUNCH_ATTEMPTS => {
                eprintln!("zabd ensemble: a port was taken meanwhile; starting again");
                stop(&mut members);
                attempt += 1;
            }
            _ => break (members, false),
        }
    };
    if ok {
        let hosts: Vec<String> = members
            .iter()
            .map(|m| format!("127.0.0.1:{}", m.client_port))
            .collect();
        println!("{}", hosts.join(","));
        let _ = std::io::stdout().flush();
        wait_for_signal();
    } else {
        eprintln!(
            "zabd ensemble: the servers did not all serve; logs in {}",
            dir.display()
        );
    }
    stop(&mut members);
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(4)
    })
}

const LAUNCH_ATTEMPTS: u32 = 3;

/// Picks ports, writes every server's zoo.cfg and myid under `dir`, and starts the servers.
fn launch(args: &Args, dir: &Path) -> std::io::Result<Vec<Member>> {
    let n = args.servers + args.observers;
    let mut ports = Vec::new();
    for _ in 0..n {
        ports.push((free_port()?, free_port()?, free_port()?));
    }
    let mut endpoints = Vec::new();
    for _ in 0..n {
        endpoints.push(Endpoints {
            metrics: args.metrics.then(free_port).transpose()?,
            admin: args.admin.then(free_port).transpose()?,
        });
    }
    let mut servers = String::new();
    for (i, (_, q, e)) in ports.iter().enumerate() {
        let role = if i as u32 >= args.servers {
            ":observer"
        } else {
            ""
        };
        servers.push_str(&format!("server.{}=127.0.0.1:{q}:{e}{role}\n", i + 1));
    }
    // Every peer connection proves this secret (`zab.quorum.secretFile`); a `--cfg` line
    // naming another file comes later in zoo.cfg and wins.
    let secret = dir.join("quorum.secret");
    zab::server::links::QuorumSecret::create(&secret)?;
    servers.push_str(&format!("zab.quorum.secretFile={}\n", secret.display()));
    // The servers share this machine: each runs its tasks on its share of the cores rather
    // than on as many threads as there are cores (10% less CPU per request with 3 servers on
    // 2 cores, README "Issue 20's workloads").
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let share = (cores / n as usize).max(1);
    servers.push_str(&format!("zab.workerThreads={share}\n"));
    let exe = std::env::current_exe()?;
    let mut members = Vec::new();
    for (i, (client, _, _)) in ports.iter().enumerate() {
        let id = i + 1;
        let data = dir.join(format!("d{id}"));
        std::fs::create_dir_all(&data)?;
        std::fs::write(data.join("myid"), format!("{id}\n"))?;
        let cfg = dir.join(format!("z{id}.cfg"));
        let endpoints = endpoints[i].cfg(id);
        std::fs::write(
            &cfg,
            format!(
                "tickTime={}\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={client}\n\
                 clientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n\
                 {servers}{endpoints}{}",
                args.tick_time,
                data.display(),
                args.extra
                    .iter()
                    .map(|l| format!("{l}\n"))
                    .collect::<String>()
            ),
        )?;
        members.push(Member {
            client_port: *client,
            child: spawn(&exe, &cfg, &dir.join(format!("z{id}.log")))?,
        });
    }
    Ok(members)
}

/// The HTTP ports of one server, when asked for.
struct Endpoints {
    metrics: Option<u16>,
    admin: Option<u16>,
}

impl Endpoints {
    /// The zoo.cfg lines that turn them on; each is announced on stderr.
    fn cfg(&self, id: usize) -> String {
        let mut lines = String::new();
        if let Some(port) = self.metrics {
            eprintln!("zabd ensemble: server {id} metrics at http://127.0.0.1:{port}/metrics");
            lines += &format!(
                "metricsProvider.className={}\nmetricsProvider.httpPort={port}\n",
                zab::config::endpoints::PROMETHEUS_PROVIDER
            );
        }
        if let Some(port) = self.admin {
            eprintln!("zabd ensemble: server {id} admin at http://127.0.0.1:{port}/commands");
            lines += &format!("admin.enableServer=true\nadmin.serverPort={port}\n");
        }
        lines
    }
}

fn spawn(exe: &Path, cfg: &Path, log: &Path) -> std::io::Result<Child> {
    let out = std::fs::File::create(log)?;
    Command::new(exe)
        .arg("--config")
        .arg(cfg)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
}

/// How starting the servers ended.
enum Started {
    Serving,
    /// A server exited, with this code.
    Exited(Option<i32>),
    TimedOut,
}

fn wait_serving(members: &mut [Member], limit: Duration) -> Started {
    let start = Instant::now();
    while start.elapsed() < limit {
        for m in members.iter_mut() {
            if let Ok(Some(status)) = m.child.try_wait() {
                eprintln!(
                    "zabd ensemble: the server on port {} exited ({status})",
                    m.client_port
                );
                return Started::Exited(status.code());
            }
        }
        let serving = members
            .iter()
            .all(|m| ask(m.client_port, "srvr").is_some_and(|s| s.contains("Mode: ")));
        if serving {
            return Started::Serving;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Started::TimedOut
}

fn wait_for_signal() {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    });
}

fn stop(members: &mut [Member]) {
    for m in members.iter_mut() {
        // SIGTERM lets each server sync its log and close its clients.
        let _ = Command::new("kill").arg(m.child.id().to_string()).status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for m in members.iter_mut() {
        while Instant::now() < deadline {
            if let Ok(Some(_)) = m.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = m.child.kill();
        let _ = m.child.wait();
    }
}
