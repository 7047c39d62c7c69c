//! ZOOKEEPER-4785 as a schedule on real servers: a follower that a DIFF synced has written
//! its new `currentEpoch` and ACKed NEWLEADER while its sync thread has not yet logged the
//! synced transactions; the leader goes away, the follower rebuilds its state from the log
//! it has (without them) and wins the next election with that epoch, truncating a committed
//! transaction away from the others. Unlike ZOOKEEPER-4643 nothing crashes but the leader:
//! the race is inside the running follower.
//!
//! ZooKeeper 3.8 (`Learner.syncWithLeader`, NEWLEADER): `setCurrentEpoch`, `logRequest` of
//! the synced proposals (asynchronous), ACK; on losing the leader, `shutdown` fast-forwards
//! the in-memory database from the log on disk. zabd logs and fsyncs the synced transactions
//! before it writes currentEpoch or ACKs, and its vote carries the epoch its log supports.
//!
//! Three servers, tickTime 1 s, every one under the `slow_fsync` shim in its volatile mode,
//! idle until told:
//! 1. follower C is cut off from the others (its connections closed, so it gives up on L at
//!    once); a client at the leader L creates `/w`, which L and follower X log and commit:
//!    the create is acknowledged;
//! 2. X is killed; C's log becomes slow (fsyncs held 5 s) and volatile and its links heal,
//!    the one between L and C delayed 1 s each way: L (the longer log) leads a new epoch and
//!    syncs C by DIFF with `/w`. C is cut off rather than restarted so that the synced
//!    transactions go to the log file C already has: a new one, its header held in the
//!    process, would be empty on disk, and 3.8.0 cannot reload an empty log
//!    (ZOOKEEPER-2332) — it retries in a loop and never votes;
//! 3. once C's fsync of `/w` is held (ZooKeeper has written the new currentEpoch and sent
//!    its NEWLEADER ACK by then), L is killed before the delayed ACK reaches it, so no
//!    UPTODATE or COMMIT ever reaches C: C, still running, gives up on L and rebuilds its
//!    state from a log without `/w`;
//! 4. X restarts: on ZooKeeper, C's newer currentEpoch wins the vote over X's longer log and
//!    X is told to TRUNC `/w` away; then L is back. If the create was acknowledged and `/w`
//!    is gone, an acknowledged write was lost.

use super::{fail_over, start_with_client, trigger, wait_held, Outcome, ScheduleError, HOLD_WAIT};
use crate::chaos::cluster::Target;
use crate::chaos::proxy::Mode;
use std::path::PathBuf;
use std::time::Duration;

/// How long C's log fsyncs are held: past L's kill, which follows the hold by a poll.
const SLOW_FSYNC: Duration = Duration::from_secs(5);

/// How long the link between L and C delays what it carries, each way: the window between
/// C's NEWLEADER ACK and the UPTODATE it would bring back, in which L is killed.
const SYNC_DELAY: Duration = Duration::from_secs(1);

/// Runs the schedule on three servers of `target` in `dir`.
pub async fn run(target: Target, dir: PathBuf) -> Result<Outcome, ScheduleError> {
    let dir = dir.as_path();
    let (mut cluster, [l, x, c], mut steps, mut client) =
        start_with_client(target, SLOW_FSYNC, dir).await?;
    cluster.separate(&[vec![l, x], vec![c]], Mode::Cut);
    let acked = client.create("/w", b"w", 0).await;
    drop(client);
    steps.note(format!(
        "L=s{l} X=s{x} C=s{c}: C cut off; create /w at L answered: {acked:?}"
    ));
    cluster.kill(x);
    let trigger = trigger(dir, c);
    std::fs::write(&trigger, b"")?;
    cluster.partition(&[vec![l, x, c]]);
    cluster.set_quorum_link(l, c, Mode::Delay(SYNC_DELAY));
    steps.note(format!(
        "X killed; C's log slow ({SLOW_FSYNC:?}) and volatile; C's links heal, L-C delayed \
         {SYNC_DELAY:?}"
    ));
    let reached = wait_held(&cluster, c, HOLD_WAIT).await;
    steps.note(format!(
        "C's log fsync held: {reached}; L killed, C runs on"
    ));
    let (after_failover, finally) = fail_over(&mut cluster, &[l], x, &trigger, &mut steps).await?;
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
