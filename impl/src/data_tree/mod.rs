//! The DataTree: znodes on persistent `im` maps, so that a snapshot is an O(1) `clone()`.
