//! One client connection: reads length-framed packets, decodes them and hands them to the
//! core in order; writes what the core sends back. A malformed or oversized packet closes
//! the connection (logged once); the first four bytes may instead be a four-letter word.
//! A connection that has no session `zookeeper.nio.sessionlessCnxnTimeout` after it started
//! is closed; a closed one writes what was queued for it until `flow::CLOSE_GRACE` passes
//! without a write.

use super::core::{ConnId, Event};
use super::direct::SharedTcp;
use super::flow::{ConnFlow, Ticket};
use crate::wire::{frame, ClientOp, ConnectRequest, DecodeError, RequestHeader};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
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
    /// `dirs`' answer: the sizes of these directories (dataDir, dataLogDir), measured by the
    /// writer on a blocking thread, then close.
    DirSizes {
        /// `dataDir`.
        data: std::path::PathBuf,
        /// `dataLogDir`.
        log: std::path::PathBuf,
    },
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
            ConnOut::DirSizes { .. } | ConnOut::Close => 0,
        }
    }
}

/// How many bytes of replies a connection gathers into one write.
const WRITE_BATCH: usize = 256 * 1024;
/// What a connection's batch buffer keeps between writes.
const BATCH_KEEP: usize = 64 * 1024;

/// An accepted connection's socket.
pub enum Socket {
    /// Plain TCP: the core may write to it directly (`direct.rs`).
    Plain(TcpStream),
    /// TLS on the secure client port: only the connection's tasks touch it.
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// A new connection as the core gets it (`Event::ClientOpened`).
#[derive(Debug)]
pub struct NewConn {
    /// Where the core sends the connection's replies and notifications.
    pub tx: mpsc::UnboundedSender<ConnOut>,
    /// The socket itself, for the core's direct writes; `None` for a TLS connection.
    pub direct: Option<SharedTcp>,
    /// The client's address.
    pub addr: SocketAddr,
    /// Notified when the connection's session is set up: its reader reads nothing after the
    /// handshake until then.
    pub session_ready: Arc<Notify>,
    /// The connection's budgets (`flow.rs`).
    pub flow: Arc<ConnFlow>,
}

impl NewConn {
    /// Whether it came in on the secure client port (TLS).
    pub fn secure(&self) -> bool {
        self.direct.is_none()
    }
}

/// What serves one connection: its number, its client's address, the core, the largest
/// packet it may send (`jute.maxbuffer`), how long it may go without a session and its
/// budgets.
pub struct Accepted {
    /// The connection's number.
    pub conn: ConnId,
    /// The client's address.
    pub addr: SocketAddr,
    /// The core's events.
    pub core: std::sync::mpsc::Sender<Event>,
    /// `jute.maxbuffer`.
    pub max_buffer: usize,
    /// `zookeeper.nio.sessionlessCnxnTimeout`: how long the connection may take to have a
    /// session (its handshake read and answered) before it is closed.
    pub sessionless: Duration,
    /// The connection's budgets.
    pub flow: Arc<ConnFlow>,
}

/// Serves one accepted connection until either side closes it.
pub async fn serve(socket: Socket, accepted: Accepted) {
    match socket {
        Socket::Plain(stream) => {
            let (rd, wr) = SharedTcp::split(stream);
            let direct = Some(wr.clone());
            serve_halves(rd, Sink::<TcpStream>::Shared(wr), direct, accepted).await
        }
        Socket::Tls(stream) => {
            let (rd, wr) = tokio::io::split(*stream);
            serve_halves(rd, Sink::Stream(wr), None, accepted).await
        }
    }
}

async fn serve_halves<R, W>(
    mut rd: R,
    mut wr: Sink<W>,
    direct: Option<SharedTcp>,
    accepted: Accepted,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let Accepted {
        conn,
        addr,
        core,
        max_buffer,
        sessionless,
        flow,
    } = accepted;
    let (tx, mut rx) = mpsc::unbounded_channel::<ConnOut>();
    let session_ready = Arc::new(Notify::new());
    let opened = NewConn {
        tx,
        direct,
        addr,
        session_ready: Arc::clone(&session_ready),
        flow: Arc::clone(&flow),
    };
    if core.send(Event::ClientOpened(conn, opened)).is_err() {
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
                    ConnOut::DirSizes { data, log } => {
                        batch.extend_from_slice(
                            super::fourlw::dir_sizes(data, log).await.as_bytes(),
                        );
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
        wr.shutdown().await;
    });
    // Reading stops when the writer does: the core closed the connection (a refused
    // handshake among others), or the socket failed. An evicted connection (its queue past
    // what flow control allows), or a closed one whose writer has written nothing for
    // `CLOSE_GRACE`, is dropped without writing what is queued (`ConnFlow::dropped`).
    let reader = Reader {
        conn,
        core: &core,
        max_buffer,
        sessionless,
        session_ready: &session_ready,
        flow: &flow,
    };
    let (reason, writer_done) = tokio::select! {
        r = reader.run(&mut rd) => (r, false),
        _ = &mut writer => (Ok(()), true),
        why = flow.dropped() => {
            writer.abort();
            (Err(why), true)
        }
    };
    if let Err(reason) = reason {
        tracing::info!(conn, %addr, "client connection closed: {reason}");
    }
    let _ = core.send(Event::ClientClosed { conn });
    if !writer_done {
        // The reader ended (the client closed its side, sent a bad packet or a four-letter
        // word): what the core queued before it heard gets the same grace.
        flow.grace_starts();
        tokio::select! {
            _ = &mut writer => {}
            why = flow.dropped() => {
                writer.abort();
                tracing::info!(conn, %addr, "client connection closed: {why}");
            }
        }
    }
}

/// Where a connection's writer task writes: the half of a plain socket it shares with the
/// core, or a TLS stream's writing half.
enum Sink<W> {
    Shared(SharedTcp),
    Stream(W),
}

impl<W: AsyncWrite + Unpin> Sink<W> {
    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Shared(s) => s.write_all(bytes).await,
            Sink::Stream(w) => w.write_all(bytes).await,
        }
    }

    async fn shutdown(&mut self) {
        let _ = match self {
            Sink::Shared(s) => s.shutdown(),
            Sink::Stream(w) => w.shutdown().await,
        };
    }
}

