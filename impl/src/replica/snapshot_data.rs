//! A snapshot's serialized state, made when it is first read. The replica takes a periodic
//! snapshot inside a step, but serializing a large state there would stall every caller of
//! the step (a server's core thread: 18 ms at 100k znodes, and it grows with the tree).
//! Taking a copy of the state is cheap instead (the DataTree's persistent maps share their
//! nodes), so the step keeps that copy and whoever first needs the bytes — a server's
//! snapshot writer thread, a TRUNC's reload, the simulator's disk — serializes it there.
//! The bytes are the same wherever that happens: serialization is a function of the state.

use super::io::StateMachine;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

/// How the bytes are made, once: the state copy taken at the snapshot's zxid.
type Serialize = Box<dyn FnOnce() -> Vec<u8> + Send>;

/// Serialized state, shared, made at most once (`bytes`).
#[derive(Clone)]
pub struct SnapshotData(Arc<Inner>);

struct Inner {
    bytes: OnceLock<Arc<Vec<u8>>>,
    /// Taken (and the state copy dropped) when the bytes are made.
    source: Mutex<Option<Serialize>>,
}

impl SnapshotData {
    /// Bytes that already exist (read from a disk, received in a SNAP).
    pub fn ready(bytes: Arc<Vec<u8>>) -> SnapshotData {
        SnapshotData(Arc::new(Inner {
            bytes: OnceLock::from(bytes),
            source: Mutex::new(None),
        }))
    }

    /// `state` as it is now, serialized when first read.
    pub fn of<S: StateMachine>(state: &S) -> SnapshotData {
        let state = state.clone();
        SnapshotData(Arc::new(Inner {
            bytes: OnceLock::new(),
            source: Mutex::new(Some(Box::new(move || state.snapshot()))),
        }))
    }

    /// The bytes, serialized now by this thread if no one has yet (a second reader waits for
    /// the first).
    pub fn bytes(&self) -> &Arc<Vec<u8>> {
        self.0.bytes.get_or_init(|| {
            // A poisoned lock means a serialization panicked; that panic is the report.
            let source = self.0.source.lock().map(|mut s| s.take());
            match source {
                Ok(Some(serialize)) => Arc::new(serialize()),
                _ => panic!("a snapshot's serialization failed on another thread"),
            }
        })
    }

    /// Whether the bytes have been made.
    pub fn is_serialized(&self) -> bool {
        self.0.bytes.get().is_some()
    }
}

impl fmt::Debug for SnapshotData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.bytes.get() {
            Some(b) => write!(f, "SnapshotData({} bytes)", b.len()),
            None => f.write_str("SnapshotData(not serialized yet)"),
        }
    }
}

/// Equal when they serialize to the same bytes (serializing both if need be).
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
    use std::sync::Arc;

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

    /// The state is copied when the snapshot is taken, serialized only when read, once for
    /// every clone, on the reading thread.
    #[test]
    fn snapshot_data_is_serialized_once_when_first_read() {
        let mut state = Counted(7);
        let data = SnapshotData::of(&state);
        state.0 = 9; // the state goes on; the snapshot keeps the copy
        assert_eq!(state.restore(&[state.0]).map(|s| s.0), Some(9));
        assert_eq!(SERIALIZED.load(Ordering::SeqCst), 0);
        assert!(!data.is_serialized());
        let clone = data.clone();
        let bytes = std::thread::spawn(move || clone.bytes().clone())
            .join()
            .unwrap();
        assert_eq!(*bytes, vec![7]);
        assert_eq!(**data.bytes(), vec![7]);
        assert_eq!(SERIALIZED.load(Ordering::SeqCst), 1);
        assert_eq!(data, SnapshotData::ready(Arc::new(vec![7])));
        assert_ne!(data, SnapshotData::ready(Arc::new(vec![9])));
    }
}
