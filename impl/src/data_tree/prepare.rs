//! Turning a client request into a transaction (`PrepRequestProcessor.pRequest2Txn`). The
//! checks run in ZooKeeper's order, so that a request wrong in several ways gets the error
//! ZooKeeper would give; the order differs per operation and is spelled out on each.

use super::acl_check;
use super::node::{intern_acl, DataNode, NodeData, NodeKind, MAX_TTL_MS};
use super::request::{CreateRequest, Op, Request, RequestContext};
use super::{multi, path, DataTree};
use crate::acl::{perms, Acl};
use crate::error::ZkError;
use crate::session::SessionStatus;
use crate::txn::{CreateMode, Txn};

impl DataTree {
    /// Validates `req` against this tree and returns the transaction to propose, or the error
    /// the client gets. A multi always yields `Txn::Multi`: its failure is per op, inside.
    /// ZooKeeper proposes a failed request too, as an error transaction; `prepare_txn` does
    /// that conversion.
    pub fn prepare(&self, req: &Request, ctx: &RequestContext) -> Result<Txn, ZkError> {
        match req {
            Request::CreateSession {
                timeout_ms,
                password,
            } => Ok(Txn::CreateSession {
                timeout_ms: *timeout_ms,
                password: *password,
            }),
            // No session check: the expirer closes sessions it does not own.
            Request::CloseSession => Ok(Txn::CloseSession),
            Request::Create(c) => self.prepare_create(c, ctx),
            Request::Delete { path, version } => self.prepare_delete(path, *version, ctx),
            Request::DeleteContainer { path } => self.prepare_delete_container(path),
            Request::SetData {
                path,
                data,
                version,
            } => self.prepare_set_data(path, data, *version, ctx),
            Request::SetAcl { path, acl, version } => {
                self.prepare_set_acl(path, acl, *version, ctx)
            }
            Request::Check { path, version } => self.prepare_check(path, *version, ctx),
            Request::Multi(ops) => Ok(multi::prepare(self, ops, ctx)),
            Request::Moved(inner) => {
                let session = match ctx.session {
                    SessionStatus::Active => SessionStatus::Moved,
                    other => other,
                };
                self.prepare(inner, &ctx.clone().with_session(session))
            }
        }
    }

    /// `prepare`, with a failure turned into the error transaction ZooKeeper proposes.
    pub fn prepare_txn(&self, req: &Request, ctx: &RequestContext) -> Txn {
        self.prepare(req, ctx).unwrap_or_else(Txn::Error)
    }

    /// One operation of a multi, checked exactly as the same request alone.
    pub(super) fn prepare_op(&self, op: &Op, ctx: &RequestContext) -> Result<Txn, ZkError> {
        match op {
            Op::Create(c) => self.prepare_create(c, ctx),
            Op::Delete { path, version } => self.prepare_delete(path, *version, ctx),
            Op::SetData {
                path,
                data,
                version,
            } => self.prepare_set_data(path, data, *version, ctx),
            Op::Check { path, version } => self.prepare_check(path, *version, ctx),
        }
    }

    /// Create: TTL support, TTL range, session, slash and NUL, ACL well-formed, parent
    /// exists, CREATE on the parent, sequential suffix, full path validation, node exists,
    /// parent ephemeral. Note that `NodeExists` wins over `NoChildrenForEphemerals`.
    fn prepare_create(&self, c: &CreateRequest, ctx: &RequestContext) -> Result<Txn, ZkError> {
        if c.mode.is_ttl() && !self.options.ttl_enabled {
            return Err(ZkError::Unimplemented);
        }
        validate_ttl(c.mode, c.ttl)?;
        if c.mode.is_ephemeral() {
            ctx.session.check_global()?;
        } else {
            ctx.session.check()?;
        }
        let parent_path = path::parent_for_create(&c.path)?;
        let acl = acl_check::fixup(&c.acl, &ctx.caller)?;
        let parent = self.node(parent_path).ok_or(ZkError::NoNode)?;
        acl_check::check(&parent.acl, perms::CREATE, &ctx.caller)?;
        let path = if c.mode.is_sequential() {
            path::sequential(&c.path, parent.cversion)
        } else {
            c.path.clone()
        };
        path::validate(&path)?;
        if self.node(&path).is_some() {
            return Err(ZkError::NodeExists);
        }
        if matches!(parent.kind(), NodeKind::Ephemeral(_)) {
            return Err(ZkError::NoChildrenForEphemerals);
        }
        Ok(Txn::Create {
            path,
            data: NodeData::new(&c.data),
            acl: intern_acl(acl),
            mode: c.mode,
            parent_cversion: parent.cversion.wrapping_add(1),
            ttl: if c.mode.is_ttl() { c.ttl } else { -1 },
        })
    }

    /// Delete: session, slash / NUL / built-in node, parent exists, DELETE on the parent,
    /// node exists, version, no children.
    fn prepare_delete(
        &self,
        path: &str,
        version: i32,
        ctx: &RequestContext,
    ) -> Result<Txn, ZkError> {
        ctx.session.check()?;
        let parent_path = path::parent_for_delete(path)?;
        let parent = self.node(parent_path).ok_or(ZkError::NoNode)?;
        acl_check::check(&parent.acl, perms::DELETE, &ctx.caller)?;
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        next_version(node.version, version)?;
        if node.num_children > 0 {
            return Err(ZkError::NotEmpty);
        }
        Ok(Txn::Delete {
            path: path.to_string(),
        })
    }

