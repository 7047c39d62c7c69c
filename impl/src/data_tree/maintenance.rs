//! What the leader's container manager deletes (`ContainerManager.getCandidates`): empty
//! containers and expired TTL nodes. The server turns each candidate into a
//! `Request::DeleteContainer`, which `prepare` re-checks (the node may have gained a child
//! since the scan).

use super::node::NodeKind;
use super::DataTree;
use std::collections::BTreeSet;

impl DataTree {
    /// The paths to delete at `now_ms`, sorted:
    /// - containers without children that have had one (cversion > 0 — a brand-new container
    ///   must survive until its first child arrives), or, when `max_never_used_ms` is not 0,
    ///   that have been unmodified for longer than that (`znode.container.maxNeverUsedIntervalMs`);
    /// - TTL nodes without children unmodified for longer than their TTL.
    pub fn deletion_candidates(&self, now_ms: i64, max_never_used_ms: i64) -> Vec<String> {
        let mut candidates = BTreeSet::new();
        for path in self.containers.iter() {
            let Some(node) = self.nodes.get(&**path) else {
                continue;
            };
            let idle = now_ms.saturating_sub(node.mtime);
            let never_used_expired = max_never_used_ms != 0 && idle > max_never_used_ms;
            if node.num_children == 0 && (node.cversion > 0 || never_used_expired) {
                candidates.insert(path.to_string());
            }
        }
        for path in self.ttls.iter() {
            let Some(node) = self.nodes.get(&**path) else {
                continue;
            };
            if let NodeKind::Ttl(ttl) = node.kind() {
                let idle = now_ms.saturating_sub(node.mtime);
                if node.num_children == 0 && ttl != 0 && idle > ttl {
                    candidates.insert(path.to_string());
                }
            }
        }
        candidates.into_iter().collect()
    }
}
