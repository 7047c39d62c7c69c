//! Access control: an ACL is a list of (permissions, identity) entries.

use serde::{Deserialize, Serialize};

/// Permission bits (`ZooDefs.Perms`).
pub mod perms {
    /// Read a node's data, children and Stat (getData, getChildren, exists, check).
    pub const READ: i32 = 1 << 0;
    /// Set a node's data (setData).
    pub const WRITE: i32 = 1 << 1;
    /// Create children; checked on the parent of a created node.
    pub const CREATE: i32 = 1 << 2;
    /// Delete children; checked on the parent of a deleted node.
    pub const DELETE: i32 = 1 << 3;
    /// Change a node's ACL (setACL).
    pub const ADMIN: i32 = 1 << 4;
    /// Every permission: 31, as `ZooDefs.Perms.ALL`.
    pub const ALL: i32 = READ | WRITE | CREATE | DELETE | ADMIN;
}

/// An identity: a scheme (`world`, `auth`, `digest`, `ip`, …) and an id within it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Id {
    /// The authentication scheme, which decides how `id` is matched.
    pub scheme: String,
    /// The identity within the scheme: `anyone` for `world`, `user:base64(sha1)` for
    /// `digest`, an address or CIDR range for `ip`, empty for `auth`.
    pub id: String,
}

impl Id {
    /// The identity `scheme:id`.
    pub fn new(scheme: &str, id: &str) -> Id {
        Id {
            scheme: scheme.to_string(),
            id: id.to_string(),
        }
    }

    /// `world:anyone`.
    pub fn anyone() -> Id {
        Id::new("world", "anyone")
    }

    /// `auth:` — stands for every identity the creating session has authenticated as.
    pub fn auth_ids() -> Id {
        Id::new("auth", "")
    }
}

/// One ACL entry (jute `ACL`): the permissions granted to an identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Acl {
    /// The granted permissions, an OR of the [`perms`] bits.
    pub perms: i32,
    /// Who is granted them.
    pub id: Id,
}

impl Acl {
    /// `ZooDefs.Ids.OPEN_ACL_UNSAFE`: everything for everyone.
    pub fn open_unsafe() -> Vec<Acl> {
        vec![Acl {
            perms: perms::ALL,
            id: Id::anyone(),
        }]
    }

    /// `ZooDefs.Ids.READ_ACL_UNSAFE`.
    pub fn read_unsafe() -> Vec<Acl> {
        vec![Acl {
            perms: perms::READ,
            id: Id::anyone(),
        }]
    }

    /// `ZooDefs.Ids.CREATOR_ALL_ACL`.
    pub fn creator_all() -> Vec<Acl> {
        vec![Acl {
            perms: perms::ALL,
            id: Id::auth_ids(),
        }]
    }
}