    /// The container manager's delete: no session, no ACL, no version; refused for a node
    /// that has children (it got one since the scan) and, oddly, with `BadVersion` for an
    /// ephemeral node. ZooKeeper does not re-check that the node is a container or an expired
    /// TTL node: the scan did.
    fn prepare_delete_container(&self, path: &str) -> Result<Txn, ZkError> {
        let parent_path = path::parent_for_delete(path)?;
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        if node.num_children > 0 {
            return Err(ZkError::NotEmpty);
        }
        if matches!(node.kind(), NodeKind::Ephemeral(_)) {
            return Err(ZkError::BadVersion);
        }
        self.node(parent_path).ok_or(ZkError::NoNode)?;
        Ok(Txn::Delete {
            path: path.to_string(),
        })
    }

    /// The node at `path` for a request that needs `perm` on it, checked in ZooKeeper's
    /// order for setData and check: session, path, node exists, permission.
    fn permitted_node(
        &self,
        path: &str,
        perm: i32,
        ctx: &RequestContext,
    ) -> Result<&DataNode, ZkError> {
        ctx.session.check()?;
        path::validate(path)?;
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        acl_check::check(&node.acl, perm, &ctx.caller)?;
        Ok(node)
    }

    /// SetData: session, path, node exists, WRITE, version.
    fn prepare_set_data(
        &self,
        path: &str,
        data: &[u8],
        version: i32,
        ctx: &RequestContext,
    ) -> Result<Txn, ZkError> {
        let node = self.permitted_node(path, perms::WRITE, ctx)?;
        let version = next_version(node.version, version)?;
        Ok(Txn::SetData {
            path: path.to_string(),
            data: NodeData::new(data),
            version,
        })
    }

    /// SetACL: session, path, ACL well-formed, node exists, ADMIN, ACL version.
    fn prepare_set_acl(
        &self,
        path: &str,
        acl: &[Acl],
        version: i32,
        ctx: &RequestContext,
    ) -> Result<Txn, ZkError> {
        ctx.session.check()?;
        path::validate(path)?;
        let acl = acl_check::fixup(acl, &ctx.caller)?;
        let node = self.node(path).ok_or(ZkError::NoNode)?;
        acl_check::check(&node.acl, perms::ADMIN, &ctx.caller)?;
        let version = next_version(node.aversion, version)?;
        Ok(Txn::SetAcl {
            path: path.to_string(),
            acl,
            version,
        })
    }

    /// Check: session, path, node exists, READ, version. The transaction carries the version
    /// plus one, as ZooKeeper's `CheckVersionTxn` does; applying it changes nothing.
    fn prepare_check(
        &self,
        path: &str,
        version: i32,
        ctx: &RequestContext,
    ) -> Result<Txn, ZkError> {
        let node = self.permitted_node(path, perms::READ, ctx)?;
        let version = next_version(node.version, version)?;
        Ok(Txn::Check {
            path: path.to_string(),
            version,
        })
    }
}

/// `checkAndIncVersion`: -1 matches any version; the next version skips -1 (ZOOKEEPER-4743),
/// so that a wrapped counter can still be named by a client.
fn next_version(current: i32, expected: i32) -> Result<i32, ZkError> {
    if expected != -1 && expected != current {
        return Err(ZkError::BadVersion);
    }
    let next = current.wrapping_add(1);
    Ok(if next == -1 { 0 } else { next })
}

/// `EphemeralType.validateTTL`: a TTL mode needs 0 < ttl ≤ 2^40 − 1 ms; any other mode must
/// not carry a TTL (≥ 0).
fn validate_ttl(mode: CreateMode, ttl: i64) -> Result<(), ZkError> {
    let ok = if mode.is_ttl() {
        ttl > 0 && ttl <= MAX_TTL_MS
    } else {
        ttl < 0
    };
    if ok {
        Ok(())
    } else {
        Err(ZkError::BadArguments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_match_minus_one_and_skip_minus_one() {
        assert_eq!(next_version(3, -1), Ok(4));
        assert_eq!(next_version(3, 3), Ok(4));
        assert_eq!(next_version(3, 2), Err(ZkError::BadVersion));
        assert_eq!(next_version(i32::MAX, -1), Ok(i32::MIN));
        assert_eq!(next_version(-2, -2), Ok(0), "never hands out -1");
    }

    #[test]
    fn ttl_ranges() {
        assert_eq!(validate_ttl(CreateMode::PersistentWithTtl, 1), Ok(()));
        assert_eq!(
            validate_ttl(CreateMode::PersistentWithTtl, MAX_TTL_MS),
            Ok(())
        );
        for bad in [0, -1, MAX_TTL_MS + 1, i64::MAX, i64::MIN] {
            assert_eq!(
                validate_ttl(CreateMode::PersistentSequentialWithTtl, bad),
                Err(ZkError::BadArguments)
            );
        }
        assert_eq!(validate_ttl(CreateMode::Persistent, -1), Ok(()));
        assert_eq!(
            validate_ttl(CreateMode::Persistent, 0),
            Err(ZkError::BadArguments)
        );
        assert_eq!(
            validate_ttl(CreateMode::Ephemeral, 5),
            Err(ZkError::BadArguments)
        );
    }
}
