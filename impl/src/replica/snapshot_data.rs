//! A snapshot's state, serialized whenever its bytes are read. The replica takes a periodic
//! snapshot inside a step, but serializing a large state there would stall every caller of
//! the step (a server's core thread: 18 ms at 100k znodes, and it grows with the tree).
//! Taking a copy of the state is cheap instead (the DataTree's persistent maps share their
//! nodes), so the step keeps that copy and whoever needs the bytes — a server's snapshot
//! writer thread, a TRUNC's reload, the simulator's disk — serializes it there. The bytes
//! are the same wherever and however often that happens: serialization is a function of
//! the state.
//!
//! The bytes are not kept: the replica holds its base snapshot for as long as the log after
//! it, and serialized bytes are a second copy of every znode (about 150 bytes each, 150 MB at
//! a million znodes), where the state copy costs only the map nodes that changed since. A
//! snapshot restored from bytes (a disk at start-up, a SNAP) is kept as a copy of the state
//! it restored to, for the same reason.

use super::io::StateMachine;
use std::fmt;
use std::sync::Arc;

/// How the bytes are made, as often as asked: from the state copy taken at the snapshot's
/// zxid.
type Serialize = Box<dyn Fn() -> Vec<u8> + Send + Sync>;

/// A snapshot's state: a copy, serialized when read.
#[derive(Clone)]
pub struct SnapshotData(Arc<Serialize>);

impl SnapshotData {
    /// `state` as it is now, serialized when read.
    pub fn of<S: StateMachine>(state: &S) -> SnapshotData {
        let state = state.clone();
        SnapshotData(Arc::new(Box::new(move || state.snapshot())))
    }

    /// The bytes, serialized now by this thread.
    pub fn bytes(&self) -> Arc<Vec<u8>> {
        Arc::new((self.0)())
    }
}

impl fmt::Debug for SnapshotData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SnapshotData(a state copy)")
    }
}

/// Equal when they serialize to the same bytes (serializing both unless they are one).
impl PartialEq for SnapshotData {
    fn eq(&self, other: &SnapshotData) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.bytes() == other.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::SnapshotData;
    use crate::replica::io::StateMachine;
    use crate::txn::{Txn, TxnEntry};
    use crate::zxid::Zxid;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static SERIALIZED: AtomicUsize = AtomicUsize::new(0);

    /// A state that counts its serializations.
    #[derive(Clone)]
    struct Counted(u8);

    impl StateMachine for Counted {
        type Outcome = ();
        fn prepare(&self, _: i64, _: &[u8], _: Zxid, _: i64) -> Txn {
            unreachable!("this state is never written to")
        }
        fn apply(&mut self, _: &TxnEntry) {
            self.0 += 1;
        }
        fn snapshot(&self) -> Vec<u8> {
            SERIALIZED.fetch_add(1, Ordering::SeqCst);
            vec![self.0]
        }
        fn restore(&self, bytes: &[u8]) -> Option<Counted> {
            bytes.first().map(|&b| Counted(b))
        }
    }

    /// The state is copied when the snapshot is taken and serialized only when read, on the
    /// reading thread, each time: the bytes are not kept beside the copy.
    #[test]
    fn snapshot_data_is_serialized_when_read_and_not_kept() {
        let mut state = Counted(7);
        let data = SnapshotData::of(&state);
        state.0 = 9; // the state goes on; the snapshot keeps the copy
        assert_eq!(state.restore(&[state.0]).map(|s| s.0), Some(9));
        assert_eq!(SERIALIZED.load(Ordering::SeqCst), 0);
        let clone = data.clone();
        let bytes = std::thread::spawn(move || clone.bytes()).join().unwrap();
        assert_eq!(*bytes, vec![7]);
        assert_eq!(SERIALIZED.load(Ordering::SeqCst), 1);
        assert_eq!(*data.bytes(), vec![7]);
        assert_eq!(SERIALIZED.load(Ordering::SeqCst), 2);
        assert_eq!(data, SnapshotData::of(&Counted(7)));
        assert_ne!(data, SnapshotData::of(&Counted(9)));
    }
}
