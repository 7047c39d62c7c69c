//! Sessions: the SessionTracker with expiry buckets, timeout negotiation, session ids.
