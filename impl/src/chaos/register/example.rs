//! Histories of a real register, for the checkers' tests: what a correct server produces.

use super::{RegisterOp, RegisterRet};
use crate::chaos::history::{Operation, Outcome};
use proptest::prelude::*;

type Op = Operation<RegisterOp, RegisterRet>;

/// One operation's recipe: its kind, its value, how long before and after its point it is
/// invoked and answered, and its fate (answered, lost after taking effect, lost before).
pub type Step = (u8, u32, u8, u8, u8);

/// Up to `n` recipes.
pub fn steps(n: usize) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec((0u8..4, 1u32..1000, 0u8..150, 0u8..150, 0u8..255), 1..n)
}

/// A history of a real register: operation k takes effect at 200·(k+1), inside its
/// interval; some outcomes are lost (unknown), and an unknown one took effect or not.
pub fn real_history(spec: &[Step]) -> Vec<Op> {
    let mut state = (0u32, 0i32);
    let mut h = Vec::new();
    for (k, &(kind, value, before, after, fate)) in spec.iter().enumerate() {
        let at = 200 * (k as u64 + 1);
        let (from, to) = (at - u64::from(before), at + u64::from(after));
        let o = match kind % 4 {
            0 => RegisterOp::Read { key: 0 },
            3 => RegisterOp::SyncRead { key: 0 },
            1 => RegisterOp::Write { key: 0, value },
            _ => RegisterOp::Cas {
                key: 0,
                version: state.1 - i32::from(fate % 2 == 0),
                value,
            },
        };
        let unknown = fate % 5 == 0;
        let happened = !unknown || fate % 10 == 0;
        let ret = match o {
            RegisterOp::Read { .. } | RegisterOp::SyncRead { .. } => Some(RegisterRet::Read {
                value: state.0,
                version: state.1,
            }),
            RegisterOp::Cas { version, .. } if version != state.1 => None,
            _ if happened => {
                state = (value, state.1 + 1);
                Some(RegisterRet::Written { version: state.1 })
            }
            _ => None,
        };
        let completed = match ret {
            _ if unknown => Some((to, Outcome::Unknown, None)),
            None if o.value().is_some() && happened => Some((to, Outcome::Fail, None)),
            None => Some((to, Outcome::Unknown, None)),
            Some(r) => Some((to, Outcome::Ok, Some(r))),
        };
        h.push(Operation {
            process: k as u32,
            op: o,
            invoked_us: from,
            completed,
        });
    }
    h
}
