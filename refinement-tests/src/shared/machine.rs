//! The state machine the harness replicates: the model's transactions themselves, (zxid,
//! value) in the order applied. A snapshot then carries the history it stands for, zxids
//! included, so a SNAP packet or a snapshot on disk maps back to the model's `Hist`.

use std::io::{self, Read, Write};
use zab::replica::StateMachine;
use zab::sim::values::Values;
use zab::txn::{Txn, TxnEntry};
use zab::Zxid;

/// The applied transactions as (zxid, value) pairs, in the order applied. A snapshot is those
/// pairs, 16 bytes each (zxid then value, big-endian), so it decodes back to a model history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Txns(pub Vec<(u64, u64)>);

impl Txns {
    /// The transactions a snapshot holds, or `None` if the bytes are not one.
    pub fn decode(bytes: &[u8]) -> Option<Vec<(Zxid, u64)>> {
        let t = Txns::default().restore(bytes)?;
        Some(t.0.into_iter().map(|(z, v)| (Zxid(z), v)).collect())
    }
}

impl StateMachine for Txns {
    type Outcome = u64;

    fn prepare(&self, _: i64, body: &[u8], _: Zxid, _: i64) -> Txn {
        Txn::SetData {
            path: "/values".into(),
            data: body.to_vec().into(),
            version: self.0.len() as i32,
        }
    }

    fn apply(&mut self, e: &TxnEntry) -> u64 {
        let v = Values::value_of(e).unwrap_or(0);
        self.0.push((e.zxid().0, v));
        v
    }

    fn write_snapshot(&self, out: &mut dyn Write) -> io::Result<()> {
        for (z, v) in &self.0 {
            out.write_all(&z.to_be_bytes())?;
            out.write_all(&v.to_be_bytes())?;
        }
        Ok(())
    }

    /// Reads to the end of `input`: a snapshot is the whole buffer.
    fn read_snapshot(&self, input: &mut dyn Read) -> io::Result<Txns> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes)?;
        if !bytes.len().is_multiple_of(16) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a whole number of (zxid, value) pairs",
            ));
        }
        let word = |b: &[u8]| u64::from_be_bytes(b.try_into().expect("8 bytes"));
        let pairs = bytes
            .chunks_exact(16)
            .map(|c| (word(&c[..8]), word(&c[8..])))
            .collect();
        Ok(Txns(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_round_trips_with_its_zxids_and_garbage_is_refused() {
        let t = Txns(vec![(Zxid::new(1, 1).0, 7), (Zxid::new(2, 1).0, 9)]);
        assert_eq!(
            Txns::decode(&t.snapshot()),
            Some(vec![(Zxid::new(1, 1), 7), (Zxid::new(2, 1), 9)])
        );
        assert_eq!(Txns::decode(&[1, 2, 3]), None);
    }
}
