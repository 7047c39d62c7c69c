//! The keys of TLS on the client port, as ZooKeeper names them: `secureClientPort`,
//! `secureClientPortAddress`, `ssl.keyStore.*`, `ssl.trustStore.*`, `ssl.clientAuth`.
//! zabd reads PEM files only (ZooKeeper's `ssl.keyStore.type=PEM`): the key store holds the
//! server's private key and certificate chain, the trust store the CAs a client's certificate
//! must chain to.

use super::endpoints::{address, boolean, port};
use std::net::IpAddr;
use std::path::PathBuf;

/// Whether a client must present a certificate the trust store vouches for
/// (`ssl.clientAuth`; ZooKeeper's default is `need`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuth {
    /// Every client presents a trusted certificate, or its handshake fails.
    #[default]
    Need,
    /// A client may present one; if it does, it must be trusted.
    Want,
    /// Clients are not asked for one.
    None,
}

/// TLS on the client port: off unless `secureClientPort` is set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientTls {
    /// `secureClientPort`.
    pub port: Option<u16>,
    /// `secureClientPortAddress`; `None`: the client port's address.
    pub address: Option<IpAddr>,
    /// `ssl.keyStore.location`: the server's key and certificate chain (PEM).
    pub key_store: Option<PathBuf>,
    /// `ssl.trustStore.location`: the CAs client certificates must chain to (PEM).
    pub trust_store: Option<PathBuf>,
    /// `ssl.clientAuth`.
    pub client_auth: ClientAuth,
}

/// ZooKeeper's connection factories: TLS needs Netty there; zabd takes either name.
const FACTORIES: [&str; 2] = [
    "org.apache.zookeeper.server.NettyServerCnxnFactory",
    "org.apache.zookeeper.server.NIOServerCnxnFactory",
];

