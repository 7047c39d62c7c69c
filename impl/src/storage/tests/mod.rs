//! Storage tests, shared behaviour run against both backends.
