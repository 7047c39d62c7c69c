//! The ensemble's lines: `server.N=host:quorumPort:electionPort[:role][;clientAddress]`,
//! read from zoo.cfg or, as ZooKeeper 3.5+ lays it out, from the file `dynamicConfigFile`
//! names. That file holds the ensemble alone; ZooKeeper refuses anything else in it.

use super::{check_server_id, ServerConfig};

/// One `server.N=host:quorumPort:electionPort[:participant|:observer][;clientAddress]` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerAddr {
    /// The host name or address both peer ports listen on.
    pub host: String,
    /// The quorum port (Zab packets: PROPOSAL, ACK, COMMIT, syncs).
    pub quorum_port: u16,
    /// The leader election port (Fast Leader Election notifications).
    pub election_port: u16,
    /// `:observer`: the server learns but does not vote; `:participant` (the default) votes.
    pub observer: bool,
    /// The client address after `;`: a host (`0.0.0.0` when only a port is given) and a
    /// port. On this server's own line it is where its plain client port listens.
    pub client: Option<(String, u16)>,
}

impl PeerAddr {
    /// `host:quorumPort`, an IPv6 host in brackets.
    pub fn quorum_addr(&self) -> String {
        host_port(&self.host, self.quorum_port)
    }

    /// `host:electionPort`, an IPv6 host in brackets.
    pub fn election_addr(&self) -> String {
        host_port(&self.host, self.election_port)
    }
}

/// `host:port` for a host name or address; an IPv6 address in brackets, or its own colons
/// would run into the port's.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Whether a key describes the ensemble (`server.N`, and the `group`/`weight` keys of
/// ZooKeeper's hierarchical quorums): ZooKeeper's test, a prefix, so `group.1` and `groupX`
/// alike.
pub(super) fn is_member_key(key: &str) -> bool {
    key.starts_with("server.") || key.starts_with("group") || key.starts_with("weight")
}

impl ServerConfig {
    /// Takes one ensemble line, or says why not.
    pub(super) fn member_line(&mut self, key: &str, value: &str) -> Result<(), String> {
        let Some(id) = key.strip_prefix("server.") else {
            // Ignoring them would run majority quorums where the operator asked for
            // hierarchical ones: a different ensemble from ZooKeeper's on the same file.
            return Err(format!(
                "`{key}`: hierarchical quorums (group/weight) are not supported"
            ));
        };
        let id = id
            .parse::<u64>()
            .map_err(|_| format!("server id in `{key}`"))
            .and_then(check_server_id)?;
        let addr = peer_addr(value)?;
        if self.servers.insert(id, addr).is_some() {
            return Err(format!("server.{id} appears twice"));
        }
        Ok(())
    }

    /// Reads the text of the dynamic configuration file: `server.N` lines only. A line that is
    /// wrong is returned with its 1-based number.
    pub(super) fn parse_dynamic(&mut self, text: &str) -> Result<(), (usize, String)> {
        for entry in super::parse::key_values(text) {
            let (line, key, value) = entry?;
            let wrong = match key {
                // ZooKeeper takes the version from the file name's suffix and refuses the
                // key here, so a file copied from a `config` answer is caught, not half read.
                "version" => "version belongs in the file name, not inside the dynamic file",
                k if is_member_key(k) => {
                    self.member_line(k, value).map_err(|m| (line, m))?;
                    continue;
                }
                _ => "the dynamic file holds server.N lines only",
            };
            return Err((line, format!("`{key}`: {wrong}")));
        }
        Ok(())
    }
}

fn peer_addr(value: &str) -> Result<PeerAddr, String> {
    let (peer, client) = match value.split_once(';') {
        Some((peer, client)) => (peer, Some(client_addr(value, client.trim())?)),
        None => (value, None),
    };
    let port = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| format!("port `{s}` in `{value}`"))
    };
    let (host, quorum, election, role) = match host_and_ports(peer.trim())?.as_slice() {
        [h, q, e] if !h.is_empty() => (*h, port(q)?, port(e)?, "participant"),
        [h, q, e, r] if !h.is_empty() => (*h, port(q)?, port(e)?, *r),
        _ => {
            return Err(format!(
                "`{value}` is not host:quorumPort:electionPort[:role] (an IPv6 host in [])"
            ))
        }
    };
    // ZooKeeper takes the role in any case.
    let observer = match role.trim().to_ascii_lowercase().as_str() {
        "participant" => false,
        "observer" => true,
        _ => return Err(format!("unknown server role `{role}`")),
    };
    Ok(PeerAddr {
        host: host.to_string(),
        quorum_port: quorum,
        election_port: election,
        observer,
        client,
    })
}

/// `s` split at its colons, a bracketed host (`[::1]:2888:3888`, an IPv6 address) kept whole
/// and without its brackets, as ZooKeeper splits it (`ConfigUtils.getHostAndPort`).
fn host_and_ports(s: &str) -> Result<Vec<&str>, String> {
    let Some(bracketed) = s.strip_prefix('[') else {
        return Ok(s.split(':').collect());
    };
    let split = bracketed
        .split_once(']')
        .and_then(|(host, rest)| Some((host, rest.strip_prefix(':')?)));
    match split {
        Some((host, ports)) => Ok(std::iter::once(host).chain(ports.split(':')).collect()),
        None => Err(format!("`{s}` has no `]:` after its bracketed host")),
    }
}

/// The client address after `;`: `port` (on every interface, as in ZooKeeper) or
/// `host:port` (`[host]:port` for IPv6).
fn client_addr(value: &str, client: &str) -> Result<(String, u16), String> {
    let parts = host_and_ports(client)?;
    let (host, port) = match parts.as_slice() {
        [port] => ("0.0.0.0", port),
        [host, port] => (*host, port),
        _ => ("", &""),
    };
    match port.parse().ok().filter(|&p: &u16| p > 0) {
        Some(port) if !host.is_empty() => Ok((host.to_string(), port)),
        _ => Err(format!(
            "client address `{client}` in `{value}` is not port or host:port"
        )),
    }
}
