//! Access control: an ACL is a list of (permissions, identity) entries.

use serde::{Deserialize, Serialize};

/// Permission bits (`ZooDefs.Perms`).
pub mod perms {
    pub const READ: i32 = 1 << 0;
    pub const WRITE: i32 = 1 << 1;
    pub const CREATE: i32 = 1 << 2;
    pub const DELETE: i32 = 1 << 3;
    pub const ADMIN: i32 = 1 << 4;
    pub const ALL: i32 = READ | WRITE | CREATE | DELETE | ADMIN;
}

/// An identity: a scheme (`world`, `auth`, `digest`, `ip`, …) and an id within it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Id {
    pub scheme: String,
    pub id: String,
}

impl Id {
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

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Acl {
    pub perms: i32,
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
