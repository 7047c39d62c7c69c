//! The keys of the HTTP endpoints beside the client port: the Prometheus metrics endpoint
//! (`metricsProvider.*`) and the AdminServer (`admin.*`), as ZooKeeper names them.

use std::net::IpAddr;

/// ZooKeeper's Prometheus provider: naming it in `metricsProvider.className` turns the
/// metrics endpoint on.
pub const PROMETHEUS_PROVIDER: &str =
    "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";

/// ZooKeeper's default provider, which exports nothing over HTTP (accepted, the endpoint off).
pub const DEFAULT_PROVIDER: &str = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider";

/// The metrics endpoint's port unless `metricsProvider.httpPort` says otherwise (ZooKeeper's
/// default).
pub const DEFAULT_METRICS_PORT: u16 = 7000;

/// The metrics endpoint: off unless `metricsProvider.className` names the Prometheus
/// provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsEndpoint {
    /// Whether `/metrics` is served.
    pub enabled: bool,
    /// `metricsProvider.httpHost`; `None`: the client port's address (`clientPortAddress`).
    /// ZooKeeper binds every interface by default; zabd keeps the endpoint where its clients
    /// already reach it (`specs/compatibility.md`).
    pub host: Option<IpAddr>,
    /// `metricsProvider.httpPort` (default 7000).
    pub port: u16,
}

impl Default for MetricsEndpoint {
    fn default() -> MetricsEndpoint {
        MetricsEndpoint {
            enabled: false,
            host: None,
            port: DEFAULT_METRICS_PORT,
        }
    }
}

impl MetricsEndpoint {
    /// Takes a `metricsProvider.*` key: `Ok(true)` if it is one of the endpoint's, `Ok(false)`
    /// for another (kept aside as unknown, as ZooKeeper hands those to the provider), or why
    /// its value is wrong.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        match key {
            "metricsProvider.className" => {
                self.enabled = match value {
                    PROMETHEUS_PROVIDER => true,
                    DEFAULT_PROVIDER => false,
                    _ => {
                        return Err(format!(
                            "metricsProvider.className `{value}`: zabd provides \
                             {PROMETHEUS_PROVIDER} (and {DEFAULT_PROVIDER}, which serves nothing)"
                        ))
                    }
                }
            }
            "metricsProvider.httpHost" => self.host = Some(address(key, value)?),
            "metricsProvider.httpPort" => self.port = port(key, value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The AdminServer's port unless `admin.serverPort` says otherwise (ZooKeeper's default).
pub const DEFAULT_ADMIN_PORT: u16 = 8080;

/// The AdminServer's path prefix unless `admin.commandURL` says otherwise.
pub const DEFAULT_COMMAND_URL: &str = "/commands";

/// The AdminServer: ZooKeeper's admin commands as JSON over HTTP. Off unless
/// `admin.enableServer=true`: ZooKeeper turns it on by default, on every interface, with no
/// authentication; zabd serves it only when asked (`specs/compatibility.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminEndpoint {
    /// `admin.enableServer`.
    pub enabled: bool,
    /// `admin.serverAddress`; `None`: the client port's address (`clientPortAddress`).
    pub host: Option<IpAddr>,
    /// `admin.serverPort` (default 8080).
    pub port: u16,
    /// `admin.commandURL` (default `/commands`): where the commands are, one level below.
    pub command_url: String,
}

impl Default for AdminEndpoint {
    fn default() -> AdminEndpoint {
        AdminEndpoint {
            enabled: false,
            host: None,
            port: DEFAULT_ADMIN_PORT,
            command_url: DEFAULT_COMMAND_URL.into(),
        }
    }
}

