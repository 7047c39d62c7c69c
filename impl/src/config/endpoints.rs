//! The keys of the HTTP endpoints beside the client port: the Prometheus metrics endpoint
//! (`metricsProvider.*`, as ZooKeeper names them).

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
            "metricsProvider.httpHost" => {
                let host = value.parse().map_err(|_| {
                    format!("metricsProvider.httpHost `{value}` is not an IP address")
                })?;
                self.host = Some(host);
            }
            "metricsProvider.httpPort" => {
                self.port =
                    value.parse().ok().filter(|&p| p != 0).ok_or_else(|| {
                        format!("metricsProvider.httpPort `{value}` is not a port")
                    })?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
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
}
