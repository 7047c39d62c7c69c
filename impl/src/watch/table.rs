//! One watch table (ZooKeeper has two: data and child): which watcher watches which path in
//! which modes, indexed both ways so that a closing connection drops its watches at once.

use super::{WatchMode, WatcherId};
use crate::data_tree::path;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The modes one watcher has on one path, as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Modes(u8);

impl Modes {
    fn bit(mode: WatchMode) -> u8 {
        match mode {
            WatchMode::Standard => 1,
            WatchMode::Persistent => 2,
            WatchMode::PersistentRecursive => 4,
        }
    }

    fn has(self, mode: WatchMode) -> bool {
        self.0 & Modes::bit(mode) != 0
    }

    fn with(self, mode: WatchMode) -> Modes {
        Modes(self.0 | Modes::bit(mode))
    }

    fn without(self, mode: WatchMode) -> Modes {
        Modes(self.0 & !Modes::bit(mode))
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct WatchTable {
    /// Watchers of a path, in id order so that deliveries are deterministic.
    by_path: HashMap<String, BTreeMap<WatcherId, Modes>>,
    by_watcher: HashMap<WatcherId, BTreeSet<String>>,
    /// How many (path, watcher) pairs are recursive: while none are, a trigger need not look
    /// at the ancestors of its path.
    recursive: usize,
}

impl WatchTable {
    pub fn add(&mut self, path: &str, watcher: WatcherId, mode: WatchMode) {
        let modes = self
            .by_path
            .entry(path.to_string())
            .or_default()
            .entry(watcher)
            .or_default();
        if !modes.has(mode) && mode == WatchMode::PersistentRecursive {
            self.recursive += 1;
        }
        *modes = modes.with(mode);
        self.by_watcher
            .entry(watcher)
            .or_default()
            .insert(path.to_string());
    }

    pub fn contains(&self, path: &str, watcher: WatcherId, mode: Option<WatchMode>) -> bool {
        let modes = self.modes(path, watcher);
        match mode {
            Some(mode) => modes.has(mode),
            None => !modes.is_empty(),
        }
    }

    fn modes(&self, path: &str, watcher: WatcherId) -> Modes {
        self.by_path
            .get(path)
            .and_then(|w| w.get(&watcher))
            .copied()
            .unwrap_or_default()
    }

    /// Removes `mode` (every mode for `None`); true if the watcher had it.
    pub fn remove(&mut self, path: &str, watcher: WatcherId, mode: Option<WatchMode>) -> bool {
        let old = self.modes(path, watcher);
        let new = mode.map_or(Modes::default(), |m| old.without(m));
        if old == new {
            return false;
        }
        self.set(path, watcher, old, new);
        true
    }

    fn set(&mut self, path: &str, watcher: WatcherId, old: Modes, new: Modes) {
        if old.has(WatchMode::PersistentRecursive) && !new.has(WatchMode::PersistentRecursive) {
            self.recursive -= 1;
        }
        if !new.is_empty() {
            if let Some(modes) = self.by_path.get_mut(path).and_then(|w| w.get_mut(&watcher)) {
                *modes = new;
            }
            return;
        }
        if let Some(watchers) = self.by_path.get_mut(path) {
            watchers.remove(&watcher);
            if watchers.is_empty() {
                self.by_path.remove(path);
            }
        }
        if let Some(paths) = self.by_watcher.get_mut(&watcher) {
            paths.remove(path);
            if paths.is_empty() {
                self.by_watcher.remove(&watcher);
            }
        }
    }

    /// Drops every watch of a watcher (its connection closed).
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        for path in self.by_watcher.remove(&watcher).unwrap_or_default() {
            if let Some(watchers) = self.by_path.get_mut(&path) {
                if watchers
                    .remove(&watcher)
                    .is_some_and(|m| m.has(WatchMode::PersistentRecursive))
                {
                    self.recursive -= 1;
                }
                if watchers.is_empty() {
                    self.by_path.remove(&path);
                }
            }
        }
    }

    /// `WatchManager.triggerWatch`: every watcher of `path` itself (its standard watch is
    /// used up) and every recursive watcher of an ancestor. A watcher appears once however
    /// many of its watches matched.
    pub fn trigger(&mut self, path: &str) -> BTreeSet<WatcherId> {
        let mut fired = BTreeSet::new();
        let mut spent = Vec::new();
        if let Some(watchers) = self.by_path.get(path) {
            for (&watcher, &modes) in watchers {
                fired.insert(watcher);
                if modes.has(WatchMode::Standard) {
                    spent.push((watcher, modes));
                }
            }
        }
        for (watcher, modes) in spent {
            self.set(path, watcher, modes, modes.without(WatchMode::Standard));
        }
        if self.recursive > 0 {
            self.fire_recursive_ancestors(path, &mut fired);
        }
        fired
    }

    fn fire_recursive_ancestors(&self, path: &str, fired: &mut BTreeSet<WatcherId>) {
        let mut current = path;
        while current != path::ROOT {
            let Some(parent) = path::parent(current) else {
                return;
            };
            if let Some(watchers) = self.by_path.get(parent) {
                let recursive = watchers
                    .iter()
                    .filter(|(_, m)| m.has(WatchMode::PersistentRecursive));
                fired.extend(recursive.map(|(w, _)| *w));
            }
            current = parent;
        }
    }

    /// Number of (path, watcher) pairs.
    pub fn len(&self) -> usize {
        self.by_path.values().map(BTreeMap::len).sum()
    }

    /// The paths a watcher watches here, sorted.
    pub fn paths_of(&self, watcher: WatcherId) -> Vec<String> {
        self.by_watcher
            .get(&watcher)
            .map(|p| p.iter().cloned().collect())
            .unwrap_or_default()
    }
}
