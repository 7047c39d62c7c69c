//! One client connection: reads length-framed packets, decodes them and hands them to the
//! core in order; writes what the core sends back. A malformed or oversized packet closes
//! the connection (logged once); the first four bytes may instead be a four-letter word.

use super::core::{ConnId, Event};
use super::flow::{ConnFlow, Ticket};
use crate::wire::{frame, ClientOp, ConnectRequest, DecodeError, RequestHeader};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Notify};

/// What the core sends a connection.
#[derive(Debug)]
pub enum ConnOut {
    /// An unframed reply or notification body.
    Packet(Vec<u8>),
    /// Replies and notifications already framed, back to back (a batch of the core's).
    Framed(Vec<u8>),
    /// Raw bytes (a four-letter word's answer), then close.
    Text(String),
    /// Close the connection once what was sent before is written.
    Close,
}

impl ConnOut {
    /// The bytes this puts on the socket: what the connection's queued-bytes budget counts,
    /// added by the core when it sends and taken off by the writer when written.
    pub fn wire_len(&self) -> usize {
        match self {
            ConnOut::Packet(body) => body.len() + 4,
            ConnOut::Framed(bytes) => bytes.len(),
            ConnOut::Text(t) => t.len(),
            ConnOut::Close => 0,
        }
    }
}

/// How many bytes of replies a connection gathers into one write.
const WRITE_BATCH: usize = 256 * 1024;
/// What a connection's batch buffer keeps between writes.
const BATCH_KEEP: usize = 64 * 1024;

/// The four-letter words this server answers. A connection whose first four bytes spell one
/// of them gets its plain-text answer, then is closed, instead of a session handshake.
pub const FOUR_LETTER_WORDS: [&str; 8] = [
    "ruok", "srvr", "stat", "mntr", "conf", "cons", "wchs", "envi",
];

