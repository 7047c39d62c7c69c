//! The log's fsync on a thread of its own, as ZooKeeper's SyncRequestProcessor has it, so the
//! server's core thread goes on reading requests, answering reads and pings and counting
//! acks while the disk works. A batch is written (to the page cache) on the caller's thread
//! and its fsync runs on the sync thread; one batch is in flight at a time, and every other
//! change to the log (`sync`, `truncate`) waits for it to land first. A batch that starts a
//! new file is written and synced in place: a later file must never be durable before an
//! earlier one's end.

use super::cuts::cut_back;
use super::TxnLog;
use crate::storage::error::{IoContext, StorageError};
use crate::storage::rules;
use crate::zxid::Zxid;
use std::fs::File;
use std::io::Write;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Called on the sync thread each time an fsync ends (the server wakes its core with it).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What `start_sync` did with the appended records.
#[derive(Debug, PartialEq, Eq)]
pub enum SyncStart {
    /// They are durable already: there were none, or the batch started a new file and was
    /// synced in place.
    Durable,
    /// Written; their fsync runs on the sync thread until `land` reports it.
    Started,
}

/// An fsync on the sync thread: the batch it makes durable ends at `zxid`, and the tail file
/// is then `len` bytes long.
pub(super) struct Flight {
    zxid: Zxid,
    len: u64,
    done: mpsc::Receiver<Synced>,
}

/// The sync thread's report: the fsync's result and how long it took (a slow disk's delay,
/// for tests, included).
struct Synced {
    result: std::io::Result<()>,
    took: Duration,
}

struct Job {
    file: Arc<File>,
    delay: Option<Duration>,
    done: mpsc::SyncSender<Synced>,
    wake: Option<Waker>,
}

/// The sync thread; it ends when the log is dropped (its queue closes).
pub(super) struct Syncer {
    jobs: mpsc::Sender<Job>,
}

impl Syncer {
    fn start() -> std::io::Result<Syncer> {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("log-sync".into())
            .spawn(move || {
                for job in rx {
                    // Woken even if the fsync panics: the core then finds the thread gone.
                    let _wake = WakeOnDrop(job.wake.clone());
                    let started = Instant::now();
                    if let Some(delay) = job.delay {
                        std::thread::sleep(delay);
                    }
                    let result = job.file.sync_data();
                    let took = started.elapsed();
                    let _ = job.done.send(Synced { result, took });
                }
            })?;
        Ok(Syncer { jobs })
    }
}

/// Calls the waker when dropped: after the report is sent, or as a panic unwinds.
struct WakeOnDrop(Option<Waker>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        if let Some(wake) = &self.0 {
            wake();
        }
    }
}

impl TxnLog {
    /// Sets what the sync thread calls when an fsync ends.
    pub fn set_waker(&mut self, waker: Waker) {
        self.waker = Some(waker);
    }

    /// Writes the appended records and starts their fsync on the sync thread (`Started`), or
    /// makes them durable here (`Durable`). `delay` slows the fsync (a slow disk, for tests).
    /// Only one batch flies at a time: call `land` until it reports this one first.
    pub fn start_sync(&mut self, delay: Option<Duration>) -> Result<SyncStart, StorageError> {
        self.check_usable()?;
        if self.flight.is_some() {
            return Err(StorageError::InvalidArgument(
                "an fsync of the log is still running".into(),
            ));
        }
        if self.pending.is_empty() {
            return Ok(SyncStart::Durable);
        }
        if !self.batch_fits_tail() {
            if let Some(delay) = delay {
                std::thread::sleep(delay);
            }
            self.sync()?;
            return Ok(SyncStart::Durable);
        }
        let done = self.send_batch(delay);
        self.poisoned = done.is_err();
        done?;
        Ok(SyncStart::Started)
    }

    /// Whether every pending record goes into the current last file.
    fn batch_fits_tail(&self) -> bool {
        let Some(tail) = &self.tail else {
            return false;
        };
        let mut len = tail.len;
        self.pending.iter().all(|p| {
            let fits = !rules::needs_roll(
                Some((tail.start, len)),
                p.record.entry.zxid(),
                self.max_size,
            );
            len += p.frame.len() as u64;
            fits
        })
    }

    fn send_batch(&mut self, delay: Option<Duration>) -> Result<(), StorageError> {
        // Before anything is written: a batch is either written and flying or not written.
        if self.syncer.is_none() {
            let started = Syncer::start().ctx(|| "starting the log's sync thread".to_string())?;
            self.syncer = Some(started);
        }
        let tail = self.tail.as_ref().expect("checked by batch_fits_tail");
        let ctx = || format!("appending to log.{:x}", tail.start.0);
        let buf: Vec<u8> = self
            .pending
            .iter()
            .flat_map(|p| p.frame.iter().copied())
            .collect();
        if let Err(e) = (&*tail.file).write_all(&buf) {
            return Err(cut_back(tail, e)).ctx(ctx);
        }
        let (done, landed) = mpsc::sync_channel(1);
        let job = Job {
            file: Arc::clone(&tail.file),
            delay,
            done,
            wake: self.waker.clone(),
        };
        let syncer = self.syncer.as_ref().expect("started above");
        if syncer.jobs.send(job).is_err() {
            let gone = std::io::Error::other("the log's sync thread is gone");
            return Err(cut_back(tail, gone)).ctx(ctx);
        }
        self.flight = Some(Flight {
            zxid: self.last,
            len: tail.len + buf.len() as u64,
            done: landed,
        });
        self.pending.clear();
        Ok(())
    }

    /// The batch in flight, once its fsync ended: `Some` with how long it took (its records
    /// are durable), `None` while it runs (or none flies), and the error of a failed fsync
    /// (the file is cut back to its last good fsync and the log refuses all else). `block`
    /// waits for it.
    pub fn land(&mut self, block: bool) -> Result<Option<Duration>, StorageError> {
        let Some(flight) = &self.flight else {
            return Ok(self.landed.take());
        };
        let synced = match block {
            true => flight.done.recv().ok(),
            false => match flight.done.try_recv() {
                Ok(s) => Some(s),
                Err(mpsc::TryRecvError::Empty) => return Ok(None),
                Err(mpsc::TryRecvError::Disconnected) => None,
            },
        };
        let flight = self.flight.take().expect("checked above");
        let Synced { result, took } = synced.unwrap_or(Synced {
            result: Err(std::io::Error::other("the log's sync thread is gone")),
            took: Duration::ZERO,
        });
        #[cfg(test)]
        let result = match std::mem::take(&mut self.fail_next_sync) {
            true => Err(std::io::Error::other("injected fsync failure")),
            false => result,
        };
        let tail = self.tail.as_mut().expect("a flight writes to the tail");
        if let Err(e) = result {
            self.poisoned = true;
            let start = tail.start;
            return Err(cut_back(tail, e)).ctx(|| format!("fsync of log.{:x}", start.0));
        }
        tail.len = flight.len;
        self.last_durable = flight.zxid;
        self.fsyncs += 1;
        Ok(Some(took))
    }

    /// Waits for the batch in flight before another change to the log; `land` reports it
    /// later.
    pub fn join(&mut self) -> Result<(), StorageError> {
        if self.flight.is_some() {
            self.landed = self.land(true)?;
        }
        Ok(())
    }
}
