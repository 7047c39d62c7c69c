//! A snapshot's state, serialized whenever its bytes are needed. The replica takes a
//! periodic snapshot, and a leader sends a SNAP, inside a step, but serializing a large state
//! there would stall every caller of the step (a server's core thread: 18 ms at 100k znodes,
//! and it grows with the tree). Taking a copy of the state is cheap instead (the DataTree's
//! persistent maps share their nodes), so the step keeps that copy and whoever needs the
//! bytes — a server's snapshot writer thread, a peer link streaming a SNAP, a TRUNC's reload,
//! the simulator's disk — serializes it there, streaming it where it goes. The bytes are the
//! same wherever and however often that happens: serialization is a function of the state.
//!
//! The bytes are not kept: the replica holds its base snapshot for as long as the log after
//! it, and serialized bytes are a second copy of every znode (about 150 bytes each, 150 MB at
//! a million znodes), where the state copy costs only the map nodes that changed since. A
//! snapshot restored from bytes (a disk at start-up, a SNAP) is kept as a copy of the state
//! it restored to, for the same reason. Only a snapshot decoded from a recorded trace holds
//! bytes, which the replica restores when it reads them.

use super::io::StateMachine;
use std::any::Any;
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

/// A state copy, type-erased so that packets and outputs need not name the state machine.
trait Copied: Send + Sync {
    fn write(&self, out: &mut dyn Write) -> io::Result<()>;
    fn as_any(&self) -> &dyn Any;
}

impl<S: StateMachine> Copied for S {
    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        self.write_snapshot(out)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Clone)]
enum Held {
    State(Arc<dyn Copied>),
    Bytes(Arc<Vec<u8>>),
}

/// A snapshot's state: a copy, serialized when read.
#[derive(Clone)]
pub struct SnapshotData(Held);

impl SnapshotData {
    /// `state` as it is now, serialized when read.
    pub fn of<S: StateMachine>(state: &S) -> SnapshotData {
        SnapshotData(Held::State(Arc::new(state.clone())))
    }

    /// A snapshot already serialized (decoded from a trace, or a test's bytes).
    pub fn from_bytes(bytes: Vec<u8>) -> SnapshotData {
        SnapshotData(Held::Bytes(Arc::new(bytes)))
    }

    /// Serializes into `out` now, on this thread, streaming.
    pub fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        match &self.0 {
            Held::State(state) => state.write(out),
            Held::Bytes(bytes) => out.write_all(bytes),
        }
    }

    /// The bytes, serialized now by this thread.
    pub fn bytes(&self) -> Arc<Vec<u8>> {
        match &self.0 {
            Held::State(state) => {
                let mut out = Vec::new();
                if let Err(e) = state.write(&mut out) {
                    unreachable!("serializing into memory failed: {e}");
                }
                Arc::new(out)
            }
            Held::Bytes(bytes) => Arc::clone(bytes),
        }
    }

    /// The state, configured as `like` is: the copy itself if it is one of `S`, else
    /// restored from the bytes (`None` if they are not a snapshot).
    pub fn restore<S: StateMachine>(&self, like: &S) -> Option<S> {
        self.copy().or_else(|| like.restore(&self.bytes()))
    }

    /// The state copy itself, if this holds one of `S` (not bytes): a clone, cheap.
    pub fn copy<S: StateMachine>(&self) -> Option<S> {
        match &self.0 {
            Held::State(state) => state.as_any().downcast_ref::<S>().cloned(),
            Held::Bytes(_) => None,
        }
    }

    /// Whether `self` and `other` are the one copy (or the one buffer), not merely equal.
    pub fn same(&self, other: &SnapshotData) -> bool {
        match (&self.0, &other.0) {
            (Held::State(a), Held::State(b)) => std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)),
            (Held::Bytes(a), Held::Bytes(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Debug for SnapshotData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Held::State(_) => f.write_str("SnapshotData(a state copy)"),
            Held::Bytes(b) => write!(f, "SnapshotData({} bytes)", b.len()),
        }
    }
}

/// Equal when they serialize to the same bytes (serializing both unless they are one).
impl PartialEq for SnapshotData {
    fn eq(&self, other: &SnapshotData) -> bool {
        self.same(other) || self.bytes() == other.bytes()
    }
}

impl Eq for SnapshotData {}

impl crate::storage::SnapshotSource for SnapshotData {
    fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        SnapshotData::write_to(self, out)
    }
}

/// As its bytes (a trace records a SNAP's state serialized).
impl serde::Serialize for SnapshotData {
    fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        serde::Serialize::serialize(&*self.bytes(), s)
    }
}

impl<'de> serde::Deserialize<'de> for SnapshotData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SnapshotData, D::Error> {
        Vec::<u8>::deserialize(d).map(SnapshotData::from_bytes)
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
        fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
            SERIALIZED.fetch_add(1, Ordering::SeqCst);
            out.write_all(&[self.0])
        }
        fn read_snapshot(&self, input: &mut dyn std::io::Read) -> std::io::Result<Counted> {
            let mut b = [0u8];
            input.read_exact(&mut b)?;
            Ok(Counted(b[0]))
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

    static TALLIED: AtomicUsize = AtomicUsize::new(0);

    /// `Counted` with a count of its own, for a test that runs beside the other.
    #[derive(Clone)]
    struct Tallied(u8);

    impl StateMachine for Tallied {
        type Outcome = ();
        fn prepare(&self, _: i64, _: &[u8], _: Zxid, _: i64) -> Txn {
            unreachable!("this state is never written to")
        }
        fn apply(&mut self, _: &TxnEntry) {}
        fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
            TALLIED.fetch_add(1, Ordering::SeqCst);
            out.write_all(&[self.0])
        }
        fn read_snapshot(&self, input: &mut dyn std::io::Read) -> std::io::Result<Tallied> {
            let mut b = [0u8];
            input.read_exact(&mut b)?;
            Ok(Tallied(b[0]))
        }
    }

    /// A copy of the same state machine is handed over as it is, with no serialization (a
    /// SNAP the learner's link already restored); bytes from a trace are restored, and a
    /// snapshot travels through serde as its bytes.
    #[test]
    fn a_state_copy_restores_without_serializing_and_bytes_restore_from_bytes() {
        let data = SnapshotData::of(&Tallied(5));
        let before = TALLIED.load(Ordering::SeqCst);
        assert_eq!(data.restore(&Tallied(0)).map(|s| s.0), Some(5));
        assert_eq!(TALLIED.load(Ordering::SeqCst), before);
        let decoded: SnapshotData =
            crate::encoding::decode(&crate::encoding::encode(&data).unwrap()).unwrap();
        assert_eq!(format!("{decoded:?}"), "SnapshotData(1 bytes)");
        assert_eq!(decoded.restore(&Tallied(0)).map(|s| s.0), Some(5));
        assert_eq!(decoded, data);
        assert!(SnapshotData::from_bytes(vec![])
            .restore(&Tallied(0))
            .is_none());
    }
}
