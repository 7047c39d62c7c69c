//! Helpers shared by the model's integration tests.
#![allow(dead_code)]

pub mod explorer;

use zab_model::check::{self, CheckOptions, CheckReport};
use zab_model::Config;

/// Runs the exhaustive check on `cfg` (all properties, or only `only`).
pub fn check(cfg: &Config, only: &[&str]) -> CheckReport {
    check::run(
        cfg,
        &CheckOptions {
            threads: 2,
            progress: false,
            timeout: None,
            examples: false,
            dfs: false,
            only: only.iter().map(|s| s.to_string()).collect(),
        },
    )
}

pub fn status<'a>(r: &'a CheckReport, name: &str) -> &'a str {
    r.properties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no property {name}"))
        .status
}

/// The config with these fields changed.
pub fn cfg(f: impl FnOnce(&mut Config)) -> Config {
    let mut c = Config::default();
    f(&mut c);
    c
}
