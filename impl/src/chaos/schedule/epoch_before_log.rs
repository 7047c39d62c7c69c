//! ZOOKEEPER-4643 as a schedule on real servers: a follower writes its new `currentEpoch`
//! before it logs the transactions a DIFF gave it, crashes in between, and later wins an
//! election with that epoch, truncating a committed transaction away from the others.
//!
//! ZooKeeper 3.8 (`Learner.syncWithLeader`, NEWLEADER): `setCurrentEpoch`, then `logRequest`
//! of the synced proposals (asynchronous). zabd logs and fsyncs them first, then writes
//! currentEpoch (its `updatingEpoch` marker repairs currentEpoch only from what the log holds).
//!
//! Three servers, tickTime 1 s, every one under the `slow_fsync` shim in its volatile mode,
//! idle until told:
//! 1. follower C is killed; a client at the leader L creates `/w`, which L and follower X
//!    log and commit: the create is acknowledged;
//! 2. L is killed; C's log becomes slow (fsyncs held 30 s) and volatile and C restarts: X
//!    (the longer log) leads a new epoch and syncs C by DIFF with `/w`;
//! 3. once C's fsync of `/w` is held (ZooKeeper has written the new currentEpoch by then),
//!    C and X are killed: C's copy of `/w` dies with its cache;
//! 4. L and C, C without the shim, elect a leader: on ZooKeeper, C's newer currentEpoch
//!    wins the vote over L's longer log, and L is told to TRUNC `/w` away; then X is back.
//!    If the create was acknowledged and `/w` is gone, an acknowledged write was lost.

use super::{fail_over, start_with_client, trigger, wait_held, Outcome, ScheduleError, HOLD_WAIT};
use crate::chaos::cluster::Target;
use std::path::PathBuf;
use std::time::Duration;

/// How long C's log fsyncs are held: beyond step 3's kill.
const SLOW_FSYNC: Duration = Duration::from_secs(30);

/// Runs the schedule on three servers of `target` in `dir`.
pub async fn run(target: Target, dir: PathBuf) -> Result<Outcome, ScheduleError> {
    let dir = dir.as_path();
    let (mut cluster, [l, x, c], mut steps, mut client) =
        start_with_client(target, SLOW_FSYNC, dir).await?;
    cluster.kill(c);
    let acked = client.create("/w", b"w", 0).await;
    drop(client);
    steps.note(format!(
        "L=s{l} X=s{x} C=s{c}: C killed; create /w at L answered: {acked:?}"
    ));
    cluster.kill(l);
    let trigger = trigger(dir, c);
    std::fs::write(&trigger, b"")?;
    cluster.restart(c)?;
    steps.note(format!(
        "L killed; C's log slow ({SLOW_FSYNC:?}) and volatile; C restarts"
    ));
    let reached = wait_held(&cluster, c, HOLD_WAIT).await;
    steps.note(format!("C's log fsync held: {reached}; C and X killed"));
    cluster.kill(c);
    cluster.kill(x);
    cluster.restart(l)?;
    let (after_failover, finally) = fail_over(&mut cluster, &[x], c, &trigger, &mut steps).await?;
    Ok(Outcome {
        roles: format!("L=s{l} X=s{x} C=s{c}"),
        acknowledged: acked.is_ok(),
        observed: false,
        reached,
        after_failover,
        finally,
        steps: steps.into_lines(),
    })
}
