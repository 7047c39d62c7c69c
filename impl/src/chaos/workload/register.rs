//! The CAS-register workload: getData (40 %), sync then getData (10 %), setData whatever the
//! version (20 %) and setData at the version the worker last saw (30 %), on random keys,
//! every value unique.

use super::{Clients, Workload};
use crate::chaos::client::{Client, ClientError};
use crate::chaos::nemesis::Rng;
use crate::chaos::register::{RegisterOp, RegisterRet};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

/// The registers: `keys` znodes.
pub struct Registers {
    /// How many.
    pub keys: u32,
    /// The next value to write.
    values: AtomicU32,
}

impl Registers {
    /// `keys` registers.
    pub fn new(keys: u32) -> Registers {
        Registers {
            keys,
            values: AtomicU32::new(1),
        }
    }

    fn path(key: u32) -> String {
        format!("/chaos-register-{key}")
    }

    /// Creates each key's znode with value 0 (version 0).
    pub async fn set_up(&self, clients: &Clients) -> Result<(), ClientError> {
        super::create_all(clients, (0..self.keys).map(Self::path), b"0").await
    }
}

impl Workload for Registers {
    type Op = RegisterOp;
    type Ret = RegisterRet;
    /// The last version seen of each key, for compare-and-sets.
    type Memory = HashMap<u32, i32>;

    fn next(&self, rng: &mut Rng, seen: &HashMap<u32, i32>) -> RegisterOp {
        let key = rng.below(u64::from(self.keys)) as u32;
        let value = || self.values.fetch_add(1, Ordering::Relaxed);
        match rng.below(10) {
            0..=3 => RegisterOp::Read { key },
            4 => RegisterOp::SyncRead { key },
            5..=6 => RegisterOp::Write {
                key,
                value: value(),
            },
            _ => RegisterOp::Cas {
                key,
                version: seen.get(&key).copied().unwrap_or(0),
                value: value(),
            },
        }
    }

    async fn execute(
        &self,
        client: &mut Client,
        op: &RegisterOp,
        seen: &mut HashMap<u32, i32>,
    ) -> Result<RegisterRet, ClientError> {
        let path = Self::path(op.key());
        let ret = match *op {
            RegisterOp::Read { .. } => read(client, &path).await?,
            RegisterOp::SyncRead { .. } => {
                client.sync(&path).await?;
                read(client, &path).await?
            }
            RegisterOp::Write { value, .. } => {
                let stat = client
                    .set_data(&path, value.to_string().as_bytes(), -1)
                    .await?;
                RegisterRet::Written {
                    version: stat.version,
                }
            }
            RegisterOp::Cas { version, value, .. } => {
                let stat = client
                    .set_data(&path, value.to_string().as_bytes(), version)
                    .await?;
                RegisterRet::Written {
                    version: stat.version,
                }
            }
        };
        let (RegisterRet::Read { version, .. } | RegisterRet::Written { version }) = ret;
        seen.insert(op.key(), version);
        Ok(ret)
    }
}

/// getData of a register.
async fn read(client: &mut Client, path: &str) -> Result<RegisterRet, ClientError> {
    let (data, stat) = client.get_data(path).await?;
    let value = std::str::from_utf8(&data).ok().and_then(|s| s.parse().ok());
    Ok(RegisterRet::Read {
        value: value.unwrap_or(u32::MAX),
        version: stat.version,
    })
}
