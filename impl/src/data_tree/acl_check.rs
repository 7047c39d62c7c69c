//! Access control as ZooKeeper's server enforces it: who the caller is (`Caller`), checking a
//! permission against a node's ACL (`ZooKeeperServer.checkACL`), validating and expanding an
//! ACL a client sends (`PrepRequestProcessor.fixupACL`), and the `digest` and `ip` schemes.

use crate::acl::{perms, Acl, Id};
use crate::error::ZkError;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// The identities a request carries: what the connection authenticated as (`addAuth`), and
/// the client's address, which ZooKeeper adds to every connection as an `ip` identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The identities the connection authenticated as with `addAuth`, in order: `digest` ids
    /// as `user:hash` (see `digest_auth`), and `super` when it matched the super digest, which
    /// passes every check.
    pub auth: Vec<Id>,
    /// The client's address as text, matched against `ip` ACL entries; `None` where there is
    /// no connection (tests, tools).
    pub client_ip: Option<String>,
}

impl Caller {
    /// A caller with no identity and no address: only an empty ACL or a `world:anyone` entry
    /// admits it.
    pub fn anonymous() -> Caller {
        Caller::default()
    }

    /// A caller holding the `auth` identities and no client address.
    pub fn with_auth(auth: Vec<Id>) -> Caller {
        Caller {
            auth,
            client_ip: None,
        }
    }

    fn is_super(&self) -> bool {
        self.auth.iter().any(|id| id.scheme == "super")
    }

    /// The ids the caller holds in `scheme`, the connection's address included for `ip`.
    fn ids_in<'a>(&'a self, scheme: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let ip = self.client_ip.as_deref().filter(|_| scheme == "ip");
        self.auth
            .iter()
            .filter(move |id| id.scheme == scheme)
            .map(|id| id.id.as_str())
            .chain(ip)
    }
}

/// `checkACL`: an empty ACL admits everyone, so does a `super` identity; otherwise some entry
/// granting one of the bits of `perm` must match one of the caller's identities.
pub fn check(acl: &[Acl], perm: i32, caller: &Caller) -> Result<(), ZkError> {
    if acl.is_empty() || caller.is_super() {
        return Ok(());
    }
    let granted = acl
        .iter()
        .filter(|a| a.perms & perm != 0)
        .any(|a| entry_matches(&a.id, caller));
    if granted {
        Ok(())
    } else {
        Err(ZkError::NoAuth)
    }
}

fn entry_matches(entry: &Id, caller: &Caller) -> bool {
    match entry.scheme.as_str() {
        "world" => entry.id == "anyone",
        "digest" => caller.ids_in("digest").any(|id| id == entry.id),
        "ip" => caller.ids_in("ip").any(|id| ip_matches(id, &entry.id)),
        // No authentication provider is registered for any other scheme.
        _ => false,
    }
}

/// `fixupACL`: duplicates dropped, an empty list refused, `auth` replaced by the caller's
/// authenticated identities (refused when there are none), every other entry checked by its
/// scheme's provider. Only `world:anyone`, `digest` and `ip` are known schemes.
pub fn fixup(acl: &[Acl], caller: &Caller) -> Result<Vec<Acl>, ZkError> {
    // In order, each once (a set beside the list: a request may hold thousands of entries).
    let mut seen = std::collections::HashSet::with_capacity(acl.len());
    let unique: Vec<&Acl> = acl.iter().filter(|a| seen.insert(*a)).collect();
    if unique.is_empty() {
        return Err(ZkError::InvalidAcl);
    }
    let mut fixed = Vec::with_capacity(unique.len());
    for a in unique {
        match a.id.scheme.as_str() {
            "world" if a.id.id == "anyone" => fixed.push(a.clone()),
            "auth" => expand_auth(a.perms, caller, &mut fixed)?,
            "digest" if valid_digest_id(&a.id.id) => fixed.push(a.clone()),
            "ip" if valid_ip_id(&a.id.id) => fixed.push(a.clone()),
            _ => return Err(ZkError::InvalidAcl),
        }
    }
    Ok(fixed)
}

/// `auth` stands for every identity the caller authenticated with a provider that
/// authenticates: `digest` does, `ip` does not (an address is not a credential).
fn expand_auth(perms: i32, caller: &Caller, out: &mut Vec<Acl>) -> Result<(), ZkError> {
    let before = out.len();
    for id in caller.auth.iter().filter(|id| id.scheme == "digest") {
        out.push(Acl {
            perms,
            id: id.clone(),
        });
    }
    if out.len() == before {
        Err(ZkError::InvalidAcl)
    } else {
        Ok(())
    }
}

/// What `getACL` shows a caller without ADMIN: digest hashes replaced by `x`.
pub fn redact(acl: &[Acl]) -> Vec<Acl> {
    acl.iter()
        .map(|a| match (a.id.scheme.as_str(), a.id.id.find(':')) {
            ("digest", Some(colon)) => Acl {
                perms: a.perms,
                id: Id::new("digest", &format!("{}:x", &a.id.id[..colon])),
            },
            _ => a.clone(),
        })
        .collect()
}

