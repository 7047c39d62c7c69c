//! A follower that ACKs a proposal before it is durable (the faults build's
//! `zab.bug=AckBeforePersist`) lets a write commit that a crash then loses; a correct
//! follower ACKs only after its fsync, so the same schedule commits nothing it can lose.
//!
//! A kill loses nothing the kernel has: the shim's volatile mode keeps a matching file's
//! writes in the process until its fsync, as a disk cache that a power cut empties. Three
//! zabd servers, tickTime 1 s, syncLimit 15:
//! 1. a client connected to the leader L opens its session;
//! 2. follower C's quorum link to L loses every byte; follower F's log becomes slow (its
//!    fsyncs held 10 s) and volatile;
//! 3. the client creates `/w`: L logs it; F's ACK, with L's own, commits it;
//! 4. at the answer, or after 5 s, L and F are killed: what F wrote never reached its file;
//!    F restarts without the shim and, with C, elects a leader; then L is back. If the create
//!    was acknowledged and `/w` is gone, an acknowledged write was lost.

use super::{fail_over, held, start_three, trigger, Outcome, ScheduleError, Steps};
use crate::chaos::client::Client;
use crate::chaos::cluster::Target;
use crate::chaos::proxy::Mode;
use std::path::Path;
use std::time::Duration;

/// How long F's log fsyncs are held: beyond the wait for the answer.
const SLOW_FSYNC: Duration = Duration::from_secs(10);

/// How long the client's create may take before the servers are killed anyway.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// Runs the schedule on three servers of `target`, with `extra` zoo.cfg lines (the bug, or
/// none), in `dir`.
pub async fn run(target: Target, extra: Vec<String>, dir: &Path) -> Result<Outcome, ScheduleError> {
    let (mut cluster, [l, f, c]) = start_three(target, extra, SLOW_FSYNC, dir).await?;
    let mut steps = Steps::new();
    let timeout = Duration::from_secs(30);
    let mut client = Client::connect(cluster.client_addr(l), 60_000, timeout).await?;
    cluster.set_quorum_link(l, c, Mode::Lose);
    let trigger = trigger(dir, f);
    std::fs::write(&trigger, b"")?;
    steps.note(format!(
        "L=s{l} F=s{f} C=s{c}: L-C quorum link loses all; F's log slow ({SLOW_FSYNC:?}) and volatile"
    ));
    let answer = tokio::time::timeout(ANSWER_WAIT, client.create("/w", b"ack", 0)).await;
    let acked = matches!(answer, Ok(Ok(_)));
    let reached = held(cluster.log(f), "/log.");
    steps.note(format!(
        "create /w answered: {answer:?}; F's log fsync held: {reached}"
    ));
    drop(client);
    let (after_failover, finally) =
        fail_over(&mut cluster, &[l, f], f, &trigger, &mut steps).await?;
    Ok(Outcome {
        roles: format!("L=s{l} F=s{f} C=s{c}"),
        acknowledged: acked,
        observed: false,
        reached,
        after_failover,
        finally,
        steps: steps.into_lines(),
    })
}
