//! The ensemble's lines: `server.N=host:quorumPort:electionPort[:role][;clientAddress]`,
//! read from zoo.cfg or, as ZooKeeper 3.5+ lays it out, from the file `dynamicConfigFile`
//! names. That file holds the ensemble alone; ZooKeeper refuses anything else in it.

use super::{check_server_id, PeerAddr, ServerConfig};

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
    let parts: Vec<&str> = peer.split(':').collect();
    let port = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| format!("port `{s}` in `{value}`"))
    };
    let (host, quorum, election, role) = match parts.as_slice() {
        [h, q, e] => (h, q, e, "participant"),
        [h, q, e, r] => (h, q, e, *r),
        _ => {
            return Err(format!(
                "`{value}` is not host:quorumPort:electionPort[:role]"
            ))
        }
    };
    let observer = match role {
        "participant" => false,
        "observer" => true,
        other => return Err(format!("unknown server role `{other}`")),
    };
    Ok(PeerAddr {
        host: host.to_string(),
        quorum_port: port(quorum)?,
        election_port: port(election)?,
        observer,
        client,
    })
}

/// The client address after `;`: `port` (on every interface, as in ZooKeeper) or
/// `host:port`.
fn client_addr(value: &str, client: &str) -> Result<(String, u16), String> {
    let (host, port) = client.rsplit_once(':').unwrap_or(("0.0.0.0", client));
    let port = port.parse().ok().filter(|&p: &u16| p > 0);
    match port {
        Some(port) if !host.is_empty() && !host.contains(':') => Ok((host.to_string(), port)),
        _ => Err(format!(
            "client address `{client}` in `{value}` is not port or host:port"
        )),
    }
}
