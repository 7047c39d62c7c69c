//! The session handshake and the headers every later packet carries (`zookeeper.jute`:
//! ConnectRequest, ConnectResponse, RequestHeader, ReplyHeader).

use super::jute::{JuteError, Reader, Writer};

/// The optional trailing `readOnly` of the handshake records: present iff bytes remain.
fn read_only_flag(r: &mut Reader<'_>) -> Result<Option<bool>, JuteError> {
    match r.remaining() {
        0 => Ok(None),
        _ => r.boolean().map(Some),
    }
}

fn write_read_only_flag(w: &mut Writer, flag: Option<bool>) {
    if let Some(ro) = flag {
        w.boolean(ro);
    }
}

/// The first packet a client sends, without a request header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRequest {
    /// The client's protocol version; clients send 0.
    pub protocol_version: i32,
    /// The last zxid the client has seen; a server that has applied less refuses the client
    /// (closes the connection), so the client never goes back in time.
    pub last_zxid_seen: i64,
    /// The session timeout the client asks for, in ms; the server clamps it into its
    /// configured range.
    pub timeout_ms: i32,
    /// 0 for a new session; the old id to resume one.
    pub session_id: i64,
    /// The session's password, from the `ConnectResponse` that created it; zeros (or empty)
    /// for a new session.
    pub passwd: Vec<u8>,
    /// Sent by 3.4+ clients, omitted by older ones (`None`).
    pub read_only: Option<bool>,
}

impl ConnectRequest {
    /// Parses a handshake packet body; every byte must belong to the record.
    pub fn decode(body: &[u8]) -> Result<ConnectRequest, JuteError> {
        let mut r = Reader::new(body);
        let req = ConnectRequest {
            protocol_version: r.int()?,
            last_zxid_seen: r.long()?,
            timeout_ms: r.int()?,
            session_id: r.long()?,
            passwd: r.buffer()?,
            read_only: read_only_flag(&mut r)?,
        };
        r.finish()?;
        Ok(req)
    }

    /// The record's jute bytes (unframed); the trailing `readOnly` only when it is `Some`.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.int(self.protocol_version)
            .long(self.last_zxid_seen)
            .int(self.timeout_ms)
            .long(self.session_id)
            .buffer(&self.passwd);
        write_read_only_flag(&mut w, self.read_only);
        w.bytes
    }
}

/// The server's answer to the handshake. A timeout of 0 tells the client its session expired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectResponse {
    /// The server's protocol version: 0.
    pub protocol_version: i32,
    /// The negotiated session timeout, in ms; 0 when the session has expired.
    pub timeout_ms: i32,
    /// The session's id (new or resumed); 0 when the session has expired.
    pub session_id: i64,
    /// The session's 16-byte password, which the client presents to resume the session on
    /// any server of the ensemble.
    pub passwd: Vec<u8>,
    /// Echoed only to clients that sent the flag.
    pub read_only: Option<bool>,
}

impl ConnectResponse {
    /// The record's jute bytes (unframed); the trailing `readOnly` only when it is `Some`.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.int(self.protocol_version)
            .int(self.timeout_ms)
            .long(self.session_id)
            .buffer(&self.passwd);
        write_read_only_flag(&mut w, self.read_only);
        w.bytes
    }

    /// Parses the server's handshake answer (the client's side, used by zab-bench and the
    /// tests); every byte must belong to the record.
    pub fn decode(body: &[u8]) -> Result<ConnectResponse, JuteError> {
        let mut r = Reader::new(body);
        let resp = ConnectResponse {
            protocol_version: r.int()?,
            timeout_ms: r.int()?,
            session_id: r.long()?,
            passwd: r.buffer()?,
            read_only: read_only_flag(&mut r)?,
        };
        r.finish()?;
        Ok(resp)
    }
}

/// `RequestHeader`: the client's request number and the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestHeader {
    /// The client's request number, echoed in the reply's header; negative values are the
    /// special xids of [`crate::wire::xid`].
    pub xid: i32,
    /// The operation: an `opcode` number, which decides how the body is read.
    pub op: i32,
}

impl RequestHeader {
    /// The header, and the reader positioned at the request body.
    pub fn decode(body: &[u8]) -> Result<(RequestHeader, Reader<'_>), JuteError> {
        let mut r = Reader::new(body);
        let h = RequestHeader {
            xid: r.int()?,
            op: r.int()?,
        };
        Ok((h, r))
    }

    /// Writes the header, to be followed by the request body.
    pub fn encode(&self, w: &mut Writer) {
        w.int(self.xid).int(self.op);
    }
}

/// `ReplyHeader`: which request this answers, the zxid the server had reached, the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyHeader {
    /// The xid of the request answered, or -1 for a watch notification.
    pub xid: i32,
    /// The zxid the server had applied when it answered: a write's own zxid, the last applied
    /// one for a read, 0 for auth; for a notification the change's zxid, or -1. The client
    /// keeps the highest as its `lastZxidSeen`.
    pub zxid: i64,
    /// 0 on success, else a `KeeperException` code (`ZkError::code`); no body follows an error.
    pub err: i32,
}

impl ReplyHeader {
    /// Writes the header, to be followed by the reply body when `err` is 0.
    pub fn encode(&self, w: &mut Writer) {
        w.int(self.xid).long(self.zxid).int(self.err);
    }

    /// Reads the header, leaving `r` at the reply body.
    pub fn decode(r: &mut Reader<'_>) -> Result<ReplyHeader, JuteError> {
        Ok(ReplyHeader {
            xid: r.int()?,
            zxid: r.long()?,
            err: r.int()?,
        })
    }
}
