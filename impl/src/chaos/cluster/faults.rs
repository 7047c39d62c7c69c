//! The faults a nemesis puts on a cluster: killed, restarted, paused and resumed servers,
//! partitioned or cut links, and the heal that undoes them all.

use super::Cluster;
use crate::chaos::proxy::Mode;
use std::process::{Child, Command};

impl Cluster {
    /// SIGKILL: the server stops at once, without syncing anything.
    pub fn kill(&mut self, id: usize) {
        if let Some(mut child) = self.members[id - 1].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.members[id - 1].paused = false;
    }

    /// Starts a killed (or exited) server again on its data.
    pub fn restart(&mut self, id: usize) -> std::io::Result<()> {
        self.reap(id);
        if self.members[id - 1].child.is_none() {
            self.spawn(id)?;
        }
        Ok(())
    }

    /// Notes server `id`'s exit, if it exited by itself.
    pub(in crate::chaos) fn reap(&mut self, id: usize) {
        let m = &mut self.members[id - 1];
        let Some(Ok(Some(status))) = m.child.as_mut().map(Child::try_wait) else {
            return;
        };
        m.child = None;
        // zabd's documented exit on a failing or full disk is 4.
        if (m.disk_fault || m.was_full) && status.code() == Some(4) {
            self.expected_exits += 1;
        } else {
            self.exits.push((id, status.to_string()));
        }
    }

    /// SIGSTOP: the server stops answering, its connections open.
    pub fn pause(&mut self, id: usize) -> std::io::Result<()> {
        self.signal(id, "-STOP")?;
        self.members[id - 1].paused = true;
        Ok(())
    }

    /// SIGCONT.
    pub fn resume(&mut self, id: usize) -> std::io::Result<()> {
        if self.members[id - 1].paused {
            self.signal(id, "-CONT")?;
            self.members[id - 1].paused = false;
        }
        Ok(())
    }

    fn signal(&self, id: usize, sig: &str) -> std::io::Result<()> {
        if let Some(child) = &self.members[id - 1].child {
            let status = Command::new("kill")
                .arg(sig)
                .arg(child.id().to_string())
                .status()?;
            if !status.success() {
                return Err(std::io::Error::other(format!(
                    "kill {sig} failed: {status}"
                )));
            }
        }
        Ok(())
    }

    /// Servers that exited by themselves (not killed here, nor on a failing or full disk), with
    /// their exit status.
    pub fn exited(&mut self) -> Vec<(usize, String)> {
        for id in 1..=self.len() {
            self.reap(id);
        }
        self.exits.clone()
    }

    /// How many times a server on a failing or full disk exited, as it should.
    pub fn expected_exits(&self) -> usize {
        self.expected_exits
    }

    /// Splits the servers into groups: links between groups lose every byte, links within a
    /// group pass. A server in no group is cut off from all.
    pub fn partition(&self, groups: &[Vec<usize>]) {
        self.separate(groups, Mode::Lose);
    }

    /// `partition`, with the links between groups doing `apart` (`Cut`: their connections
    /// close, so both ends notice at once instead of after a timeout).
    pub fn separate(&self, groups: &[Vec<usize>], apart: Mode) {
        let group_of = |id: usize| groups.iter().position(|g| g.contains(&id));
        for ((a, b), proxies) in &self.links {
            let together = group_of(*a).is_some() && group_of(*a) == group_of(*b);
            for p in proxies {
                p.set(if together { Mode::Pass } else { apart });
            }
        }
    }

    /// The environment server `id` starts with from its next start on.
    pub fn set_env(&mut self, id: usize, env: Vec<(String, String)>) {
        self.members[id - 1].env = env;
    }

    /// Sets what the quorum link between servers `a` and `b` does, both ways (whichever of
    /// the two opened the connection).
    pub fn set_quorum_link(&self, a: usize, b: usize, mode: Mode) {
        for pair in [(a, b), (b, a)] {
            if let Some([quorum, _]) = self.links.get(&pair) {
                quorum.set(mode);
            }
        }
    }

    /// Sets what the client proxy of server `id` does.
    pub fn set_client_link(&self, id: usize, mode: Mode) {
        self.clients[id - 1].set(mode);
    }

    /// Heals everything: every link passes, paused servers resume, killed ones restart.
    pub fn heal(&mut self) -> std::io::Result<()> {
        for proxies in self.links.values() {
            for p in proxies {
                p.set(Mode::Pass);
            }
        }
        for p in &self.clients {
            p.set(Mode::Pass);
        }
        for id in 1..=self.len() {
            self.resume(id)?;
            self.restore_disk(id)?;
            self.restart(id)?;
        }
        Ok(())
    }
}