/// Java's `String.split(sep)`: trailing empty pieces dropped, but never fewer than one piece.
fn java_split_len(s: &str, sep: char) -> usize {
    let pieces: Vec<&str> = s.split(sep).collect();
    let kept = pieces
        .iter()
        .rposition(|p| !p.is_empty())
        .map_or(0, |i| i + 1);
    if s.is_empty() {
        1
    } else {
        kept
    }
}

/// `DigestAuthenticationProvider.isValid`: `user:hash`.
fn valid_digest_id(id: &str) -> bool {
    java_split_len(id, ':') == 2
}

/// `DigestAuthenticationProvider.generateDigest`: `user:base64(sha1("user:password"))`.
pub fn generate_digest(user_password: &str) -> String {
    let user = user_password.split(':').next().unwrap_or("");
    let hash = Sha1::digest(user_password.as_bytes());
    format!(
        "{user}:{}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// `DigestAuthenticationProvider.handleAuthentication`: the identities `addAuth("digest",
/// "user:password")` grants; `super` as well when it matches the configured super digest.
pub fn digest_auth(auth_data: &[u8], super_digest: Option<&str>) -> Vec<Id> {
    let digest = generate_digest(&String::from_utf8_lossy(auth_data));
    let mut ids = Vec::with_capacity(2);
    if super_digest == Some(digest.as_str()) {
        ids.push(Id::new("super", ""));
    }
    ids.push(Id::new("digest", &digest));
    ids
}

/// `IPAuthenticationProvider.isValid`: an address, optionally `/bits` within its length.
fn valid_ip_id(id: &str) -> bool {
    parse_ip_expr(id).is_some()
}

/// `IPAuthenticationProvider.matches`: the caller's address and the ACL's, both masked to the
/// ACL's prefix length, are equal (and of the same family).
pub fn ip_matches(client: &str, acl_expr: &str) -> bool {
    let Some((mut acl_addr, bits)) = parse_ip_expr(acl_expr) else {
        return false;
    };
    let Some(mut addr) = addr_bytes(client) else {
        return false;
    };
    mask(&mut acl_addr, bits);
    mask(&mut addr, bits);
    addr == acl_addr
}

fn parse_ip_expr(expr: &str) -> Option<(Vec<u8>, usize)> {
    let (addr, bits) = match expr.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (expr, None),
    };
    let bytes = addr_bytes(addr)?;
    let max = bytes.len() * 8;
    let bits = match bits {
        None => max,
        Some(b) => usize::try_from(b.parse::<i32>().ok()?)
            .ok()
            .filter(|b| *b <= max)?,
    };
    Some((bytes, bits))
}

fn addr_bytes(addr: &str) -> Option<Vec<u8>> {
    if addr.contains(':') {
        v6_bytes(addr)
    } else if addr.contains('.') {
        v4_bytes(addr)
    } else {
        None
    }
}

fn v4_bytes(addr: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = addr.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    parts
        .iter()
        .map(|p| p.parse::<i32>().ok().and_then(|v| u8::try_from(v).ok()))
        .collect()
}

fn v6_bytes(addr: &str) -> Option<Vec<u8>> {
    let halves: Vec<&str> = addr.split("::").collect();
    let segments = |s: &str| -> Vec<String> {
        if s.is_empty() {
            Vec::new()
        } else {
            s.split(':').map(str::to_string).collect()
        }
    };
    let (head, tail) = match halves.as_slice() {
        [full] => {
            let head = full.split(':').map(str::to_string).collect::<Vec<_>>();
            (head.len() == 8).then_some((head, Vec::new()))?
        }
        [a, b] => {
            let (head, tail) = (segments(a), segments(b));
            (head.len() + tail.len() < 8).then_some((head, tail))?
        }
        _ => return None,
    };
    let mut out = vec![0u8; 16];
    fill_v6(&mut out[..head.len() * 2], &head)?;
    let start = 16 - tail.len() * 2;
    fill_v6(&mut out[start..], &tail)?;
    Some(out)
}

fn fill_v6(out: &mut [u8], segments: &[String]) -> Option<()> {
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() || seg.len() > 4 {
            return None;
        }
        let v = i32::from_str_radix(seg, 16).ok()?;
        out[2 * i] = (v >> 8) as u8;
        out[2 * i + 1] = v as u8;
    }
    Some(())
}

fn mask(bytes: &mut [u8], bits: usize) {
    let start = bits / 8;
    let keep = bits % 8;
    if start < bytes.len() {
        bytes[start] &= !(0xffu8 >> keep);
        for b in &mut bytes[start + 1..] {
            *b = 0;
        }
    }
}

/// True when the ACL lets `caller` do all of `READ`.
pub fn can_read(acl: &[Acl], caller: &Caller) -> bool {
    check(acl, perms::READ, caller).is_ok()
}
