//! The ZooKeeper client protocol on the wire: packet framing, the jute encoding, and the
//! records of `zookeeper.jute` the server reads and writes. Pure functions over bytes; the
//! networked server feeds them what its sockets read.

pub mod connect;
pub mod frame;
pub mod jute;
pub mod opcode;
pub mod request;
pub mod response;

#[cfg(test)]
mod ops_tests;
#[cfg(test)]
mod tests;

pub use connect::{ConnectRequest, ConnectResponse, ReplyHeader, RequestHeader};
pub use frame::{FrameError, DEFAULT_MAX_BUFFER};
pub use jute::{JuteError, Reader, Writer};
pub use request::{ClientOp, DecodeError, ReadOp};
pub use response::{MultiResult, Reply};

/// The special xids of ZooKeeper's protocol.
pub mod xid {
    /// A watch notification from the server.
    pub const NOTIFICATION: i32 = -1;
    /// A ping and its reply; the server answers every ping with this xid.
    pub const PING: i32 = -2;
    /// The Java client's auth packet (other clients use their own counter; the reply echoes
    /// the request's xid).
    pub const AUTH: i32 = -4;
    /// The Java client's setWatches packet after a reconnect (the reply echoes the xid).
    pub const SET_WATCHES: i32 = -8;
}
