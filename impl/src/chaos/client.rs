//! The workloads' ZooKeeper client: one session on one connection, one request at a time,
//! each bounded by a timeout. It does not reconnect: a connection that fails or stalls
//! leaves the request's outcome unknown, and the workload opens a new client (a new
//! process of its history), as Jepsen's clients do. Only what the workloads need is here.

use crate::data_tree::Stat;
use crate::wire::response::read_stat;
use crate::wire::{frame, opcode, ConnectRequest, ConnectResponse, Reader, ReplyHeader, Writer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The largest reply accepted: a queue's final getChildren lists tens of thousands of
/// names, past ZooKeeper's default jute.maxbuffer (1 MiB), which servers do not apply to
/// what they send.
const MAX_REPLY: usize = 64 << 20;

/// ZooKeeper's error codes that say a request took no effect.
const DEFINITE: [i32; 5] = [
    -101, // NoNode
    -103, // BadVersion
    -110, // NodeExists
    -111, // NotEmpty
    -8,   // BadArguments
];

/// Why a request did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The connection failed or stalled: the request may or may not have taken effect, and
    /// the client is done.
    #[error("connection lost: {0}")]
    Lost(String),
    /// The server answered with this error code.
    #[error("server error {0}")]
    Server(i32),
}

impl ClientError {
    /// Whether the request certainly took no effect.
    pub fn is_definite(&self) -> bool {
        matches!(self, ClientError::Server(code) if DEFINITE.contains(code))
    }
}

/// A notification's `WatcherEvent { type, state, path }`.
fn notification(r: &mut Reader, zxid: i64) -> Result<Notification, ClientError> {
    let kind = r.int().map_err(lost)?;
    let _state = r.int().map_err(lost)?;
    let path = r.ustring().map_err(lost)?;
    Ok(Notification { kind, path, zxid })
}

fn lost(e: impl std::fmt::Display) -> ClientError {
    ClientError::Lost(e.to_string())
}

/// A watch notification as it arrived.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notification {
    /// `EventType` (3: NodeDataChanged).
    pub kind: i32,
    /// The znode.
    pub path: String,
    /// The change's zxid, or -1 where the server gives none.
    pub zxid: i64,
}

/// A session on one connection.
pub struct Client {
    stream: BufReader<TcpStream>,
    next_xid: i32,
    session_id: i64,
    /// The session's password, to resume it on another connection.
    passwd: Vec<u8>,
    timeout: Duration,
    /// Notifications received and not yet taken, in order.
    events: Vec<Notification>,
}

impl Client {
    /// Connects to `addr` and opens a session of `session_ms`; each later request waits at
    /// most `timeout` for its reply.
    pub async fn connect(
        addr: SocketAddr,
        session_ms: i32,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        Client::attach(addr, session_ms, timeout, (0, vec![0; 16])).await
    }

    /// Connects to `addr` and resumes the session of `credentials` (`Client::credentials`):
    /// no transaction, so it works while the ensemble cannot commit.
    pub async fn resume(
        addr: SocketAddr,
        session_ms: i32,
        timeout: Duration,
        credentials: (i64, Vec<u8>),
    ) -> Result<Client, ClientError> {
        Client::attach(addr, session_ms, timeout, credentials).await
    }

    /// The session's id and password.
    pub fn credentials(&self) -> (i64, Vec<u8>) {
        (self.session_id, self.passwd.clone())
    }

