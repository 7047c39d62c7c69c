//! `ZooDefs.OpCode`: the operation numbers of the client protocol.

/// A watch notification; ZooKeeper's `OpCode.notification`, not sent as a request.
pub const NOTIFICATION: i32 = 0;
/// `create`: a `CreateRequest`, answered with the created path.
pub const CREATE: i32 = 1;
/// `delete`: a `DeleteRequest` (path, expected version).
pub const DELETE: i32 = 2;
/// `exists`: an `ExistsRequest`, answered with the node's Stat; may leave a data watch.
pub const EXISTS: i32 = 3;
/// `getData`: answered with the node's data and Stat; may leave a data watch.
pub const GET_DATA: i32 = 4;
/// `setData`: new data for a node at an expected version; answered with the new Stat.
pub const SET_DATA: i32 = 5;
/// `getACL`: answered with the node's ACL and Stat.
pub const GET_ACL: i32 = 6;
/// `setACL`: a new ACL for a node at an expected ACL version.
pub const SET_ACL: i32 = 7;
/// `getChildren`: answered with the node's children; may leave a child watch.
pub const GET_CHILDREN: i32 = 8;
/// `sync`: answered once this server has applied every write committed before it.
pub const SYNC: i32 = 9;
/// `ping`: keeps the session alive; sent with xid -2.
pub const PING: i32 = 11;
/// `getChildren2`: `getChildren` whose reply also carries the node's Stat.
pub const GET_CHILDREN2: i32 = 12;
/// `check`: fails unless a node is at an expected version; usually an op inside a multi.
pub const CHECK: i32 = 13;
/// `multi`: a transaction of create, delete, setData and check ops, all or none applied.
pub const MULTI: i32 = 14;
/// `create2`: a create answered with the path and the new node's Stat.
pub const CREATE2: i32 = 15;
/// `reconfig`: dynamic reconfiguration; not served by zabd.
pub const RECONFIG: i32 = 16;
/// `checkWatches`: whether the connection holds a watch of a type on a path.
pub const CHECK_WATCHES: i32 = 17;
/// `removeWatches`: drops the connection's watches of a type on a path.
pub const REMOVE_WATCHES: i32 = 18;
/// `createContainer`: a create2 of a container node.
pub const CREATE_CONTAINER: i32 = 19;
/// `deleteContainer`: the container manager's delete of an empty container or TTL node.
pub const DELETE_CONTAINER: i32 = 20;
/// `createTTL`: a create2 of a TTL node, its request carrying the TTL in ms.
pub const CREATE_TTL: i32 = 21;
/// `multiRead`: several getChildren and getData reads, answered together.
pub const MULTI_READ: i32 = 22;
/// `auth`: an `AuthPacket` (`addAuth`) adding an identity to the connection.
pub const AUTH: i32 = 100;
/// `setWatches`: re-registers data, exist and child watches after a reconnect.
pub const SET_WATCHES: i32 = 101;
/// `sasl`: a SASL authentication step; not served by zabd.
pub const SASL: i32 = 102;
/// `getEphemerals`: the session's ephemeral nodes whose paths start with a prefix.
pub const GET_EPHEMERALS: i32 = 103;
/// `getAllChildrenNumber`: how many descendants a node has.
pub const GET_ALL_CHILDREN_NUMBER: i32 = 104;
/// `setWatches2`: `setWatches` with persistent and persistent recursive watches too.
pub const SET_WATCHES2: i32 = 105;
/// `addWatch`: a persistent or persistent recursive watch on a path.
pub const ADD_WATCH: i32 = 106;
/// `whoAmI`: the connection's authenticated identities.
pub const WHO_AM_I: i32 = 107;
/// `createSession`: the type of the transaction a handshake makes; not a client request.
pub const CREATE_SESSION: i32 = -10;
/// `closeSession`: the client ends its session, and its ephemerals go.
pub const CLOSE_SESSION: i32 = -11;
/// The type of a failed operation's entry in a multi reply.
pub const ERROR: i32 = -1;

/// The four-letter name ZooKeeper's logs and `cons` use for an operation.
pub fn name(op: i32) -> &'static str {
    match op {
        CREATE | CREATE2 | CREATE_CONTAINER | CREATE_TTL => "CREA",
        DELETE => "DELE",
        EXISTS => "EXIS",
        GET_DATA => "GETD",
        SET_DATA => "SETD",
        GET_ACL => "GETA",
        SET_ACL => "SETA",
        GET_CHILDREN | GET_CHILDREN2 => "GETC",
        SYNC => "SYNC",
        PING => "PING",
        CHECK => "CHEC",
        MULTI => "MULT",
        MULTI_READ => "MLTR",
        CHECK_WATCHES => "CHKW",
        REMOVE_WATCHES => "REMW",
        AUTH => "AUTH",
        SET_WATCHES | SET_WATCHES2 => "SETW",
        GET_EPHEMERALS => "GETE",
        GET_ALL_CHILDREN_NUMBER => "GETACN",
        ADD_WATCH => "ADDW",
        WHO_AM_I => "HOMI",
        CLOSE_SESSION => "CLOS",
        _ => "UNKN",
    }
}
