//! One path to a stop. A server runs until its shutdown signal, or until the core thread, which
//! it cannot serve without, ends by itself (a disk write or fsync failed: ENOSPC, EIO; or a
//! panic). Either way every accept loop and connection task stops; a failure is logged once
//! and becomes `ServerError::Halted`, which `zabd` turns into exit code 4, so a supervisor
//! restarts the process and its clients move to another server instead of talking to a
//! server whose ports are open and whose replica is gone.

use super::core::{Core, Event, EventTx};
use super::ServerError;
use crate::storage::StorageError;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::Receiver;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How the core thread's `run` ended.
#[derive(Debug)]
pub enum CoreExit {
    /// It was told to stop (`Event::Shutdown`) and stopped cleanly.
    Stopped,
    /// A disk operation failed; the replica cannot go on (ZooKeeper halts too).
    Failed(StorageError),
    /// It panicked, with this message.
    Panicked(String),
}

/// The running core thread: its end is reported on `done`.
pub struct CoreThread {
    done: oneshot::Receiver<CoreExit>,
    thread: std::thread::JoinHandle<()>,
}

/// Starts the core thread on `events`; its exit, whatever it is, is reported to the supervisor.
pub fn spawn_core(core: Core, events: Receiver<Event>) -> Result<CoreThread, ServerError> {
    let (report, done) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("zab-core".into())
        .spawn(move || {
            let exit = match std::panic::catch_unwind(AssertUnwindSafe(|| core.run(events))) {
                Ok(Ok(())) => CoreExit::Stopped,
                Ok(Err(e)) => CoreExit::Failed(e),
                Err(panic) => CoreExit::Panicked(panic_message(panic.as_ref())),
            };
            let _ = report.send(exit);
        })
        .map_err(|_| ServerError::Core)?;
    Ok(CoreThread { done, thread })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => (*s).to_string(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".into(),
    }
}

/// Runs until `shutdown` completes or the core thread ends by itself, then stops `tasks` (the
/// accept loops) and returns how the server ended: `Ok` after a requested shutdown that the
/// core completed cleanly, `ServerError::Halted` when the core failed.
pub async fn supervise(
    core: CoreThread,
    shutdown: impl Future<Output = ()>,
    events: EventTx,
    tasks: Vec<JoinHandle<()>>,
) -> Result<(), ServerError> {
    let CoreThread { mut done, thread } = core;
    let vanished = || CoreExit::Panicked("the core thread vanished".into());
    let unasked = tokio::select! {
        _ = shutdown => None,
        exit = &mut done => Some(exit),
    };
    for t in &tasks {
        t.abort();
    }
    let asked = unasked.is_none();
    let exit = match unasked {
        Some(exit) => exit.unwrap_or_else(|_| vanished()),
        None => {
            tracing::info!("shutting down");
            let _ = events.send(Event::Shutdown);
            (&mut done).await.unwrap_or_else(|_| vanished())
        }
    };
    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    let halted = match exit {
        CoreExit::Stopped if asked => return Ok(()),
        CoreExit::Stopped => "the core thread stopped unasked".to_string(),
        CoreExit::Failed(e) => format!("a disk operation failed: {e}"),
        CoreExit::Panicked(m) => format!("the core thread panicked: {m}"),
    };
    tracing::error!("halting: {halted}");
    Err(ServerError::Halted(halted))
}
