//! The value mapping between the model's small domains and the implementation's types:
//! server ids (model 0.., implementation 1..), zxids, votes, notifications, quorum packets,
//! roles and transactions. A value the implementation holds outside the model's domain maps
//! to `None`, which the caller reports as a mismatch.

use crate::shared::machine::Txns;
use zab::replica::{Notification as INote, Packet, ServerId, ServerState, Vote as IVote};
use zab::sim::values::Values;
use zab::txn::{Txn as ITxn, TxnEntry, TxnHeader};
use zab::Zxid as IZxid;
use zab_model::msg::{Msg, Notification as MNote, Vote as MVote};
use zab_model::types::{Hist, ServerState as MState, Sid, Txn as MTxn, Zxid as MZxid, MAX_TXNS};

/// Model server `s` is implementation server `s + 1` (ZooKeeper's myid starts at 1).
pub fn server(s: Sid) -> ServerId {
    s as ServerId + 1
}

/// Implementation server `id` (myid, from 1) is model server `id - 1`.
pub fn sid(id: ServerId) -> Sid {
    (id - 1) as Sid
}

/// A model zxid `e.c` as the implementation's zxid, `e << 32 | c`.
pub fn zxid(z: MZxid) -> IZxid {
    IZxid::new(z.epoch as u32, z.counter as u32)
}

/// An implementation zxid in the model's domain, `None` when it does not fit (a mismatch).
pub fn model_zxid(z: IZxid) -> Option<MZxid> {
    Some(MZxid::new(
        u8::try_from(z.epoch()).ok()?,
        u8::try_from(z.counter()).ok()?,
    ))
}

/// A ZooKeeper server state (LOOKING, FOLLOWING, LEADING, OBSERVING) as the model's role.
pub fn role(s: ServerState) -> MState {
    match s {
        ServerState::Looking => MState::Looking,
        ServerState::Following => MState::Following,
        ServerState::Leading => MState::Leading,
        ServerState::Observing => MState::Observing,
    }
}

/// The implementation's vote in the model's terms (`None` if it leaves the domain).
pub fn model_vote(v: IVote) -> Option<MVote> {
    Some(MVote {
        leader: v.leader.map(sid),
        zxid: model_zxid(v.zxid)?,
        epoch: u8::try_from(v.epoch).ok()?,
    })
}

/// An implementation notification (sender's state, round, vote) as the model's; `None` if its
/// round or vote leaves the domain.
pub fn model_notification(n: &INote) -> Option<MNote> {
    Some(MNote {
        state: role(n.state),
        round: u8::try_from(n.round).ok()?,
        vote: model_vote(n.vote)?,
    })
}

/// The transaction the implementation logs for a model transaction: the value travels in
/// the body, as the simulator's state machine expects.
pub fn entry(t: MTxn) -> TxnEntry {
    TxnEntry {
        header: TxnHeader {
            session_id: 1,
            cxid: t.value as i32,
            zxid: zxid(t.zxid),
            time: 0,
        },
        txn: ITxn::SetData {
            path: "/values".into(),
            data: Values::body(t.value as u64).into(),
            version: -1,
        },
    }
}

/// The model transaction an implementation entry stands for.
pub fn model_txn(e: &TxnEntry) -> Option<MTxn> {
    Some(MTxn {
        zxid: model_zxid(e.zxid())?,
        value: u8::try_from(Values::value_of(e)?).ok()?,
    })
}

/// A model history from implementation transactions (`None` if one leaves the domain).
pub fn hist(txns: impl IntoIterator<Item = (IZxid, u64)>) -> Option<Hist> {
    let mut h = Hist::EMPTY;
    for (z, v) in txns {
        if h.len() == MAX_TXNS {
            return None;
        }
        h.push(MTxn {
            zxid: model_zxid(z)?,
            value: u8::try_from(v).ok()?,
        });
    }
    Some(h)
}

/// The history a snapshot holds.
pub fn snapshot_hist(bytes: &[u8]) -> Option<Hist> {
    hist(Txns::decode(bytes)?)
}

/// The value a forwarded request carries.
fn request_value(body: &[u8]) -> Option<u8> {
    let v = u64::from_be_bytes(body.try_into().ok()?);
    u8::try_from(v).ok()
}

/// An implementation quorum packet as the model's message (`None` for PING, which the
/// model abstracts away, and for values outside the domain).
pub fn model_msg(p: &Packet) -> Option<Msg> {
    let small = |e: u32| u8::try_from(e).ok();
    Some(match p {
        Packet::FollowerInfo { accepted_epoch } => Msg::FollowerInfo {
            accepted_epoch: small(*accepted_epoch)?,
        },
        Packet::LeaderInfo { epoch } => Msg::LeaderInfo {
            epoch: small(*epoch)?,
        },
        Packet::AckEpoch {
            current_epoch,
            last_zxid,
        } => Msg::AckEpoch {
            current_epoch: match current_epoch {
                Some(e) => Some(small(*e)?),
                None => None,
            },
            last: model_zxid(*last_zxid)?,
        },
        Packet::Diff { zxid } => Msg::Diff {
            zxid: model_zxid(*zxid)?,
        },
        Packet::Trunc { zxid } => Msg::Trunc {
            zxid: model_zxid(*zxid)?,
        },
        Packet::Snap { zxid, snapshot } => Msg::Snap {
            zxid: model_zxid(*zxid)?,
            snapshot: snapshot_hist(&snapshot.bytes())?,
        },
        Packet::Proposal(e) => Msg::Proposal { txn: model_txn(e)? },
        Packet::Commit { zxid } => Msg::Commit {
            zxid: model_zxid(*zxid)?,
        },
        Packet::NewLeader { epoch } => Msg::NewLeader {
            epoch: small(*epoch)?,
        },
        Packet::Ack { zxid } => Msg::Ack {
            zxid: model_zxid(*zxid)?,
        },
        Packet::UpToDate => Msg::UpToDate,
        Packet::Inform(e) => Msg::Inform { txn: model_txn(e)? },
        // The token names the read at its server; the model has one read per server.
        Packet::ReadIndex { .. } => Msg::ReadIndex,
        Packet::Confirm { round } => Msg::Confirm {
            round: u8::try_from(*round).ok()?,
        },
        Packet::ConfirmAck { round } => Msg::ConfirmAck {
            round: u8::try_from(*round).ok()?,
        },
        Packet::ReadIndexReply { zxid, .. } => Msg::ReadIndexReply {
            zxid: model_zxid(*zxid)?,
        },
        Packet::Request(r) => Msg::Request {
            value: request_value(&r.body)?,
        },
        Packet::Ping => return None,
    })
}
