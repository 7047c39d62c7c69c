//! An ensemble of separate server processes on loopback, wired so a nemesis can reach every
//! link: each server's zoo.cfg names its peers by proxies of its own (one per peer and
//! plane), so the link from server a to server b runs through proxies that belong to that
//! ordered pair alone, and each client reaches a server through a proxy too. The processes
//! can be killed (SIGKILL), restarted on the same data, paused (SIGSTOP) and resumed.

use super::proxy::Proxy;
use crate::server::fourlw::ask;
use crate::server::links::QuorumSecret;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod disks;
mod faults;
mod ports;
mod target;
use ports::server_ports;
pub use target::Target;

/// What to start.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The servers.
    pub target: Target,
    /// How many voters.
    pub servers: usize,
    /// tickTime in ms (syncLimit and initLimit are counted in ticks of it).
    pub tick_ms: u32,
    /// Where configs, data and logs go.
    pub dir: PathBuf,
    /// Extra zoo.cfg lines for every server.
    pub extra: Vec<String>,
    /// Environment variables every server starts with; `{id}` in a value becomes the
    /// server's id.
    pub env: Vec<(String, String)>,
    /// Each server's dataDir on a tmpfs of this many bytes, so the nemesis can fill it
    /// (`namespace`: the campaign must run in its own mount namespace).
    pub disk_bytes: Option<u64>,
}

/// Why the cluster could not be brought up or changed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A file or process could not be made.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A server did not serve in time, or exited; the end of its log says why.
    #[error("server {id} {what}; its log {log} ends:\n{tail}")]
    NotServing {
        /// The server.
        id: usize,
        /// What happened: not serving in time, or its exit.
        what: String,
        /// Its log.
        log: String,
        /// The last lines of its log.
        tail: String,
    },
}

/// One server process and its ports.
struct Member {
    client_port: u16,
    data: PathBuf,
    cfg: PathBuf,
    /// Its zoo.cfg without fault lines.
    base: String,
    log: PathBuf,
    child: Option<Child>,
    paused: bool,
    /// It runs with a failing disk (`restart_with`), so its exit (code 4) is expected.
    disk_fault: bool,
    /// The file filling its disk (`fill_disk`), until healed.
    filler: Option<PathBuf>,
    /// Its disk was full since it last started, so its exit (code 4) is expected.
    was_full: bool,
    /// Environment variables its process starts with (an LD_PRELOAD fault shim, say).
    env: Vec<(String, String)>,
}

