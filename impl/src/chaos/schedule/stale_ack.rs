//! The model's `stale-ack` counterexample (`specs/findings.md`) as a schedule on real
//! servers, for Apache ZooKeeper and zabd alike: a leader keeps counting the ACK a follower
//! sent on a connection that has since died, while that follower, back and re-syncing, has
//! truncated the proposal away.
//!
//! Three or five servers, tickTime 1 s, syncLimit and initLimit 15 ticks (beyond the 10 s hold). Every server runs
//! under the `slow_fsync` LD_PRELOAD shim, idle until told
//! (`Roles` names who is who):
//! 1. a client connected to the leader L opens its session;
//! 2. the quorum links between L and the followers C lose every byte (each is counted as
//!    synced until syncLimit, but hears nothing), and the log fsyncs of one server are held:
//!    L's own with three servers, follower F's with five;
//! 3. the client creates `/w`: follower R logs it, fsyncs and ACKs; the slow server's ACK
//!    waits for its fsync;
//! 4. R is killed and restarted with its epoch-file fsyncs held: it rejoins L, which (the
//!    proposal not committed yet) tells it to TRUNC, and R's NEWLEADER handling stops in its
//!    `currentEpoch` write — in ZooKeeper 3.8 before it logs the proposal again
//!    (ZOOKEEPER-4643's order);
//! 5. the slow fsync returns: with R's old ACK the proposal has a quorum, and the client may
//!    hear that `/w` was created;
//! 6. L, R and the slow server are killed; the links heal; R restarts without the shim and,
//!    with C, elects a leader; then everyone is back. If the create was acknowledged and `/w`
//!    is gone, an acknowledged write was lost.

use super::{
    fail_over, held, leader, shim_env, start, trigger, Hold, Outcome, ScheduleError, Steps,
};
use crate::chaos::client::{Client, ClientError};
use crate::chaos::cluster::{Cluster, Target};
use crate::chaos::proxy::Mode;
use std::path::Path;
use std::time::Duration;

/// How long the slow server's log fsyncs are held: long enough for R to restart, rejoin and
/// be held in its NEWLEADER handling first (a JVM starts in 1–2 s).
const SLOW_FSYNC: Duration = Duration::from_secs(10);

/// How long R's epoch-file fsyncs are held: beyond the end of the schedule.
const EPOCH_HOLD: Duration = Duration::from_secs(120);

/// Who does what in the schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    /// The leader (L).
    pub leader: usize,
    /// The follower that ACKs, is killed and rejoins (R).
    pub rejoining: usize,
    /// The server whose log fsyncs are held, so its ACK comes last: the leader itself with
    /// three servers, a follower (F) with five.
    pub slow: usize,
    /// The followers cut off from the leader (C): counted as synced, never ACKing.
    pub cut: Vec<usize>,
}

impl Roles {
    /// The roles in an ensemble of `n` (3 or 5) led by `leader`.
    pub fn of(n: usize, leader: usize) -> Roles {
        let others: Vec<usize> = (1..=n).filter(|&id| id != leader).collect();
        let slow = if n == 3 { leader } else { others[1] };
        Roles {
            leader,
            rejoining: others[0],
            slow,
            cut: others[1..].iter().copied().filter(|&c| c != slow).collect(),
        }
    }
}

/// Runs the schedule on `servers` (3 or 5) of `target` in `dir`.
pub async fn run(target: Target, servers: usize, dir: &Path) -> Result<Outcome, ScheduleError> {
    let (mut cluster, shim) = start(target, servers, Vec::new(), (SLOW_FSYNC, false), dir).await?;
    let roles = Roles::of(servers, leader(&cluster, Duration::from_secs(60)).await?);
    let mut steps = Steps::new();
    let acked = hold_and_commit(&mut cluster, &roles, &shim, dir, &mut steps).await?;
    let reached = held(cluster.log(roles.rejoining), "currentEpoch");
    steps.note(format!(
        "create /w answered: {acked:?}; R held in its epoch write: {reached}"
    ));
    let down = [roles.leader, roles.rejoining, roles.slow];
    let trigger = trigger(dir, roles.slow);
    let (after_failover, finally) =
        fail_over(&mut cluster, &down, roles.rejoining, &trigger, &mut steps).await?;
    Ok(Outcome {
        roles: format!("{roles:?}"),
        acknowledged: acked.is_ok(),
        observed: false,
        reached,
        after_failover,
        finally,
        steps: steps.into_lines(),
    })
}

/// Steps 1 to 5: the create, R's ACK, R's restart into its held NEWLEADER handling, and
/// the create's answer (after the slow server's fsync).
async fn hold_and_commit(
    cluster: &mut Cluster,
    roles: &Roles,
    shim: &Path,
    dir: &Path,
    steps: &mut Steps,
) -> Result<Result<String, ClientError>, ScheduleError> {
    let l = roles.leader;
    let timeout = Duration::from_secs(40);
    let mut client = Client::connect(cluster.client_addr(l), 60_000, timeout).await?;
    for &c in &roles.cut {
        cluster.set_quorum_link(l, c, Mode::Lose);
    }
    std::fs::write(trigger(dir, roles.slow), b"")?;
    steps.note(format!(
        "{roles:?}: the leader's quorum links to C lose all; s{}'s log fsyncs held {SLOW_FSYNC:?}",
        roles.slow
    ));
    let create = tokio::spawn(async move { client.create("/w", b"stale-ack", 0).await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    let r = roles.rejoining;
    cluster.kill(r);
    let epoch = Hold {
        matching: "currentEpoch",
        wait: EPOCH_HOLD,
        trigger: None,
        volatile: false,
    };
    cluster.set_env(r, shim_env(shim, &epoch));
    cluster.restart(r)?;
    steps.note(format!(
        "R killed after its ACK, restarted with its epoch fsyncs held {EPOCH_HOLD:?}"
    ));
    Ok(create.await.map_err(std::io::Error::other)?)
}
