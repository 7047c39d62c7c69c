//! Watches: one-shot data, exist and child watches, persistent and persistent-recursive
//! watches, fired on commit in zxid order.
