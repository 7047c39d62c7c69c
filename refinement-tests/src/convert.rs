//! The value mapping between the model's small domains and the implementation's types:
//! server ids (model 0.., implementation 1..), zxids, votes, notifications, roles and
//! transaction values.

use zab::replica::{Notification as INote, ServerId, ServerState, Vote as IVote};
use zab::sim::values::Values;
use zab::txn::{Txn as ITxn, TxnEntry, TxnHeader};
use zab::Zxid as IZxid;
use zab_model::msg::{Notification as MNote, Vote as MVote};
use zab_model::types::{Role, Sid, Txn as MTxn, Zxid as MZxid};

/// Model server `s` is implementation server `s + 1` (ZooKeeper's myid starts at 1).
pub fn server(s: Sid) -> ServerId {
    s as ServerId + 1
}

pub fn sid(id: ServerId) -> Sid {
    (id - 1) as Sid
}

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

pub fn role(s: ServerState) -> Role {
    match s {
        ServerState::Looking => Role::Looking,
        ServerState::Following => Role::Following,
        ServerState::Leading => Role::Leading,
        ServerState::Observing => Role::Observing,
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
            data: Values::body(t.value as u64),
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
