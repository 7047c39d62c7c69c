//! Why a configuration could not be loaded, each with what `zabd` needs to say where.

use std::path::PathBuf;

/// Why a zoo.cfg could not be loaded. `zabd` exits with code 2 for a bad configuration and 3
/// for an unusable `dataDir`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The zoo.cfg file, or the dynamic file it names, could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The zoo.cfg path given on the command line, or `dynamicConfigFile`.
        path: PathBuf,
        /// The I/O error reading it.
        source: std::io::Error,
    },
    /// A line that is not `key=value`, or a malformed value of a known key.
    #[error("line {line}: {msg}")]
    Line {
        /// The 1-based line number in zoo.cfg.
        line: usize,
        /// What is wrong with the line.
        msg: String,
    },
    /// A line of the dynamic configuration file (`dynamicConfigFile`) is wrong.
    #[error("dynamic configuration file {path} line {line}: {msg}")]
    DynamicLine {
        /// The file, as `dynamicConfigFile` names it.
        path: PathBuf,
        /// The 1-based line number in it.
        line: usize,
        /// What is wrong with the line.
        msg: String,
    },
    /// A required key is absent (`dataDir`); the key name.
    #[error("{0} is required")]
    Missing(&'static str),
    /// `dataDir/myid` is missing in an ensemble (it is optional standalone) or holds no
    /// server id.
    #[error("myid file {path}: {msg}")]
    MyId {
        /// The `myid` file's path.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
    /// The data directory exists but cannot be used (not a directory, unreadable).
    #[error("dataDir {path} cannot be used: {msg}")]
    DataDir {
        /// The configured `dataDir`.
        path: PathBuf,
        /// Why it cannot be used.
        msg: String,
    },
    /// The keys parse but do not fit together: a zero `tickTime`, `initLimit` or `syncLimit`,
    /// a `myid` without its `server.N` line, an ensemble with no voting server.
    #[error("{0}")]
    Invalid(String),
}
