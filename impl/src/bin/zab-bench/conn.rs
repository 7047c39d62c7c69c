//! One client connection speaking the ZooKeeper protocol, just enough for load: the
//! handshake, create, delete, getData (with or without a watch), getChildren and setData,
//! with replies matched to requests in order, and watch notifications.

use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use zab::wire::{frame, opcode, ConnectRequest, ConnectResponse, Reader, ReplyHeader, Writer};

/// ZooKeeper's `NodeExists`, which set-up tolerates (a second run reuses the nodes).
pub const NODE_EXISTS: i32 = -110;
/// The largest reply the tool accepts: ZooKeeper's default jute.maxbuffer.
const MAX_REPLY: usize = zab::wire::DEFAULT_MAX_BUFFER;
/// A server silent this long is stalled: the run fails rather than hangs.
const STALL: Duration = Duration::from_secs(30);

/// What `Conn::next` read.
pub enum Incoming {
    /// A watch notification (the bench watches one znode, so which is not read).
    Notification,
    /// A reply to request `xid`, with its error code.
    Reply { xid: i32, err: i32 },
}

pub struct Conn {
    rd: BufReader<OwnedReadHalf>,
    wr: BufWriter<OwnedWriteHalf>,
    next_xid: i32,
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

impl Conn {
    /// Connects and opens a new session with the given timeout.
    pub async fn open(host: &str, timeout_ms: i32) -> io::Result<Conn> {
        let stream = tokio::time::timeout(STALL, TcpStream::connect(host))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, format!("connect {host}")))??;
        stream.set_nodelay(true)?;
        let (rd, wr) = stream.into_split();
        let mut c = Conn {
            rd: BufReader::new(rd),
            wr: BufWriter::new(wr),
            next_xid: 1,
        };
        let hello = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: Some(false),
        };
        c.wr.write_all(&frame::frame(&hello.encode())).await?;
        c.wr.flush().await?;
        let body = c.packet().await?;
        let resp = ConnectResponse::decode(&body).map_err(|e| bad(format!("handshake: {e}")))?;
        if resp.timeout_ms <= 0 {
            return Err(bad(format!("{host} refused the session")));
        }
        Ok(c)
    }

    async fn packet(&mut self) -> io::Result<Vec<u8>> {
        tokio::time::timeout(STALL, self.read_packet())
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply for 30 s"))?
    }

    async fn read_packet(&mut self) -> io::Result<Vec<u8>> {
        let len = self.rd.read_i32().await?;
        let len = usize::try_from(len).map_err(|_| bad("negative reply length"))?;
        if len > MAX_REPLY {
            return Err(bad(format!("reply of {len} bytes")));
        }
        let mut body = vec![0; len];
        self.rd.read_exact(&mut body).await?;
        Ok(body)
    }

    /// Writes a request header; returns its xid.
    fn header(&mut self, w: &mut Writer, op: i32) -> i32 {
        let xid = self.next_xid;
        w.int(xid).int(op);
        self.next_xid = xid.wrapping_add(1).max(1);
        xid
    }

    /// Queues a persistent create with the open ACL; `flush` sends it.
    pub async fn create(&mut self, path: &str, data: &[u8]) -> io::Result<i32> {
        let mut w = Writer::new();
        let xid = self.header(&mut w, opcode::CREATE);
        w.ustring(path).buffer(data);
        w.vector(&[()], |w, _| {
            w.int(31).ustring("world").ustring("anyone");
        });
        w.int(0);
        self.queue(w).await.map(|()| xid)
    }

    /// Creates `path` holding `data` and waits for the answer; one that exists already is
    /// kept (a second run reuses it).
    pub async fn ensure(&mut self, path: &str, data: &[u8]) -> io::Result<()> {
        let xid = self.create(path, data).await?;
        self.flush().await?;
        match self.reply(xid).await? {
            0 | NODE_EXISTS => Ok(()),
            err => Err(io::Error::other(format!("create {path}: error {err}"))),
        }
    }

    /// Queues a delete of any version of `path`.
    pub async fn delete(&mut self, path: &str) -> io::Result<i32> {
        let mut w = Writer::new();
        let xid = self.header(&mut w, opcode::DELETE);
        w.ustring(path).int(-1);
        self.queue(w).await.map(|()| xid)
    }

    pub async fn get_data(&mut self, path: &str) -> io::Result<i32> {
        self.get_data_watched(path, false).await
    }

    /// Queues a getData, leaving a data watch on `path` if `watch`.
    pub async fn get_data_watched(&mut self, path: &str, watch: bool) -> io::Result<i32> {
        let mut w = Writer::new();
        let xid = self.header(&mut w, opcode::GET_DATA);
        w.ustring(path).boolean(watch);
        self.queue(w).await.map(|()| xid)
    }

    /// Queues a getChildren (no watch).
    pub async fn get_children(&mut self, path: &str) -> io::Result<i32> {
        let mut w = Writer::new();
        let xid = self.header(&mut w, opcode::GET_CHILDREN);
        w.ustring(path).boolean(false);
        self.queue(w).await.map(|()| xid)
    }

    /// The next packet from the server: a watch notification, or the header of a reply.
    pub async fn next(&mut self) -> io::Result<Incoming> {
        let body = self.packet().await?;
        let h = ReplyHeader::decode(&mut Reader::new(&body))
            .map_err(|e| bad(format!("reply header: {e}")))?;
        Ok(match h.xid {
            zab::wire::xid::NOTIFICATION => Incoming::Notification,
            xid => Incoming::Reply { xid, err: h.err },
        })
    }

    pub async fn set_data(&mut self, path: &str, data: &[u8]) -> io::Result<i32> {
        let mut w = Writer::new();
        let xid = self.header(&mut w, opcode::SET_DATA);
        w.ustring(path).buffer(data).int(-1);
        self.queue(w).await.map(|()| xid)
    }

    /// Ends the session (closeSession) and waits for its reply.
    pub async fn close(mut self) -> io::Result<()> {
        let mut w = Writer::new();
        let xid = self.header(&mut w, opcode::CLOSE_SESSION);
        self.queue(w).await?;
        self.flush().await?;
        self.reply(xid).await.map(|_| ())
    }

    async fn queue(&mut self, w: Writer) -> io::Result<()> {
        self.wr.write_all(&frame::frame(&w.bytes)).await
    }

    pub async fn flush(&mut self) -> io::Result<()> {
        self.wr.flush().await
    }

    /// The error code of the next reply (0 for success), which must answer request `xid`:
    /// replies come in request order, and one that does not is a server bug worth failing
    /// the run for. Notifications are skipped: the load sets no watches.
    pub async fn reply(&mut self, xid: i32) -> io::Result<i32> {
        loop {
            let body = self.packet().await?;
            let h = ReplyHeader::decode(&mut Reader::new(&body))
                .map_err(|e| bad(format!("reply header: {e}")))?;
            if h.xid == zab::wire::xid::NOTIFICATION {
                continue;
            }
            if h.xid != xid {
                return Err(bad(format!("reply for xid {} where {xid} was due", h.xid)));
            }
            return Ok(h.err);
        }
    }
}