impl ClientTls {
    /// Takes a TLS key: `Ok(true)` if it is one, `Ok(false)` for another key, or why its
    /// value is wrong.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let bad = |what: &str| Err(format!("{key} `{value}` {what}"));
        match key {
            "secureClientPort" => self.port = Some(port(key, value)?),
            "secureClientPortAddress" => self.address = Some(address(key, value)?),
            "ssl.keyStore.location" => self.key_store = Some(PathBuf::from(value)),
            "ssl.trustStore.location" => self.trust_store = Some(PathBuf::from(value)),
            "ssl.keyStore.type" | "ssl.trustStore.type" if !value.eq_ignore_ascii_case("PEM") => {
                return bad("is not PEM: zabd reads PEM files only")
            }
            "ssl.keyStore.type" | "ssl.trustStore.type" => {}
            "ssl.keyStore.password" | "ssl.trustStore.password" if !value.is_empty() => {
                return Err(format!(
                    "{key}: zabd reads unencrypted PEM only; keep the key file readable by the \
                     server alone (mode 0600) instead"
                ))
            }
            "ssl.keyStore.password" | "ssl.trustStore.password" => {}
            "ssl.clientAuth" => {
                self.client_auth = match value.to_ascii_lowercase().as_str() {
                    "need" => ClientAuth::Need,
                    "want" => ClientAuth::Want,
                    "none" => ClientAuth::None,
                    _ => return bad("is not need, want or none"),
                }
            }
            "serverCnxnFactory" if !FACTORIES.contains(&value) => {
                return bad("is not one of ZooKeeper's connection factories")
            }
            "serverCnxnFactory" => {}
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether the keys fit together: a secure port needs a key store, and a trust store
    /// unless clients are not asked for certificates.
    pub fn check(&self) -> Result<(), String> {
        if self.port.is_none() {
            // ZooKeeper refuses it too: the address alone opens nothing.
            return match self.address {
                Some(_) => Err("secureClientPortAddress is set but secureClientPort is not".into()),
                None => Ok(()),
            };
        }
        if self.key_store.is_none() {
            return Err("secureClientPort needs ssl.keyStore.location".into());
        }
        if self.trust_store.is_none() && self.client_auth != ClientAuth::None {
            return Err(
                "secureClientPort needs ssl.trustStore.location (or ssl.clientAuth=none)".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_keys_parse_and_fit_together() {
        let mut t = ClientTls::default();
        assert_eq!(t.check(), Ok(()), "off: nothing needed");
        assert_eq!(t.set("secureClientPort", "2281"), Ok(true));
        assert!(t.check().unwrap_err().contains("ssl.keyStore.location"));
        assert_eq!(t.set("ssl.keyStore.location", "/k.pem"), Ok(true));
        assert!(t.check().unwrap_err().contains("ssl.trustStore.location"));
        assert_eq!(t.set("ssl.clientAuth", "NONE"), Ok(true));
        assert_eq!(t.check(), Ok(()));
        assert_eq!(t.set("ssl.keyStore.type", "pem"), Ok(true));
        assert_eq!(t.set("ssl.keyStore.password", ""), Ok(true));
        assert_eq!(t.set("ssl.protocol", "TLSv1.3"), Ok(false));
        for (key, bad) in [
            ("secureClientPort", "0"),
            ("secureClientPortAddress", "example.org"),
            ("ssl.keyStore.type", "JKS"),
            ("ssl.trustStore.type", "PKCS12"),
            ("ssl.keyStore.password", "secret"),
            ("ssl.clientAuth", "maybe"),
            ("serverCnxnFactory", "com.example.Factory"),
        ] {
            assert!(t.set(key, bad).unwrap_err().contains(key), "{key}={bad}");
        }
    }
}

/// TLS between peers (`sslQuorum=true`, the `ssl.quorum.*` keys): both stores are needed,
/// since each side of a peer connection presents its certificate and checks the other's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuorumTls {
    /// `sslQuorum`.
    pub enabled: bool,
    /// `ssl.quorum.keyStore.location`.
    pub key_store: Option<PathBuf>,
    /// `ssl.quorum.trustStore.location`.
    pub trust_store: Option<PathBuf>,
}

impl QuorumTls {
    /// Whether `key` is one of these keys.
    pub fn owns(key: &str) -> bool {
        key == "sslQuorum" || key.starts_with("ssl.quorum.")
    }

    /// Takes a key: `Ok(true)` if it is one, `Ok(false)` for another `ssl.quorum.` key, or
    /// why its value is wrong.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        match key {
            "sslQuorum" => self.enabled = boolean(key, value)?,
            "ssl.quorum.keyStore.location" => self.key_store = Some(PathBuf::from(value)),
            "ssl.quorum.trustStore.location" => self.trust_store = Some(PathBuf::from(value)),
            "ssl.quorum.hostnameVerification" if !value.eq_ignore_ascii_case("true") => {
                return Err(format!(
                    "{key} `{value}`: zabd always checks that a peer's certificate names the \
                     host of its server.N line"
                ))
            }
            "ssl.quorum.hostnameVerification" => {}
            // The type and password keys mean what they mean for the client port.
            other => {
                let client_key = other.replacen("ssl.quorum.", "ssl.", 1);
                let known = ["ssl.keyStore.type", "ssl.trustStore.type"]
                    .iter()
                    .chain(&["ssl.keyStore.password", "ssl.trustStore.password"])
                    .any(|k| *k == client_key);
                if !known {
                    return Ok(false);
                }
                ClientTls::default()
                    .set(&client_key, value)
                    .map_err(|e| e.replacen("ssl.", "ssl.quorum.", 1))?;
            }
        }
        Ok(true)
    }

    /// Whether the keys fit together: TLS between peers needs both stores.
    pub fn check(&self) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        match (&self.key_store, &self.trust_store) {
            (Some(_), Some(_)) => Ok(()),
            _ => Err("sslQuorum=true needs ssl.quorum.keyStore.location and \
                      ssl.quorum.trustStore.location"
                .into()),
        }
    }
}

#[cfg(test)]
mod quorum_tests {
    use super::*;

    #[test]
    fn quorum_tls_needs_both_stores_and_pem() {
        let mut q = QuorumTls::default();
        assert_eq!(q.set("sslQuorum", "true"), Ok(true));
        assert!(q
            .check()
            .unwrap_err()
            .contains("ssl.quorum.keyStore.location"));
        assert_eq!(q.set("ssl.quorum.keyStore.location", "/k.pem"), Ok(true));
        assert_eq!(q.set("ssl.quorum.trustStore.location", "/ca.pem"), Ok(true));
        assert_eq!(q.check(), Ok(()));
        assert_eq!(q.set("ssl.quorum.keyStore.type", "PEM"), Ok(true));
        assert_eq!(q.set("ssl.quorum.hostnameVerification", "true"), Ok(true));
        assert_eq!(q.set("ssl.quorum.protocol", "TLSv1.3"), Ok(false));
        for (key, bad) in [
            ("sslQuorum", "yes"),
            ("ssl.quorum.keyStore.type", "JKS"),
            ("ssl.quorum.trustStore.password", "secret"),
            ("ssl.quorum.hostnameVerification", "false"),
        ] {
            assert!(q.set(key, bad).unwrap_err().contains(key), "{key}={bad}");
        }
    }
}
