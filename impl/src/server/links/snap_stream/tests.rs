//! A SNAP streamed between two ends of a pipe: the chunks, the end, what is held meanwhile,
//! and a damaged or cut stream refused.

use super::*;
use crate::acl::Acl;
use crate::database::ZkDatabase;
use crate::replica::StateMachine;
use crate::server::links::{encode, Envelope};
use crate::server::trace::MsgId;
use crate::txn::{CreateMode, Txn, TxnEntry, TxnHeader};
use crate::zxid::Zxid;
use tokio::io::AsyncReadExt;

/// Chunks of 4 KiB, back to back: a small database takes many.
const PACE: SnapPace = SnapPace {
    chunk: 4096,
    delay: Duration::ZERO,
};

/// A database of `n` znodes of 100 bytes.
fn database(n: u32) -> ZkDatabase {
    let mut db = ZkDatabase::default();
    for i in 1..=n {
        let txn = Txn::Create {
            path: format!("/n{i}"),
            data: vec![i as u8; 100].into(),
            acl: Acl::open_unsafe().into(),
            mode: CreateMode::Persistent,
            parent_cversion: i as i32,
            ttl: 0,
        };
        let zxid = Zxid::new(1, i);
        let header = TxnHeader {
            session_id: 1,
            cxid: i as i32,
            zxid,
            time: 0,
        };
        db.apply(&TxnEntry { header, txn });
    }
    db
}

fn restorer() -> Restorer {
    Arc::new(|input| {
        let db = ZkDatabase::default().read_snapshot(input)?;
        Ok(SnapshotData::of(&db))
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The SnapBegin head for the SNAP at zxid 1.9.
fn head() -> Vec<u8> {
    let id = MsgId { life: 1, seq: 1 };
    encode(&Envelope::SnapBegin {
        zxid: Zxid::new(1, 9),
        id,
    })
}

/// Sends `db` in chunks of `chunk` through a pipe and receives it at the other end, which
/// says it is still streaming at every chunk; what was queued for the link meanwhile is
/// handed back held, not written.
#[test]
fn a_snapshot_streams_in_chunks_and_arrives_whole() {
    let db = database(2_000);
    let rt = runtime();
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let (cmds, mut rx) = mpsc::channel(16);
    let snap = SnapSend {
        head: head(),
        data: SnapshotData::of(&db),
        pace: PACE,
    };
    let (sent, held, received, streaming) = rt.block_on(async move {
        let mut stream: PeerStream = Box::new(ours);
        let sender = tokio::spawn(async move {
            let mut held = VecDeque::new();
            let sent = send(&mut stream, snap, &mut rx, &mut held).await;
            (sent, held)
        });
        cmds.send(LinkCmd::Send(vec![1, 2, 3])).await.unwrap();
        let mut theirs = theirs;
        let mut len = [0u8; 4];
        theirs.read_exact(&mut len).await.unwrap();
        let mut begin = vec![0; u32::from_be_bytes(len) as usize];
        theirs.read_exact(&mut begin).await.unwrap();
        let begin: Envelope = crate::encoding::decode(&begin).unwrap();
        assert!(matches!(begin, Envelope::SnapBegin { .. }), "{begin:?}");
        let mut streaming = 0;
        let received = receive(&mut theirs, &restorer(), || streaming += 1).await;
        let (sent, held) = sender.await.unwrap();
        drop(cmds);
        (sent, held, received, streaming)
    });
    assert_eq!(sent, Streamed::Sent);
    assert!(matches!(held.front(), Some(LinkCmd::Send(b)) if b == &[1, 2, 3]));
    let (data, tally) = received.unwrap();
    let bytes = db.snapshot();
    assert_eq!(tally.bytes, bytes.len() as u64);
    assert_eq!(tally.chunks, bytes.len().div_ceil(PACE.chunk) as u64);
    assert!(tally.chunks > 50, "{tally:?}");
    assert_eq!(streaming, tally.chunks);
    let restored = data.restore(&ZkDatabase::default()).unwrap();
    assert_eq!(restored.snapshot(), bytes);
}

/// Raw chunk frames of `bytes`, `chunk` bytes each, then the end (an empty frame) if `end`.
fn frames(bytes: &[u8], chunk: usize, end: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for c in bytes.chunks(chunk) {
        out.extend_from_slice(&(c.len() as u32).to_be_bytes());
        out.extend_from_slice(c);
    }
    if end {
        out.extend_from_slice(&[0; 4]);
    }
    out
}

fn receive_bytes(wire: Vec<u8>) -> Result<(SnapshotData, Tally), String> {
    runtime().block_on(async move {
        let mut input = &wire[..];
        receive(&mut input, &restorer(), || {}).await
    })
}

/// A damaged chunk, a stream cut before its end, bytes after the snapshot, a frame over the
/// chunk bound: each is refused with the reason, none panics or hangs.
#[test]
fn a_damaged_or_cut_snap_is_refused() {
    let bytes = database(300).snapshot();
    assert!(receive_bytes(frames(&bytes, 1000, true)).is_ok());
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    let err = receive_bytes(frames(&flipped, 1000, true)).unwrap_err();
    assert!(err.contains("not a snapshot"), "{err}");
    let err = receive_bytes(frames(&bytes, 1000, false)).unwrap_err();
    assert!(err.contains("the stream broke"), "{err}");
    let err = receive_bytes(frames(&bytes[..bytes.len() - 10], 1000, true)).unwrap_err();
    assert!(err.contains("not a snapshot"), "{err}");
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"more");
    let err = receive_bytes(frames(&longer, 1000, true)).unwrap_err();
    assert!(err.contains("bytes follow the snapshot"), "{err}");
    let mut huge = ((MAX_CHUNK + 1) as u32).to_be_bytes().to_vec();
    huge.extend_from_slice(&[0; 64]);
    let err = receive_bytes(huge).unwrap_err();
    assert!(err.contains("the stream broke"), "{err}");
}

/// A link the core closes while its SNAP streams stops at once; one whose peer takes
/// nothing while the core queues more than `HELD_BYTES` gives up on the peer.
#[test]
fn a_snap_stops_when_the_link_closes_or_the_peer_falls_too_far_behind() {
    let db = database(2_000);
    let rt = runtime();
    for close in [true, false] {
        let data = SnapshotData::of(&db);
        let outcome = rt.block_on(async {
            // The peer reads nothing: the pipe fills and the stream waits.
            let (ours, _theirs) = tokio::io::duplex(1024);
            let mut stream: PeerStream = Box::new(ours);
            let (cmds, mut rx) = mpsc::channel(64);
            let snap = SnapSend {
                head: head(),
                data,
                pace: PACE,
            };
            let sender = tokio::spawn(async move {
                let mut held = VecDeque::new();
                send(&mut stream, snap, &mut rx, &mut held).await
            });
            if close {
                cmds.send(LinkCmd::Close).await.unwrap();
            } else {
                for _ in 0..=HELD_BYTES / (16 << 20) {
                    cmds.send(LinkCmd::Send(vec![0; 16 << 20])).await.unwrap();
                }
            }
            tokio::time::timeout(std::time::Duration::from_secs(20), sender)
                .await
                .expect("the stream ends")
                .unwrap()
        });
        let expected = if close {
            Streamed::Closed
        } else {
            Streamed::Failed
        };
        assert_eq!(outcome, expected);
    }
}
