//! Durable state: the transaction log, snapshots, and the epoch files, behind a `Storage`
//! trait with a file backend and an in-memory backend.
