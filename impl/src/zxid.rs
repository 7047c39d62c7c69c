//! Transaction ids: the epoch of the leader that proposed the transaction in the high 32 bits,
//! a counter within that epoch in the low 32 bits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A zxid, ZooKeeper's transaction id. Ordering by the raw `u64` orders by epoch, then by
/// counter, which is the order Zab delivers transactions in.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Zxid(pub u64);

impl Zxid {
    /// Epoch 0, counter 0: the zxid of an empty history, before any transaction.
    pub const ZERO: Zxid = Zxid(0);

    /// The zxid of the `counter`th transaction proposed in `epoch`.
    pub fn new(epoch: u32, counter: u32) -> Zxid {
        Zxid(((epoch as u64) << 32) | counter as u64)
    }

    /// The high 32 bits: the epoch of the leader that proposed the transaction.
    pub fn epoch(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The low 32 bits: the transaction's number within its epoch. An epoch's first proposal
    /// has counter 1; counter 0 names the epoch's start (the zxid NEWLEADER is ACKed with).
    pub fn counter(self) -> u32 {
        self.0 as u32
    }

    /// The next zxid of the same epoch, or `None` when the counter would roll over (ZooKeeper
    /// then forces a new election, so the next proposal gets a new epoch).
    pub fn next(self) -> Option<Zxid> {
        self.counter()
            .checked_add(1)
            .map(|c| Zxid::new(self.epoch(), c))
    }
}

impl fmt::Debug for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

impl fmt::Display for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_the_high_half() {
        let z = Zxid::new(3, 7);
        assert_eq!(z.0, 0x0000_0003_0000_0007);
        assert_eq!((z.epoch(), z.counter()), (3, 7));
        assert!(Zxid::new(2, u32::MAX) < Zxid::new(3, 0));
        assert_eq!(Zxid::new(1, u32::MAX).next(), None);
        assert_eq!(Zxid::new(1, 1).next(), Some(Zxid::new(1, 2)));
    }
}
