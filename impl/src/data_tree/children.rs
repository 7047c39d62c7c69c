//! The children of a znode as `getChildren` answers them. A node keeps no list of its
//! children (`DataTree`'s doc): they are the keys under its path's prefix, skipping each
//! child's own subtree. The names are kept end to end in one string: a reply of a thousand
//! children took a thousand allocations as strings (most of a server's work on such
//! reads), and nearly as much as shared keys, whose reference counts each clone and drop
//! touched.

use super::{path, DataTree};
use std::fmt;
use std::ops::Bound;

/// Child names, sorted.
#[derive(Clone, Default)]
pub struct ChildNames {
    /// The names, end to end.
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<usize>,
}

impl ChildNames {
    /// How many children.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The names, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(move |i| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.text[start..self.ends[i]]
        })
    }

    fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends.push(self.text.len());
    }

    /// The bytes of all the names together.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
}

impl fmt::Debug for ChildNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Equal when the names are.
impl PartialEq for ChildNames {
    fn eq(&self, other: &ChildNames) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for ChildNames {}

impl<S: AsRef<str>> PartialEq<Vec<S>> for ChildNames {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.iter().eq(other.iter().map(AsRef::as_ref))
    }
}

impl DataTree {
    /// The children of `path`, sorted. Children are the keys under the prefix `path/`; a key
    /// deeper than one level belongs to a child's subtree, which is skipped in one seek
    /// (`/a/c0` is the first key after every `/a/c/…`, as `0` follows `/`).
    pub(crate) fn child_names(&self, path: &str) -> ChildNames {
        let prefix = path::child_prefix(path);
        let mut names = ChildNames::default();
        let mut lower = Bound::Excluded(prefix.clone());
        'seek: loop {
            let range = (lower.as_ref().map(String::as_str), Bound::Unbounded);
            for (key, _) in self.nodes.range::<_, str>(range) {
                let Some(rest) = key.strip_prefix(prefix.as_str()) else {
                    break 'seek;
                };
                match rest.bytes().position(|b| b == b'/') {
                    None => names.push(rest),
                    Some(slash) => {
                        lower = Bound::Included(format!("{prefix}{}0", &rest[..slash]));
                        continue 'seek;
                    }
                }
            }
            break;
        }
        names
    }
}
