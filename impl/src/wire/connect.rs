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
    pub protocol_version: i32,
    pub last_zxid_seen: i64,
    pub timeout_ms: i32,
    /// 0 for a new session; the old id to resume one.
    pub session_id: i64,
    pub passwd: Vec<u8>,
    /// Sent by 3.4+ clients, omitted by older ones (`None`).
    pub read_only: Option<bool>,
}

impl ConnectRequest {
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
    pub protocol_version: i32,
    pub timeout_ms: i32,
    pub session_id: i64,
    pub passwd: Vec<u8>,
    /// Echoed only to clients that sent the flag.
    pub read_only: Option<bool>,
}

impl ConnectResponse {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.int(self.protocol_version)
            .int(self.timeout_ms)
            .long(self.session_id)
            .buffer(&self.passwd);
        write_read_only_flag(&mut w, self.read_only);
        w.bytes
    }

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
    pub xid: i32,
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

    pub fn encode(&self, w: &mut Writer) {
        w.int(self.xid).int(self.op);
    }
}

/// `ReplyHeader`: which request this answers, the zxid the server had reached, the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyHeader {
    pub xid: i32,
    pub zxid: i64,
    pub err: i32,
}

impl ReplyHeader {
    pub fn encode(&self, w: &mut Writer) {
        w.int(self.xid).long(self.zxid).int(self.err);
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<ReplyHeader, JuteError> {
        Ok(ReplyHeader {
            xid: r.int()?,
            zxid: r.long()?,
            err: r.int()?,
        })
    }
}