impl AdminEndpoint {
    /// Takes an `admin.*` key: `Ok(true)` if it is one of the AdminServer's, `Ok(false)` for
    /// another (unknown), or why its value is wrong.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        match key {
            "admin.enableServer" => self.enabled = boolean(key, value)?,
            "admin.serverAddress" => self.host = Some(address(key, value)?),
            "admin.serverPort" => self.port = port(key, value)?,
            "admin.commandURL" => {
                // Each segment a plain name: an empty one (`//`, or nothing once the trailing
                // slashes go) is no route the router can take, and `.` or `..` none a client
                // sends as written.
                let url = value.trim_end_matches('/');
                let plain = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
                let segment =
                    |s: &str| !s.is_empty() && s != "." && s != ".." && s.chars().all(plain);
                if !url
                    .strip_prefix('/')
                    .is_some_and(|rest| rest.split('/').all(segment))
                {
                    return Err(format!(
                        "admin.commandURL `{value}` is not a path such as /commands"
                    ));
                }
                self.command_url = url.to_string();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A Java-style boolean named by its key in the error.
pub(super) fn boolean(key: &str, value: &str) -> Result<bool, String> {
    super::parse::boolean(value).map_err(|m| format!("{key} {m}"))
}

/// A listening address: an IP address, not a name (nothing is resolved).
pub(super) fn address(key: &str, value: &str) -> Result<IpAddr, String> {
    value
        .parse()
        .map_err(|_| format!("{key} `{value}` is not an IP address"))
}

/// A port: 1 to 65535.
pub(super) fn port(key: &str, value: &str) -> Result<u16, String> {
    value
        .parse()
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| format!("{key} `{value}` is not a port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prometheus_provider_turns_the_endpoint_on() {
        let mut m = MetricsEndpoint::default();
        assert!(!m.enabled);
        assert_eq!(
            m.set("metricsProvider.className", PROMETHEUS_PROVIDER),
            Ok(true)
        );
        assert!(m.enabled && m.port == 7000 && m.host.is_none());
        assert_eq!(m.set("metricsProvider.httpPort", "7001"), Ok(true));
        assert_eq!(m.set("metricsProvider.httpHost", "127.0.0.1"), Ok(true));
        assert_eq!(m.port, 7001);
        assert_eq!(m.set("metricsProvider.exportJvmInfo", "true"), Ok(false));
        for (key, bad) in [
            ("metricsProvider.className", "com.example.Other"),
            ("metricsProvider.httpPort", "0"),
            ("metricsProvider.httpPort", "seven"),
            ("metricsProvider.httpHost", "localhost:7000"),
        ] {
            assert!(m.set(key, bad).unwrap_err().contains(key), "{key}={bad}");
        }
    }

    #[test]
    fn the_admin_server_is_off_until_enabled() {
        let mut a = AdminEndpoint::default();
        assert!(!a.enabled && a.port == 8080 && a.command_url == "/commands");
        assert_eq!(a.set("admin.enableServer", "True"), Ok(true));
        assert_eq!(a.set("admin.serverPort", "8081"), Ok(true));
        assert_eq!(a.set("admin.serverAddress", "127.0.0.1"), Ok(true));
        assert_eq!(a.set("admin.commandURL", "/zk/v1.2/"), Ok(true));
        assert_eq!(a.command_url, "/zk/v1.2");
        assert_eq!(a.set("admin.commandURL", "/admin/"), Ok(true));
        assert!(a.enabled && a.port == 8081 && a.command_url == "/admin");
        assert_eq!(a.set("admin.idleTimeout", "30000"), Ok(false));
        for (key, bad) in [
            ("admin.enableServer", "yes"),
            ("admin.serverPort", "0"),
            ("admin.serverPort", "65536"),
            ("admin.serverAddress", "localhost"),
            ("admin.commandURL", "commands"),
            ("admin.commandURL", "/"),
            ("admin.commandURL", "/a b"),
            // These passed, and then the router panicked at start (exit 101).
            ("admin.commandURL", "//"),
            ("admin.commandURL", "///"),
            ("admin.commandURL", "/a//b"),
            ("admin.commandURL", "/.."),
        ] {
            assert!(a.set(key, bad).unwrap_err().contains(key), "{key}={bad}");
        }
    }
}
