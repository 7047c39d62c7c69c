//! `dump`: the sessions and their ephemeral nodes, in ZooKeeper's layout (`DumpCommand`).
//! The leader lists its expiry buckets as `SessionTrackerImpl` does; a learner, which does not
//! expire sessions, lists the global sessions with their timeouts as `LearnerSessionTracker`
//! does. ZooKeeper's NIO connection-expiry section under "Connections dump:" is left empty:
//! zabd has no such queue.

use crate::server::core::Core;
use std::fmt::Write;
use std::time::{Duration, SystemTime};

/// The leader's expiry buckets: each deadline (wall-clock milliseconds) with the sessions
/// due then, earliest first; none on a learner, which expires no session (the admin
/// command `dump`'s `expiry_time_to_session_ids`, as ZooKeeper's learner answers it).
pub(in crate::server) fn expiry_buckets(core: &Core) -> Vec<(i64, Vec<i64>)> {
    let buckets = core.tracker.iter().flat_map(|t| t.buckets());
    buckets
        .map(|(due, ids)| (due, ids.iter().copied().collect()))
        .collect()
}

/// Each session owning ephemeral nodes, with their paths (sorted).
pub(in crate::server) fn ephemerals(core: &Core) -> Vec<(i64, Vec<String>)> {
    let tree = core.replica.state_machine().tree();
    let owners = tree.sessions_with_ephemerals().into_iter();
    owners.map(|s| (s, tree.ephemerals_of(s))).collect()
}

pub(super) fn dump(core: &Core) -> String {
    let mut s = String::from("SessionTracker dump:\n");
    match &core.tracker {
        Some(t) => {
            let buckets = expiry_buckets(core);
            let _ = writeln!(s, "Session Sets ({})/({}):", buckets.len(), t.len());
            for (due, ids) in buckets {
                let _ = writeln!(s, "{} expire at {}:", ids.len(), java_date(due));
                for id in ids {
                    let _ = writeln!(s, "\t0x{id:x}");
                }
            }
        }
        None => {
            let sessions: Vec<_> = core.replica.state_machine().sessions().collect();
            let _ = writeln!(s, "Global Sessions({}):", sessions.len());
            for (id, timeout_ms) in sessions {
                let _ = writeln!(s, "0x{id:x}\t{timeout_ms}ms");
            }
        }
    }
    s.push_str("ephemeral nodes dump:\n");
    let owners = ephemerals(core);
    let _ = writeln!(s, "Sessions with Ephemerals ({}):", owners.len());
    for (owner, paths) in owners {
        let _ = writeln!(s, "0x{owner:x}:");
        for path in paths {
            let _ = writeln!(s, "\t{path}");
        }
    }
    // ZooKeeper writes this header whatever its connection factory; only NIO's fills it.
    s.push_str("Connections dump:\n");
    s
}

/// A wall-clock time in milliseconds as Java's `Date.toString` prints it, in UTC
/// (`Sun Dec 06 06:40:00 UTC 2026`): HTTP's date has the same fields in another order.
fn java_date(ms: i64) -> String {
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    let http = httpdate::fmt_http_date(at); // "Sun, 06 Dec 2026 06:40:00 GMT"
    let f: Vec<&str> = http.split_whitespace().collect();
    match f.as_slice() {
        [day, dd, mon, yyyy, time, _] => {
            format!("{} {mon} {dd} {time} UTC {yyyy}", day.trim_end_matches(','))
        }
        _ => http,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn java_date_has_javas_field_order() {
        assert_eq!(
            super::java_date(1_501_167_408_000),
            "Thu Jul 27 14:56:48 UTC 2017"
        );
        assert_eq!(super::java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
    }
}
