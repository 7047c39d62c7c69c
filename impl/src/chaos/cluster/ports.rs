//! The servers' own ports.

use super::local;
use std::net::TcpListener;

/// Free ports for the servers, below the kernel's ephemeral range: a port in that range,
/// free when picked, can be taken by a proxy's listener or by any outgoing connection's
/// local end before its server binds it, or while its server is down between a kill and
/// its restart (seen: a server failing to start with "Address already in use").
pub(super) fn server_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let low = ephemeral_low().max(10_001);
    let mut picked = std::collections::BTreeSet::new();
    for _ in 0..n * 100 {
        if picked.len() == n {
            break;
        }
        let mut b = [0u8; 2];
        getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
        let port = 10_000 + u16::from_le_bytes(b) % (low - 10_000);
        if !picked.contains(&port) && TcpListener::bind(local(port)).is_ok() {
            picked.insert(port);
        }
    }
    if picked.len() < n {
        return Err(std::io::Error::other(
            "no free ports below the ephemeral range",
        ));
    }
    Ok(picked.into_iter().collect())
}

/// The lowest port the kernel hands out for ephemeral use.
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ports_are_distinct_free_and_below_the_ephemeral_range() {
        let ports = server_ports(15).unwrap();
        let distinct: std::collections::BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), 15);
        for p in ports {
            assert!((10_000..ephemeral_low()).contains(&p), "{p}");
            assert!(TcpListener::bind(local(p)).is_ok(), "{p} is taken");
        }
    }
}