/// Serves one accepted connection, plain or TLS (`secure`), until either side closes it.
pub async fn serve<S>(
    stream: S,
    addr: SocketAddr,
    conn: ConnId,
    core: std::sync::mpsc::Sender<Event>,
    max_buffer: usize,
    flow: Arc<ConnFlow>,
    secure: bool,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::unbounded_channel::<ConnOut>();
    let session_ready = Arc::new(Notify::new());
    let opened = Event::ClientOpened {
        conn,
        tx,
        addr,
        session_ready: Arc::clone(&session_ready),
        flow: Arc::clone(&flow),
        secure,
    };
    if core.send(opened).is_err() {
        return;
    }
    let writer_flow = Arc::clone(&flow);
    let mut writer = tokio::spawn(async move {
        let mut batch = Vec::new();
        while let Some(first) = rx.recv().await {
            let mut counted = 0;
            // Everything already queued goes out in one write: a pipelining client gets
            // its replies (and notifications) batched, one syscall for many.
            let mut next = Some(first);
            let mut open = true;
            while let Some(out) = next.take() {
                counted += out.wire_len();
                match out {
                    ConnOut::Packet(body) => frame::frame_into(&mut batch, &body),
                    ConnOut::Framed(bytes) if batch.is_empty() => batch = bytes,
                    ConnOut::Framed(bytes) => batch.extend_from_slice(&bytes),
                    ConnOut::Text(t) => {
                        batch.extend_from_slice(t.as_bytes());
                        open = false;
                    }
                    ConnOut::Close => open = false,
                }
                if open && batch.len() < WRITE_BATCH {
                    next = rx.try_recv().ok();
                }
            }
            let written = wr.write_all(&batch).await.is_ok();
            writer_flow.written(counted);
            batch.clear();
            // A SNAP or a large reply must not pin its size for the connection's life.
            batch.shrink_to(BATCH_KEEP);
            if !(open && written) {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    // Reading stops when the writer does: the core closed the connection (a refused
    // handshake among others), or the socket failed. An evicted connection (its queue past
    // what flow control allows) is dropped without writing what is queued.
    let reader = Reader {
        conn,
        core: &core,
        max_buffer,
        session_ready: &session_ready,
        flow: &flow,
    };
    let (reason, writer_done) = tokio::select! {
        r = reader.run(&mut rd) => (r, false),
        _ = &mut writer => (Ok(()), true),
        _ = flow.evicted() => {
            writer.abort();
            (Err("its replies were not being read (zab.client.maxQueuedBytes)".into()), true)
        }
    };
    if let Err(reason) = reason {
        tracing::info!(conn, %addr, "client connection closed: {reason}");
    }
    let _ = core.send(Event::ClientClosed { conn });
    if !writer_done {
        let _ = writer.await;
    }
}

/// A connection's reading side and what it hands packets to.
struct Reader<'a> {
    conn: ConnId,
    core: &'a std::sync::mpsc::Sender<Event>,
    max_buffer: usize,
    session_ready: &'a Notify,
    flow: &'a ConnFlow,
}

impl Reader<'_> {
    async fn run(&self, rd: &mut (impl AsyncRead + Unpin)) -> Result<(), String> {
        let Reader {
            conn,
            core,
            max_buffer,
            session_ready,
            flow,
        } = *self;
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut handshaken = false;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            // Hand over every complete packet in the buffer.
            let mut used = 0;
            loop {
                if !handshaken && used == 0 && buf.len() >= 4 {
                    if let Some(word) = four_letter_word(&buf[..4]) {
                        let _ = core.send(Event::FourLetter { conn, word });
                        return Ok(());
                    }
                }
                let split = frame::split(&buf[used..], max_buffer).map_err(|e| e.to_string())?;
                let Some((body, n)) = split else { break };
                used += n;
                let stopping = |_| "server stopping".to_string();
                if handshaken {
                    // Flow control: no more of this connection's requests than its budget and
                    // the server's allow; until there is room, the socket is not read.
                    let ticket = flow.admit().await.ok_or("server stopping")?;
                    core.send(request(conn, body, ticket)?).map_err(stopping)?;
                    continue;
                }
                handshaken = true;
                let req =
                    ConnectRequest::decode(body).map_err(|e| format!("bad handshake: {e}"))?;
                core.send(Event::Connect { conn, req }).map_err(stopping)?;
                // As ZooKeeper's `disableRecv`: a request the client pipelined after its handshake
                // waits here until the session is set up (a refused handshake closes the
                // connection instead, which ends this task).
                session_ready.notified().await;
            }
            buf.drain(..used);
            let n = rd.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn four_letter_word(head: &[u8]) -> Option<&'static str> {
    FOUR_LETTER_WORDS.into_iter().find(|w| w.as_bytes() == head)
}

/// A request packet as a core event; a body that does not parse closes the connection, an
/// unknown opcode or an invalid argument is answered by the core in order.
fn request(conn: ConnId, body: &[u8], ticket: Ticket) -> Result<Event, String> {
    let (hdr, mut r) =
        RequestHeader::decode(body).map_err(|e| format!("bad request header: {e}"))?;
    match ClientOp::decode(hdr.op, &mut r) {
        Ok(op) => Ok(Event::Request {
            conn,
            xid: hdr.xid,
            op,
            ticket,
        }),
        Err(DecodeError::Jute(e)) => Err(format!("malformed request (opcode {}): {e}", hdr.op)),
        Err(DecodeError::UnknownOp(op)) => Ok(Event::Refused {
            conn,
            xid: hdr.xid,
            err: crate::ZkError::Unimplemented,
            close: true,
            why: format!("unknown opcode {op}"),
            ticket,
        }),
        Err(DecodeError::Invalid(err)) => Ok(Event::Refused {
            conn,
            xid: hdr.xid,
            err,
            close: false,
            why: format!("invalid request (opcode {})", hdr.op),
            ticket,
        }),
    }
}