/// A connection's reading side and what it hands packets to.
struct Reader<'a> {
    conn: ConnId,
    core: &'a std::sync::mpsc::Sender<Event>,
    max_buffer: usize,
    sessionless: Duration,
    session_ready: &'a Notify,
    flow: &'a ConnFlow,
}

impl Reader<'_> {
    async fn run(&self, rd: &mut (impl AsyncRead + Unpin)) -> Result<(), String> {
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut chunk = vec![0u8; 64 * 1024];
        // As ZooKeeper's `zookeeper.nio.sessionlessCnxnTimeout`: a connection that has no
        // session within it (its handshake not read, or not answered) is closed, so a client
        // that connects and sends nothing, or trickles bytes, holds nothing for long.
        let handshake = self.handshake(rd, &mut buf, &mut chunk);
        match tokio::time::timeout(self.sessionless, handshake).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return Ok(()),
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(format!(
                    "no session within {} ms (zookeeper.nio.sessionlessCnxnTimeout)",
                    self.sessionless.as_millis()
                ))
            }
        }
        self.requests(rd, buf, chunk).await
    }

    /// Reads the handshake and waits until the core has set the session up: true then;
    /// false if the client closed first or sent a four-letter word instead (handed to the
    /// core). Leaves in `buf` what the client sent after its handshake.
    async fn handshake(
        &self,
        rd: &mut (impl AsyncRead + Unpin),
        buf: &mut Vec<u8>,
        chunk: &mut [u8],
    ) -> Result<bool, String> {
        let Reader {
            conn,
            core,
            max_buffer,
            session_ready,
            ..
        } = *self;
        loop {
            if buf.len() >= 4 {
                if let Some(word) = super::fourlw::word(&buf[..4]) {
                    let _ = core.send(Event::FourLetter { conn, word });
                    return Ok(false);
                }
            }
            if let Some((body, n)) = frame::split(buf, max_buffer).map_err(|e| e.to_string())? {
                let req =
                    ConnectRequest::decode(body).map_err(|e| format!("bad handshake: {e}"))?;
                buf.drain(..n);
                core.send(Event::Connect { conn, req })
                    .map_err(|_| "server stopping")?;
                // As ZooKeeper's `disableRecv`: a request the client pipelined after its
                // handshake waits here until the session is set up (a refused handshake
                // closes the connection instead, which ends this task).
                session_ready.notified().await;
                return Ok(true);
            }
            let n = rd.read(chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Ok(false);
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Hands the core every request the client sends, in order, as flow control allows.
    async fn requests(
        &self,
        rd: &mut (impl AsyncRead + Unpin),
        mut buf: Vec<u8>,
        mut chunk: Vec<u8>,
    ) -> Result<(), String> {
        let Reader {
            conn,
            core,
            max_buffer,
            flow,
            ..
        } = *self;
        loop {
            // Hand over every complete packet in the buffer.
            let mut used = 0;
            while let Some((body, n)) =
                frame::split(&buf[used..], max_buffer).map_err(|e| e.to_string())?
            {
                used += n;
                // Flow control: no more of this connection's requests than its budget and
                // the server's allow; until there is room, the socket is not read.
                let ticket = flow.admit().await.ok_or("server stopping")?;
                let stopping = |_| "server stopping".to_string();
                core.send(request(conn, body, ticket)?).map_err(stopping)?;
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
