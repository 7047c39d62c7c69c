//! A session's password: 16 random bytes drawn from the operating system by the server that
//! creates the session, carried in the create-session transaction and kept in the replicated
//! session table, so any server of the ensemble can check it when the client resumes there.
//!
//! ZooKeeper derives a session's password from its id and a constant (`superSecret`), so
//! anyone who learns a session id (`cons` lists them) can resume and close the session. Here
//! the password is not a function of anything an attacker can see.

use serde::{Deserialize, Serialize};

/// The length ZooKeeper's clients expect of a session password.
pub const PASSWORD_LEN: usize = 16;

/// A session's password. Its `Debug` form hides the bytes, so a log line never carries one.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Password(pub [u8; PASSWORD_LEN]);

/// The operating system's randomness could not be read.
#[derive(Debug, thiserror::Error)]
#[error("no randomness for a session password: {0}")]
pub struct NoRandomness(String);

impl Password {
    /// A fresh password from the operating system's random source.
    pub fn random() -> Result<Password, NoRandomness> {
        let mut bytes = [0u8; PASSWORD_LEN];
        getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
        Ok(Password(bytes))
    }

    /// Whether `presented` (a client's ConnectRequest) is this password. The comparison takes
    /// the same time wherever the first differing byte is, so a client cannot find the
    /// password byte by byte from the time a refusal takes.
    pub fn matches(&self, presented: &[u8]) -> bool {
        presented.len() == PASSWORD_LEN
            && self
                .0
                .iter()
                .zip(presented)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_passwords_differ_and_are_not_zero() {
        let drawn: std::collections::HashSet<[u8; PASSWORD_LEN]> =
            (0..1000).map(|_| Password::random().unwrap().0).collect();
        assert_eq!(drawn.len(), 1000);
        assert!(!drawn.contains(&[0; PASSWORD_LEN]));
    }

    #[test]
    fn only_the_same_sixteen_bytes_match() {
        let p = Password([7; PASSWORD_LEN]);
        assert!(p.matches(&[7; PASSWORD_LEN]));
        let mut other = [7; PASSWORD_LEN];
        other[15] = 8;
        assert!(!p.matches(&other));
        assert!(!p.matches(&[7; PASSWORD_LEN - 1]));
        assert!(!p.matches(&[7; PASSWORD_LEN + 1]));
        assert!(!p.matches(&[]));
    }

    #[test]
    fn debug_does_not_show_the_bytes() {
        assert_eq!(
            format!("{:?}", Password([0xab; PASSWORD_LEN])),
            "Password(..)"
        );
    }
}