/// A running ensemble (servers are numbered from 1). Dropping it kills every server.
pub struct Cluster {
    spec: Spec,
    members: Vec<Member>,
    /// The links from a to b: its quorum and its election proxy.
    links: BTreeMap<(usize, usize), [Proxy; 2]>,
    /// Each server's client proxy.
    clients: Vec<Proxy>,
    /// Servers that exited by themselves, with their status.
    exits: Vec<(usize, String)>,
    /// Exits of servers on a failing or full disk, as they should.
    expected_exits: usize,
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Cluster {
    /// Writes every server's config, starts the servers and waits until each serves.
    pub async fn start(spec: Spec) -> Result<Cluster, ClusterError> {
        std::fs::create_dir_all(&spec.dir)?;
        let n = spec.servers;
        let ports: Vec<[u16; 3]> = server_ports(3 * n)?
            .chunks(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let mut links = BTreeMap::new();
        for a in 1..=n {
            for b in (1..=n).filter(|&b| b != a) {
                let [_, quorum, election] = ports[b - 1];
                let q = Proxy::start(local(quorum)).await?;
                let e = Proxy::start(local(election)).await?;
                links.insert((a, b), [q, e]);
            }
        }
        let mut clients = Vec::new();
        for p in &ports {
            clients.push(Proxy::start(local(p[0])).await?);
        }
        let secret = spec.dir.join("quorum.secret");
        QuorumSecret::create(&secret)?;
        let mut members = Vec::new();
        for id in 1..=n {
            let mut servers = String::new();
            for peer in 1..=n {
                let (q, e) = if peer == id {
                    (ports[id - 1][1], ports[id - 1][2])
                } else {
                    let [q, e] = &links[&(id, peer)];
                    (q.addr().port(), e.addr().port())
                };
                servers += &format!("server.{peer}=127.0.0.1:{q}:{e}\n");
            }
            members.push(member(&spec, id, ports[id - 1][0], &servers, &secret)?);
        }
        let mut cluster = Cluster {
            spec,
            members,
            links,
            clients,
            exits: Vec::new(),
            expected_exits: 0,
        };
        for id in 1..=n {
            cluster.spawn(id)?;
        }
        cluster.wait_serving(Duration::from_secs(60)).await?;
        Ok(cluster)
    }

    /// How many servers.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Where clients reach server `id` (its client proxy).
    pub fn client_addr(&self, id: usize) -> SocketAddr {
        self.clients[id - 1].addr()
    }

    /// Server `id`'s own client port, which no fault touches (for four-letter words).
    pub fn direct_port(&self, id: usize) -> u16 {
        self.members[id - 1].client_port
    }

    /// Server `id`'s log.
    pub fn log(&self, id: usize) -> &Path {
        &self.members[id - 1].log
    }

    fn spawn(&mut self, id: usize) -> std::io::Result<()> {
        let m = &mut self.members[id - 1];
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&m.log)?;
        let child = self
            .spec
            .target
            .command(&m.cfg)?
            .envs(m.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        m.child = Some(child);
        m.paused = false;
        m.was_full = m.filler.is_some();
        Ok(())
    }

    /// Waits until every running server answers `srvr` with a mode.
    pub async fn wait_serving(&mut self, limit: Duration) -> Result<(), ClusterError> {
        let start = Instant::now();
        for id in 1..=self.len() {
            while self.members[id - 1].child.is_some() && self.mode(id).await.is_none() {
                let exited = self.members[id - 1]
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                if let Some(status) = exited {
                    return Err(self.not_serving(id, format!("exited ({status})")));
                }
                if start.elapsed() > limit {
                    let what = format!("did not serve within {} s", limit.as_secs());
                    return Err(self.not_serving(id, what));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Why server `id` is not serving, with the end of its log (a CI run keeps nothing
    /// else of a failed start: the test's directory goes with it).
    fn not_serving(&self, id: usize, what: String) -> ClusterError {
        let text = std::fs::read_to_string(self.log(id)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..]
            .iter()
            .map(|l| l.chars().take(300).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n");
        ClusterError::NotServing {
            id,
            what,
            log: self.log(id).display().to_string(),
            tail,
        }
    }

    /// Server `id`'s mode (`leader`, `follower`, ...), if it is serving.
    pub async fn mode(&self, id: usize) -> Option<String> {
        let port = self.direct_port(id);
        let answer = tokio::task::spawn_blocking(move || ask(port, "srvr"))
            .await
            .ok()??;
        let line = answer.lines().find_map(|l| l.strip_prefix("Mode: "))?;
        Some(line.trim().to_string())
    }

    /// The server that says it leads, if one does.
    pub async fn leader(&self) -> Option<usize> {
        for id in 1..=self.len() {
            if self.is_up(id) && self.mode(id).await.as_deref() == Some("leader") {
                return Some(id);
            }
        }
        None
    }

    /// The servers it runs.
    pub fn target(&self) -> &Target {
        &self.spec.target
    }

    /// Whether server `id` runs and is not paused.
    pub fn is_up(&self, id: usize) -> bool {
        let m = &self.members[id - 1];
        m.child.is_some() && !m.paused
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for id in 1..=self.len() {
            let _ = self.resume(id);
            self.kill(id);
        }
    }
}

/// Writes server `id`'s dataDir, myid and zoo.cfg.
fn member(
    spec: &Spec,
    id: usize,
    client_port: u16,
    servers: &str,
    secret: &Path,
) -> std::io::Result<Member> {
    let data = spec.dir.join(format!("d{id}"));
    std::fs::create_dir_all(&data)?;
    if let Some(bytes) = spec.disk_bytes {
        super::namespace::mount_tmpfs(&data, bytes)?;
    }
    std::fs::write(data.join("myid"), format!("{id}\n"))?;
    let cfg = spec.dir.join(format!("z{id}.cfg"));
    let extra: String = spec.extra.iter().map(|l| format!("{l}\n")).collect();
    let base = format!(
        "tickTime={}\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={client_port}\n\
             clientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n\
             {servers}{}{extra}",
        spec.tick_ms,
        data.display(),
        spec.target.own_lines(secret)
    );
    std::fs::write(&cfg, &base)?;
    Ok(Member {
        client_port,
        data,
        cfg,
        base,
        log: spec.dir.join(format!("z{id}.log")),
        child: None,
        paused: false,
        disk_fault: false,
        filler: None,
        was_full: false,
        env: spec
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.replace("{id}", &id.to_string())))
            .collect(),
    })
}
