//! The replica's disk outputs carried out on both backends (`storage::driver`).

use super::*;
use crate::replica::{Output, PeerMsg, SnapshotData};
use crate::storage::driver::execute;
use crate::storage::{recover_durable, DEFAULT_MAX_LOG_FILE_SIZE};

fn run(b: &mut dyn Backend, outputs: Vec<Output<()>>) {
    for o in outputs {
        assert_eq!(execute(b.storage(), o).unwrap(), None, "{}", b.name());
    }
}

#[test]
fn epochs_and_synced_appends_are_durable_and_queued_appends_are_not() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        run(
            b.as_mut(),
            vec![
                Output::SaveAcceptedEpoch(2),
                Output::SaveCurrentEpoch(1),
                Output::Append {
                    entries: entries(1, 1, 2),
                    fsync: true,
                },
                Output::Append {
                    entries: entries(1, 3, 3),
                    fsync: false,
                },
            ],
        );
        b.crash();
        let (d, _) = recover_durable(b.storage()).unwrap();
        assert_eq!((d.accepted_epoch, d.current_epoch), (2, 1), "{}", b.name());
        assert_eq!(
            d.log,
            entries(1, 1, 2),
            "{}: the queued 1.3 is lost",
            b.name()
        );
    }
}

#[test]
fn an_empty_synced_append_is_the_sync_threads_drain() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let queued = Output::Append {
            entries: entries(1, 1, 2),
            fsync: false,
        };
        let drain = Output::Append {
            entries: vec![],
            fsync: true,
        };
        run(b.as_mut(), vec![queued, drain]);
        b.crash();
        let (d, _) = recover_durable(b.storage()).unwrap();
        assert_eq!(d.log, entries(1, 1, 2), "{}", b.name());
    }
}

#[test]
fn an_installed_snapshot_supersedes_the_divergent_tail_above_it() {
    for mut b in backends(DEFAULT_MAX_LOG_FILE_SIZE) {
        let mut log = entries(1, 1, 2);
        log.extend(entries(2, 1, 2)); // 2.1 and 2.2 were never committed
        run(
            b.as_mut(),
            vec![
                Output::Append {
                    entries: log,
                    fsync: true,
                },
                Output::InstallSnapshot {
                    zxid: z(1, 5),
                    data: SnapshotData::from_bytes(b"state at 1.5".to_vec()),
                },
            ],
        );
        b.crash();
        let (d, _) = recover_durable(b.storage()).unwrap();
        let (zxid, bytes) = d.snapshot.expect("the snapshot");
        assert_eq!((zxid, bytes.as_slice()), (z(1, 5), &b"state at 1.5"[..]));
        assert_eq!(
            d.log,
            vec![],
            "{}: nothing of epoch 2 is replayed",
            b.name()
        );
        assert_eq!(b.storage().last_logged_zxid(), z(1, 2), "{}", b.name());
        // The log goes on from the snapshot.
        run(
            b.as_mut(),
            vec![Output::Append {
                entries: entries(3, 1, 1),
                fsync: true,
            }],
        );
        let (d, _) = recover_durable(b.storage()).unwrap();
        assert_eq!(d.log, entries(3, 1, 1), "{}", b.name());
    }
}

#[test]
fn other_outputs_are_handed_back() {
    let mut mem = MemStorage::default();
    let send: Output<()> = Output::Send {
        to: 2,
        msg: PeerMsg::Quorum(crate::replica::Packet::Ping),
    };
    assert_eq!(execute(&mut mem, send.clone()).unwrap(), Some(send));
}
