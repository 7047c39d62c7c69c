//! Multi: all operations or none. Preparing validates each operation against a scratch clone
//! that already has the earlier operations applied (ZooKeeper's per-zxid change records), so
//! `create /a` then `create /a/b` succeeds. At the first failure that operation becomes an
//! error transaction with its code and every later one `RuntimeInconsistency`, unexamined;
//! the earlier ones keep their transactions, and applying the multi then reports code 0 for
//! them and changes nothing.

use super::apply::{OpResult, TxnResult};
use super::request::{Op, RequestContext};
use super::DataTree;
use crate::error::ZkError;
use crate::txn::{Txn, TxnHeader};
use crate::watch::WatchTrigger;

pub(super) fn prepare(tree: &DataTree, ops: &[Op], ctx: &RequestContext) -> Txn {
    // O(1): the scratch tree shares every node it does not change.
    let mut scratch = tree.clone();
    let header = ctx.header();
    let mut txns = Vec::with_capacity(ops.len());
    let mut failed = false;
    for op in ops {
        if failed {
            txns.push(Txn::Error(ZkError::RuntimeInconsistency));
            continue;
        }
        match scratch.prepare_op(op, ctx) {
            Ok(txn) => {
                scratch.apply_txn(&header, &txn, &mut Vec::new());
                txns.push(txn);
            }
            Err(e) => {
                failed = true;
                txns.push(Txn::Error(e));
            }
        }
    }
    Txn::Multi(txns)
}

pub(super) fn apply(
    tree: &mut DataTree,
    hdr: &TxnHeader,
    txns: &[Txn],
    triggers: &mut Vec<WatchTrigger>,
) -> TxnResult {
    let failed = txns.iter().any(|t| matches!(t, Txn::Error(_)));
    let mut past_failure = false;
    let results = txns
        .iter()
        .map(|txn| {
            if let Txn::Error(e) = txn {
                past_failure = true;
                return OpResult::Error { code: e.code() };
            }
            if failed {
                let code = if past_failure {
                    ZkError::RuntimeInconsistency.code()
                } else {
                    0
                };
                return OpResult::Error { code };
            }
            apply_op(tree, hdr, txn, triggers)
        })
        .collect();
    TxnResult::Multi(results)
}

fn apply_op(
    tree: &mut DataTree,
    hdr: &TxnHeader,
    txn: &Txn,
    triggers: &mut Vec<WatchTrigger>,
) -> OpResult {
    let result = match txn {
        Txn::Create { path, .. } => {
            tree.create_node(hdr, txn, triggers)
                .map(|stat| OpResult::Create {
                    path: path.clone(),
                    stat,
                })
        }
        Txn::Delete { path } => tree
            .delete_node(path, hdr.zxid, triggers)
            .map(|()| OpResult::Delete),
        Txn::SetData {
            path,
            data,
            version,
        } => tree
            .set_data(hdr, path, data, *version, triggers)
            .map(|stat| OpResult::SetData { stat }),
        Txn::Check { .. } => Ok(OpResult::Check),
        // Nothing else can be part of a multi; ZooKeeper fails to decode such a record.
        _ => Err(ZkError::MarshallingError),
    };
    result.unwrap_or_else(|e| OpResult::Error { code: e.code() })
}