    async fn attach(
        addr: SocketAddr,
        session_ms: i32,
        timeout: Duration,
        (session_id, passwd): (i64, Vec<u8>),
    ) -> Result<Client, ClientError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| lost("connect timed out"))?
            .map_err(lost)?;
        stream.set_nodelay(true).map_err(lost)?;
        let mut client = Client {
            stream: BufReader::new(stream),
            next_xid: 1,
            session_id: 0,
            passwd: Vec::new(),
            timeout,
            events: Vec::new(),
        };
        let hello = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            timeout_ms: session_ms,
            session_id,
            passwd,
            read_only: Some(false),
        };
        client.send(&hello.encode()).await?;
        let body = client.packet().await?;
        let answer = ConnectResponse::decode(&body).map_err(lost)?;
        if answer.timeout_ms <= 0 || answer.session_id == 0 {
            return Err(lost("session refused"));
        }
        client.session_id = answer.session_id;
        client.passwd = answer.passwd;
        Ok(client)
    }

    /// The session's id.
    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    /// getData without a watch: the node's data and Stat.
    pub async fn get_data(&mut self, path: &str) -> Result<(Vec<u8>, Stat), ClientError> {
        self.get_data_watching(path, false).await
    }

    /// getData, leaving a data watch on the node if `watch`.
    pub async fn get_data_watching(
        &mut self,
        path: &str,
        watch: bool,
    ) -> Result<(Vec<u8>, Stat), ClientError> {
        let mut w = self.request(opcode::GET_DATA);
        w.ustring(path).boolean(watch);
        let body = self.call(w).await?;
        let mut r = Reader::new(&body);
        let data = r.buffer().map_err(lost)?;
        Ok((data, read_stat(&mut r).map_err(lost)?))
    }

    /// setData if the node is at `version` (-1: any).
    pub async fn set_data(
        &mut self,
        path: &str,
        data: &[u8],
        version: i32,
    ) -> Result<Stat, ClientError> {
        let mut w = self.request(opcode::SET_DATA);
        w.ustring(path).buffer(data).int(version);
        let body = self.call(w).await?;
        read_stat(&mut Reader::new(&body)).map_err(lost)
    }

    /// create with the open ACL and ZooKeeper's create mode (0 persistent, 1 ephemeral, 2
    /// sequential, 3 both); the path created.
    pub async fn create(
        &mut self,
        path: &str,
        data: &[u8],
        mode: i32,
    ) -> Result<String, ClientError> {
        let mut w = self.request(opcode::CREATE);
        w.ustring(path).buffer(data);
        w.vector(&[()], |w, _| {
            w.int(31).ustring("world").ustring("anyone");
        });
        w.int(mode);
        let body = self.call(w).await?;
        Reader::new(&body).ustring().map_err(lost)
    }

    /// delete if the node is at `version` (-1: any).
    pub async fn delete(&mut self, path: &str, version: i32) -> Result<(), ClientError> {
        let mut w = self.request(opcode::DELETE);
        w.ustring(path).int(version);
        self.call(w).await.map(|_| ())
    }

    /// getChildren without a watch: the children's names.
    pub async fn get_children(&mut self, path: &str) -> Result<Vec<String>, ClientError> {
        let mut w = self.request(opcode::GET_CHILDREN);
        w.ustring(path).boolean(false);
        let body = self.call(w).await?;
        Reader::new(&body).vector(4, |r| r.ustring()).map_err(lost)
    }

    /// sync: this server catches up with the leader before answering, so what this session
    /// reads next is at least as new as every write acknowledged before the sync began (as
    /// far as the leader answering still leads: it does not ask a quorum).
    pub async fn sync(&mut self, path: &str) -> Result<(), ClientError> {
        let mut w = self.request(opcode::SYNC);
        w.ustring(path);
        self.call(w).await.map(|_| ())
    }

    /// addWatch: a watch on `path` of `mode` (0 persistent, 1 persistent recursive).
    pub async fn add_watch(&mut self, path: &str, mode: i32) -> Result<(), ClientError> {
        let mut w = self.request(opcode::ADD_WATCH);
        w.ustring(path).int(mode);
        self.call(w).await.map(|_| ())
    }

    /// The notifications received since the last call, in the order they arrived.
    pub fn take_events(&mut self) -> Vec<Notification> {
        std::mem::take(&mut self.events)
    }

    /// Waits at most `wait` for a notification, unless one is in hand.
    pub async fn wait_event(&mut self, wait: Duration) -> Result<(), ClientError> {
        if !self.events.is_empty() {
            return Ok(());
        }
        // `fill_buf` is cancel-safe: a wait that ends consumes nothing.
        match tokio::time::timeout(wait, self.stream.fill_buf()).await {
            Err(_) => return Ok(()),
            Ok(ready) => ready.map_err(lost)?,
        };
        let body = self.packet().await?;
        let mut r = Reader::new(&body);
        let header = ReplyHeader::decode(&mut r).map_err(lost)?;
        if header.xid != crate::wire::xid::NOTIFICATION {
            return Err(lost(format!("reply to xid {} with none due", header.xid)));
        }
        self.events.push(notification(&mut r, header.zxid)?);
        Ok(())
    }

    /// Ends the session, not waiting long for the answer.
    pub async fn close(mut self) {
        let w = self.request(opcode::CLOSE_SESSION);
        let _ = self.call(w).await;
    }

    fn request(&mut self, op: i32) -> Writer {
        let mut w = Writer::new();
        w.int(self.next_xid).int(op);
        w
    }

    /// Sends a request and waits for its reply's body: the reply must answer it (the
    /// client has one request in flight); watch notifications on the way are kept.
    async fn call(&mut self, w: Writer) -> Result<Vec<u8>, ClientError> {
        let xid = self.next_xid;
        self.next_xid = xid.wrapping_add(1).max(1);
        self.send(&w.bytes).await?;
        loop {
            let body = self.packet().await?;
            let mut r = Reader::new(&body);
            let header = ReplyHeader::decode(&mut r).map_err(lost)?;
            if header.xid == crate::wire::xid::NOTIFICATION {
                self.events.push(notification(&mut r, header.zxid)?);
                continue;
            }
            if header.xid != xid {
                return Err(lost(format!(
                    "reply to xid {} where {xid} was due",
                    header.xid
                )));
            }
            if header.err != 0 {
                return Err(ClientError::Server(header.err));
            }
            return Ok(body[body.len() - r.remaining()..].to_vec());
        }
    }

    async fn send(&mut self, body: &[u8]) -> Result<(), ClientError> {
        let write = async { self.stream.get_mut().write_all(&frame::frame(body)).await };
        tokio::time::timeout(self.timeout, write)
            .await
            .map_err(|_| lost("send timed out"))?
            .map_err(lost)
    }

    async fn packet(&mut self) -> Result<Vec<u8>, ClientError> {
        let read = async {
            let len = self.stream.read_i32().await?;
            let len = usize::try_from(len)
                .ok()
                .filter(|&l| l <= MAX_REPLY)
                .ok_or_else(|| std::io::Error::other(format!("reply of {len} bytes")))?;
            let mut body = vec![0; len];
            self.stream.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(body)
        };
        tokio::time::timeout(self.timeout, read)
            .await
            .map_err(|_| lost("no reply in time"))?
            .map_err(lost)
    }
}
