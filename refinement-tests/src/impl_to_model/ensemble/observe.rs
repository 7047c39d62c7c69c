//! The rebuilt world as the abstraction reads it.

use super::world::World;
use crate::shared::abstraction::implementation::{DiskView, Observed, R};
use crate::shared::connection::Connections;
use crate::shared::convert;
use crate::shared::divergence::{Divergence, OrDivergence};
use std::collections::BTreeMap;
use zab::database::ZkDatabase;
use zab::replica::{Notification, Packet, PeerMsg, Plane, Replica};
use zab::txn::TxnEntry;
use zab::Zxid;
use zab_model::msg::Msg;
use zab_model::types::Sid;

impl Observed for World {
    type S = ZkDatabase;
    fn size(&self) -> usize {
        self.servers.len()
    }
    fn replica(&self, s: Sid) -> Option<&Replica<ZkDatabase>> {
        let srv = &self.servers[s as usize];
        srv.replica.as_ref().filter(|_| !srv.down)
    }
    fn disk(&self, s: Sid) -> R<DiskView> {
        Ok(self.servers[s as usize].disk.clone())
    }
    fn base(&self, s: Sid, _: &Replica<ZkDatabase>) -> R<Vec<(Zxid, u64)>> {
        Ok(self.servers[s as usize].base.clone())
    }
    fn value(&self, e: &TxnEntry) -> u64 {
        self.entry_value(e)
    }
    fn conns(&self) -> &Connections {
        &self.conns
    }
    fn held(&self, _: Sid) -> usize {
        0
    }
    fn ready_read(&self, s: Sid) -> Option<Zxid> {
        self.servers[s as usize].ready_read
    }
    fn notifications(&self) -> Vec<((Sid, Sid), Notification)> {
        // Every notification its receiver will read, oldest first: the model's link holds
        // those in TCP (`Transmit`) and the one waiting.
        let mut out = Vec::new();
        for (link, q) in self.net.iter() {
            if link.plane != Plane::Election {
                continue;
            }
            for x in q.iter().filter(|x| !x.lost && !x.redundant) {
                if let PeerMsg::Election(n) = x.msg {
                    out.push(((link.from, link.to), n));
                }
            }
        }
        out
    }
    fn packets(&self) -> R<BTreeMap<(Sid, Sid), Vec<Msg>>> {
        let mut out = BTreeMap::new();
        for (link, q) in self.net.iter() {
            if link.plane == Plane::Election {
                continue;
            }
            let mut msgs = Vec::new();
            for x in q.iter().filter(|x| !x.lost) {
                let PeerMsg::Quorum(p) = &x.msg else { continue };
                if matches!(p, Packet::FollowerInfo { .. }) {
                    continue; // connection attempts are not compared (`specs/refinement.md`)
                }
                msgs.push(self.model_msg(p, x.snap.as_deref())?);
            }
            if !msgs.is_empty() {
                out.insert((link.from, link.to), msgs);
            }
        }
        Ok(out)
    }
}

impl World {
    /// A packet as the model's message: request values and snapshots from the record.
    fn model_msg(&self, p: &Packet, snap: Option<&[(Zxid, u64)]>) -> R<Msg> {
        let value = |e: &TxnEntry| -> R<zab_model::types::Txn> {
            convert::hist([(e.zxid(), self.entry_value(e))])
                .and_then(|h| h.get(0))
                .ok_or_else(|| Divergence::OutOfDomain(format!("{e:?}")))
        };
        Ok(match p {
            Packet::Proposal(e) => Msg::Proposal { txn: value(e)? },
            Packet::Inform(e) => Msg::Inform { txn: value(e)? },
            Packet::Request(r) => {
                let v = self
                    .values
                    .get(&(r.session_id, r.cxid))
                    .copied()
                    .unwrap_or(u64::MAX);
                Msg::Request {
                    value: u8::try_from(v).ok().outside("request value")?,
                }
            }
            Packet::Snap { zxid, .. } => Msg::Snap {
                zxid: convert::model_zxid(*zxid).outside("snap zxid")?,
                snapshot: convert::hist(snap.unwrap_or_default().iter().copied())
                    .outside("snapshot")?,
            },
            other => convert::model_msg(other)
                .ok_or_else(|| Divergence::OutOfDomain(format!("{other:?}")))?,
        })
    }
}
