//! The servers a cluster runs: zabd, or Apache ZooKeeper from Debian's package.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Which servers to run.
#[derive(Clone, Debug)]
pub enum Target {
    /// zabd, from this executable.
    Zabd(PathBuf),
    /// Apache ZooKeeper from Debian's package (`/usr/share/java`), each server a JVM.
    ZooKeeper,
}

/// Debian's ZooKeeper jar; its dependencies sit beside it.
pub const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";

impl Target {
    /// The name a report gives it.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Zabd(_) => "zabd",
            Target::ZooKeeper => "zookeeper",
        }
    }

    pub(super) fn command(&self, cfg: &Path) -> std::io::Result<Command> {
        Ok(match self {
            Target::Zabd(exe) => {
                let mut c = Command::new(exe);
                c.arg("--config").arg(cfg);
                c
            }
            Target::ZooKeeper => {
                let mut c = Command::new("java");
                c.arg("-Xmx512m")
                    .arg("-Dzookeeper.root.logger=INFO,CONSOLE")
                    .arg("-cp")
                    .arg(zookeeper_classpath()?)
                    .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
                    .arg(cfg);
                c
            }
        })
    }

    /// The zoo.cfg lines only this target reads.
    pub(super) fn own_lines(&self, secret: &Path) -> String {
        match self {
            // Every peer connection proves the ensemble's secret.
            Target::Zabd(_) => format!("zab.quorum.secretFile={}\n", secret.display()),
            // ZooKeeper's AdminServer would take port 8080 on every interface.
            Target::ZooKeeper => "admin.enableServer=false\n".into(),
        }
    }
}

/// zookeeper.jar (whose manifest names the jars it needs) and a logging binding for its
/// slf4j, so its log says what it did; the log4j configuration is Debian's.
fn zookeeper_classpath() -> std::io::Result<String> {
    let parts = [
        "/etc/zookeeper/conf",
        ZOOKEEPER_JAR,
        "/usr/share/java/slf4j-log4j12.jar",
        "/usr/share/java/log4j-1.2.jar",
    ];
    if let Some(missing) = parts.iter().find(|p| !Path::new(p).exists()) {
        return Err(std::io::Error::other(format!(
            "{missing} is missing: install Debian's zookeeper package"
        )));
    }
    Ok(parts.join(":"))
}
