//! ZOOKEEPER-4646 as a schedule on real servers: a follower ACKs NEWLEADER before its sync
//! thread has made the synced transactions durable, so a new leader is established on the
//! strength of a copy that a crash then loses.
//!
//! ZooKeeper 3.8 (`Learner.syncWithLeader`, a DIFF sync): the synced PROPOSALs wait in
//! `packetsNotCommitted`; at NEWLEADER the follower writes `currentEpoch`, hands them to its
//! SyncRequestProcessor (`logRequest`, asynchronous) and sends the ACK at once. zabd logs and
//! fsyncs the synced transactions before it writes currentEpoch and ACKs.
//!
//! Three servers, tickTime 1 s, every one under the `slow_fsync` shim in its volatile mode,
//! idle until told:
//! 1. a client opens its session at the leader L;
//! 2. followers X and C are killed, and the client creates `/w` at once: L logs the proposal
//!    (no follower can ACK it, the create is never answered) and soon gives up leading;
//! 3. C's log becomes slow (fsyncs held 30 s) and volatile, and C restarts: L, whose log is
//!    the longer, is elected again and syncs C by DIFF, with `/w`'s proposal in it;
//! 4. the client resumes its session at L (a new session would need a quorum, and C's sync
//!    thread is held) and reads `/w` after a `sync`: it exists if L was established, which
//!    takes C's NEWLEADER ACK;
//! 5. L and C are killed (C's unsynced write dies with it); X and C, without the shim, elect
//!    a leader; then L is back. If a client saw `/w` and it is gone, a committed write was
//!    lost.

use super::{exists_as, fail_over, held, start_three, trigger, Outcome, ScheduleError, Steps};
use crate::chaos::client::Client;
use crate::chaos::cluster::Target;
use std::path::PathBuf;
use std::time::Duration;

/// How long C's log fsyncs are held: beyond the read of step 4.
const SLOW_FSYNC: Duration = Duration::from_secs(30);

/// How long step 4 tries to read `/w`.
const READ_WAIT: Duration = Duration::from_secs(15);

/// Runs the schedule on three servers of `target` in `dir`.
pub async fn run(target: Target, dir: PathBuf) -> Result<Outcome, ScheduleError> {
    let dir = dir.as_path();
    let (mut cluster, [l, x, c]) = start_three(target, Vec::new(), SLOW_FSYNC, dir).await?;
    let mut steps = Steps::new();
    let mut client =
        Client::connect(cluster.client_addr(l), 60_000, Duration::from_secs(30)).await?;
    cluster.kill(x);
    cluster.kill(c);
    let answer = tokio::time::timeout(Duration::from_secs(2), client.create("/w", b"w", 0)).await;
    let session = client.credentials();
    drop(client);
    steps.note(format!(
        "L=s{l} X=s{x} C=s{c}: X and C killed; create /w at L answered: {answer:?}"
    ));
    let trigger = trigger(dir, c);
    std::fs::write(&trigger, b"")?;
    cluster.restart(c)?;
    steps.note(format!(
        "C's log slow ({SLOW_FSYNC:?}) and volatile; C restarts"
    ));
    // Bounded: past C's hold, L would be established however it got there.
    let at_l = [l];
    let read = exists_as(&cluster, &at_l, "/w", READ_WAIT, Some(&session));
    let seen = tokio::time::timeout(READ_WAIT, read).await.ok().flatten();
    let reached = held(cluster.log(c), "/log.");
    steps.note(format!(
        "/w read at L: {seen:?}; C's log fsync held: {reached}"
    ));
    cluster.kill(l);
    cluster.kill(c);
    cluster.restart(x)?;
    let (after_failover, finally) =
        fail_over(&mut cluster, &[l, c], c, &trigger, &mut steps).await?;
    Ok(Outcome {
        roles: format!("L=s{l} X=s{x} C=s{c}"),
        acknowledged: false,
        observed: seen == Some(true),
        reached,
        after_failover,
        finally,
        steps: steps.into_lines(),
    })
}
