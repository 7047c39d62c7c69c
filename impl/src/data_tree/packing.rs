//! Building an `imbl::OrdMap` from sorted entries with its leaves full.
//!
//! `imbl`'s B-tree splits a full leaf (16 entries) in the middle. Entries inserted in
//! ascending order therefore leave every leaf but the last half full: the left half of each
//! split is never inserted into again. A restored snapshot's nodes arrive in path order, so
//! a restored tree took about 180 bytes of leaf a znode where 96 would do (an 88-byte entry
//! in a 16-entry leaf of jemalloc's 1,536-byte class).
//!
//! The packer inserts each block of 16 sorted entries in two halves: the first 8 at once,
//! the other 8 once the first entry two blocks later has been inserted. By then the leaf
//! holding the block's first half has been split away from everything after it, so the
//! held half fills it to 16 without a further split. The order changes only how full the
//! leaves are, never what the map holds: entries out of order, or a map that splits
//! differently, give the same map, less densely packed.

use imbl::OrdMap;
use std::collections::VecDeque;

/// Entries in one `imbl` leaf.
const LEAF: usize = 16;
/// The entries of a block inserted at once; the rest wait.
const HALF: usize = LEAF / 2;

/// Builds an `OrdMap` from entries given in ascending key order.
pub struct Packer<K: Ord + Clone, V: Clone> {
    map: OrdMap<K, V>,
    /// The second halves of the latest blocks, oldest first.
    held: VecDeque<Vec<(K, V)>>,
    /// Entries pushed so far.
    pushed: usize,
}

impl<K: Ord + Clone, V: Clone> Default for Packer<K, V> {
    fn default() -> Self {
        Packer {
            map: OrdMap::new(),
            held: VecDeque::new(),
            pushed: 0,
        }
    }
}

impl<K: Ord + Clone, V: Clone> Packer<K, V> {
    /// Adds an entry. `Err` with the key if the map already held it (pushed before, now or
    /// earlier, so the key may be an earlier entry's).
    pub fn push(&mut self, key: K, value: V) -> Result<(), K> {
        let at = self.pushed % LEAF;
        self.pushed += 1;
        if at >= HALF {
            match self.held.back_mut() {
                Some(block) if at > HALF => block.push((key, value)),
                _ => self.held.push_back(vec![(key, value)]),
            }
            return Ok(());
        }
        insert(&mut self.map, key, value)?;
        // The first entry of a block split its predecessor's leaf off from the one before:
        // the block two back may fill its leaf now.
        if at == 0 && self.held.len() >= 2 {
            self.insert_oldest()?;
        }
        Ok(())
    }

    /// The map, every held entry inserted.
    pub fn finish(mut self) -> Result<OrdMap<K, V>, K> {
        while !self.held.is_empty() {
            self.insert_oldest()?;
        }
        Ok(self.map)
    }

    fn insert_oldest(&mut self) -> Result<(), K> {
        for (key, value) in self.held.pop_front().unwrap_or_default() {
            insert(&mut self.map, key, value)?;
        }
        Ok(())
    }
}

/// `map` rebuilt with its leaves full: equal to it, sharing its keys and values (clones of
/// each), none of its nodes.
pub fn repacked<K: Ord + Clone, V: Clone>(map: &OrdMap<K, V>) -> OrdMap<K, V> {
    let mut packer = Packer::default();
    for (k, v) in map.iter() {
        // A map's keys are distinct and come in ascending order: nothing is refused.
        if packer.push(k.clone(), v.clone()).is_err() {
            return map.clone();
        }
    }
    packer.finish().unwrap_or_else(|_| map.clone())
}

impl super::DataTree {
    /// An equal tree whose node map is rebuilt with full leaves (`StateMachine::compacted`).
    /// The indices (ephemerals, containers, TTL nodes) are shared as they are: small beside
    /// the node map, and rebuilt by the same splits they would take again.
    pub fn compacted(&self) -> super::DataTree {
        super::DataTree {
            nodes: repacked(&self.nodes),
            ..self.clone()
        }
    }
}

fn insert<K: Ord + Clone, V: Clone>(map: &mut OrdMap<K, V>, key: K, value: V) -> Result<(), K> {
    match map.insert(key.clone(), value) {
        None => Ok(()),
        Some(_) => Err(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn packed(entries: impl IntoIterator<Item = (u32, u32)>) -> Result<OrdMap<u32, u32>, u32> {
        let mut p = Packer::default();
        for (k, v) in entries {
            p.push(k, v)?;
        }
        p.finish()
    }

    /// Entries of `keys` (which may repeat) in a shuffled order.
    fn shuffled() -> impl Strategy<Value = Vec<(u32, u32)>> {
        proptest::collection::vec(0u32..2_000, 0..300)
            .prop_map(|keys| keys.into_iter().map(|k| (k, k * 2)).collect::<Vec<_>>())
            .prop_shuffle()
    }

    proptest! {
        /// Whatever the order, the packed map is the map of the entries, or a key twice
        /// is refused with that key.
        #[test]
        fn the_map_holds_the_entries(entries in shuffled()) {
            let expected: OrdMap<u32, u32> = entries.iter().copied().collect();
            let repeats = expected.len() < entries.len();
            match packed(entries.clone()) {
                Ok(map) => prop_assert!(!repeats && map == expected, "{map:?}"),
                Err(k) => prop_assert!(entries.iter().filter(|e| e.0 == k).count() > 1),
            }
        }
    }

    proptest! {
        /// A map built by inserts in any order comes back equal, on fresh nodes.
        #[test]
        fn a_repacked_map_is_equal(entries in shuffled()) {
            let map: OrdMap<u32, u32> = entries.into_iter().collect();
            let again = repacked(&map);
            prop_assert_eq!(&again, &map);
            prop_assert!(map.is_empty() || !again.ptr_eq(&map));
        }
    }

    #[test]
    fn a_key_twice_is_refused_wherever_it_falls() {
        for n in [1u32, 9, 17, 40, 100] {
            for dup in 0..n {
                let entries = (0..n).map(|k| (k, k)).chain([(dup, 0)]);
                assert_eq!(packed(entries), Err(dup), "{dup} of {n}");
            }
        }
    }
}
