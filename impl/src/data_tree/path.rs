//! Znode paths: ZooKeeper's validation rules (`PathUtils.validatePath`) and the parent and
//! child arithmetic the tree needs.

use crate::error::ZkError;

/// The built-in nodes ZooKeeper refuses to delete (`DataTree.isSpecialPath`).
pub const ROOT: &str = "/";
/// ZooKeeper's own subtree (`procZookeeper`), parent of the quota and config nodes.
pub const PROC: &str = "/zookeeper";
/// Where ZooKeeper keeps quota limits (`quotaZookeeper`); empty in a fresh tree.
pub const QUOTA: &str = "/zookeeper/quota";
/// The dynamic ensemble configuration (`configZookeeper`); its ACL makes it read-only.
pub const CONFIG: &str = "/zookeeper/config";

/// `DataTree.isSpecialPath`: whether `path` is one of the four built-in nodes above, which
/// a delete refuses with `BadArguments`.
pub fn is_special(path: &str) -> bool {
    matches!(path, ROOT | PROC | QUOTA | CONFIG)
}

/// `PathUtils.validatePath`: absolute, no empty, `.` or `..` segment, no trailing slash
/// except for the root, and none of the characters ZooKeeper forbids.
pub fn validate(path: &str) -> Result<(), ZkError> {
    if !path.starts_with('/') {
        return Err(ZkError::BadArguments);
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err(ZkError::BadArguments);
    }
    // Splitting after the leading slash visits every segment exactly once.
    if path[1..].split('/').all(valid_segment) {
        Ok(())
    } else {
        Err(ZkError::BadArguments)
    }
}

fn valid_segment(segment: &str) -> bool {
    !segment.is_empty() && segment != "." && segment != ".." && segment.chars().all(allowed_char)
}

/// The characters ZooKeeper allows in a path. Java checks UTF-16 code units, so a character
/// outside the Basic Multilingual Plane arrives as surrogates (U+D800..U+DFFF), which are in
/// the forbidden range: such characters are forbidden here as well.
fn allowed_char(c: char) -> bool {
    let c = c as u32;
    !(c == 0
        || (0x01..=0x1f).contains(&c)
        || (0x7f..=0x9f).contains(&c)
        || (0xd800..=0xf8ff).contains(&c)
        || (0xfff0..=0xffff).contains(&c)
        || c > 0xffff)
}

/// The parent of a path, as ZooKeeper computes it: everything before the last slash, with
/// the empty string (the parent of `/x`) standing for the root. `None` without a slash.
pub fn parent(path: &str) -> Option<&str> {
    let slash = path.rfind('/')?;
    Some(if slash == 0 { ROOT } else { &path[..slash] })
}

/// The name of a node within its parent.
pub fn name(path: &str) -> &str {
    path.rfind('/').map_or(path, |slash| &path[slash + 1..])
}

/// The prefix every child path of `path` starts with.
pub fn child_prefix(path: &str) -> String {
    if path == ROOT {
        ROOT.to_string()
    } else {
        format!("{path}/")
    }
}

/// The full path of `name` under `parent`.
pub fn join(parent: &str, name: &str) -> String {
    if parent == ROOT {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// ZooKeeper's server aliases the root as the empty path.
pub fn canonical(path: &str) -> &str {
    if path.is_empty() {
        ROOT
    } else {
        path
    }
}

/// `getParentPathAndValidate`, used by delete: a path with no slash, a NUL, or one of the
/// built-in nodes is a bad argument. The path itself is otherwise not validated.
pub fn parent_for_delete(path: &str) -> Result<&str, ZkError> {
    if path.contains('\0') || is_special(path) {
        return Err(ZkError::BadArguments);
    }
    parent(path).ok_or(ZkError::BadArguments)
}

/// `validatePathForCreate`: only the slash and NUL checks come before the parent lookup; the
/// full validation runs on the final (suffixed) path later.
pub fn parent_for_create(path: &str) -> Result<&str, ZkError> {
    if path.contains('\0') {
        return Err(ZkError::BadArguments);
    }
    parent(path).ok_or(ZkError::BadArguments)
}

/// The sequential suffix: the parent's child-creation counter, ten digits, zero padded
/// (`%010d`, so a wrapped counter gives `-2147483648`).
pub fn sequential(path: &str, counter: i32) -> String {
    format!("{path}{counter:010}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_follows_path_utils() {
        for ok in [
            "/",
            "/a",
            "/a/b",
            "/a.b",
            "/..a",
            "/a..",
            "/.a/b.",
            "/zookeeper",
            "/é",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
        let bad = [
            "",
            "a",
            "a/b",
            "/a/",
            "//",
            "/a//b",
            "/.",
            "/..",
            "/a/./b",
            "/a/../b",
            "/a/.",
            "/a\0b",
            "/a\u{1}",
            "/a\u{7f}",
            "/a\u{9f}",
            "/a\u{e000}",
            "/a\u{f8ff}",
            "/a\u{fff0}",
            "/a\u{ffff}",
            "/😀",
        ];
        for b in bad {
            assert_eq!(validate(b), Err(ZkError::BadArguments), "{b:?}");
        }
        assert_eq!(validate("/a\u{a0}"), Ok(()), "U+00A0 is allowed");
        assert_eq!(validate("/a\u{f900}"), Ok(()), "U+F900 is allowed");
    }

    #[test]
    fn parent_and_name() {
        assert_eq!(parent("/a"), Some("/"));
        assert_eq!(parent("/a/b"), Some("/a"));
        assert_eq!(parent("/"), Some("/"));
        assert_eq!(parent("a"), None);
        assert_eq!(name("/a/b"), "b");
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
        assert_eq!(child_prefix("/"), "/");
        assert_eq!(child_prefix("/a"), "/a/");
    }

    #[test]
    fn delete_refuses_special_paths_and_slashless_paths() {
        for p in [
            "/",
            "/zookeeper",
            "/zookeeper/quota",
            "/zookeeper/config",
            "abc",
            "/a\0",
        ] {
            assert_eq!(parent_for_delete(p), Err(ZkError::BadArguments), "{p:?}");
        }
        assert_eq!(parent_for_delete("/zookeeper/x"), Ok("/zookeeper"));
        assert_eq!(parent_for_delete("/a/"), Ok("/a"), "not validated further");
    }

    #[test]
    fn sequential_suffix_is_ten_digits() {
        assert_eq!(sequential("/q/n-", 7), "/q/n-0000000007");
        assert_eq!(sequential("/q/", i32::MAX), "/q/2147483647");
        assert_eq!(sequential("/q/", i32::MIN), "/q/-2147483648");
    }
}
