//! `--rss`: the resident memory of each server of a local ensemble, found by the port it
//! listens on (`/proc/net/tcp*` gives the listening socket's inode, `/proc/*/fd` the process
//! holding it, `/proc/PID/status` its VmRSS). A JVM and zabd alike; Linux only.

use std::path::Path;

/// The RSS in bytes of the process listening on each `host:port`; `None` where the host is
/// not local or no process was found.
pub fn of_servers(hosts: &[String]) -> Vec<Option<u64>> {
    hosts.iter().map(|h| of_host(h)).collect()
}

fn of_host(host: &str) -> Option<u64> {
    let (name, port) = host.rsplit_once(':')?;
    let local = matches!(name, "localhost" | "[::1]" | "::1") || name.starts_with("127.");
    if !local {
        return None;
    }
    let inode = listening_inode(port.parse().ok()?)?;
    rss_bytes(&pid_holding(inode)?)
}

/// The inode of the socket listening on `port` (state 0A), IPv4 or IPv6.
fn listening_inode(port: u16) -> Option<u64> {
    let want = format!(":{port:04X}");
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9 && f[1].ends_with(&want) && f[3] == "0A" {
                return f[9].parse().ok();
            }
        }
    }
    None
}

/// The `/proc/PID` directory of a process holding socket `inode`.
fn pid_holding(inode: u64) -> Option<std::path::PathBuf> {
    let target = format!("socket:[{inode}]");
    for proc in std::fs::read_dir("/proc").ok()?.flatten() {
        let dir = proc.path();
        let Ok(fds) = std::fs::read_dir(dir.join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == target.as_str()) {
                return Some(dir);
            }
        }
    }
    None
}

/// VmRSS of the process at `dir`, in bytes.
fn rss_bytes(dir: &Path) -> Option<u64> {
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_of_this_process_is_found_with_its_rss() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let rss = of_servers(&[format!("127.0.0.1:{port}"), "10.1.2.3:2181".into()]);
        assert!(rss[0].is_some_and(|b| b > 1 << 20), "{rss:?}");
        assert_eq!(rss[1], None, "a remote host is not measured");
    }
}
