//! The state machine the simulator replicates: a list of unique values, one per write, so
//! that every acknowledged write can be looked for in any server's state.

use crate::replica::StateMachine;
use crate::txn::{Txn, TxnEntry};
use crate::zxid::Zxid;
use std::io::{self, Read, Write};

/// The replicated list: one value per applied transaction, in zxid order (0 for a
/// transaction that carries none, such as a session's create or close).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values(pub Vec<u64>);

impl Values {
    /// The body of a write carrying `v`: its 8 bytes, big-endian.
    pub fn body(v: u64) -> Vec<u8> {
        v.to_be_bytes().to_vec()
    }

    /// The value a write's transaction carries.
    pub fn value_of(e: &TxnEntry) -> Option<u64> {
        match &e.txn {
            Txn::SetData { data, .. } => data[..].try_into().ok().map(u64::from_be_bytes),
            _ => None,
        }
    }

    /// Whether a serialized snapshot holds `v`.
    pub fn snapshot_holds(bytes: &[u8], v: u64) -> bool {
        Values::default()
            .restore(bytes)
            .is_some_and(|s| s.0.contains(&v))
    }
}

impl StateMachine for Values {
    type Outcome = u64;

    fn prepare(&self, _: i64, body: &[u8], _: Zxid, _: i64) -> Txn {
        Txn::SetData {
            path: "/values".into(),
            data: body.into(),
            version: self.0.len() as i32,
        }
    }

    fn apply(&mut self, e: &TxnEntry) -> u64 {
        let v = Values::value_of(e).unwrap_or(0);
        self.0.push(v);
        v
    }

    fn write_snapshot(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(&crate::encoding::encode(&self.0).map_err(io::Error::other)?)
    }

    /// Reads to the end of `input`: the simulator's snapshots are whole buffers.
    fn read_snapshot(&self, input: &mut dyn Read) -> io::Result<Values> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes)?;
        crate::encoding::decode(&bytes)
            .map(Values)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}
