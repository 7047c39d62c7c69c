//! Carrying out one event of the merged run on the rebuilt world.

use super::world::{self, World};
use super::Event;
use crate::shared::divergence::R;
use std::collections::HashSet;
use zab::replica::{Input, Packet, PeerMsg, Plane};
use zab::server::trace::{MsgId, Record};
use zab::sim::net::Link;
use zab_model::types::Sid;

/// Applies `e` to the world; its label for the log.
pub(super) fn apply(w: &mut World, e: Event) -> R<String> {
    match e {
        Event::Kill(s) => {
            w.servers[s as usize].dead = true;
            Ok(format!("s{} killed", s + 1))
        }
        Event::Crash(s) => {
            w.crash(s);
            Ok(format!("s{} crash noticed", s + 1))
        }
        Event::Record(s, i) => {
            let label = match &w.servers[s as usize].records[i] {
                Record::Start { .. } => format!("s{} starts", s + 1),
                Record::Step { input, .. } => format!("s{} {}", s + 1, short(input)),
            };
            if let Record::Step {
                input:
                    Input::Peer {
                        from,
                        msg: PeerMsg::Quorum(Packet::FollowerInfo { .. }),
                    },
                ..
            } = &w.servers[s as usize].records[i]
            {
                connect_if_accepted(w, crate::shared::convert::sid(*from), s);
            }
            match w.servers[s as usize].records[i] {
                Record::Start { .. } => w.start(s, i)?,
                Record::Step { .. } => w.step(s, i)?,
            }
            w.servers[s as usize].next = i + 1;
            Ok(label)
        }
    }
}

/// The leader reads a learner's FOLLOWERINFO: if it leads and the learner waits to connect to
/// it, the connection opens now (the model's `Connect`).
fn connect_if_accepted(w: &mut World, learner: Sid, leader: Sid) {
    let leading = w.servers[leader as usize]
        .replica
        .as_ref()
        .is_some_and(|r| r.server_state() == zab::replica::ServerState::Leading);
    let waiting = w.conns.state(learner) == Some(crate::shared::connection::ConnState::NotYet)
        && w.conns.leader_of(learner) == Some(leader);
    if leading && waiting {
        let _ = w.connect(learner);
    }
}

/// Marks lost every notification its receiver will never read (no future receipt names it);
/// how many still counted.
pub(super) fn mark_lost(w: &mut World) -> usize {
    let mut newly = 0;
    let links: Vec<Link<Sid>> = w
        .net
        .iter()
        .map(|(l, _)| l)
        .filter(|l| l.plane == Plane::Election)
        .collect();
    for link in links {
        let read = future_receipts(&w.servers[link.to as usize], link.from);
        let q = w.net.queue_mut(link).expect("a link");
        for x in q.iter_mut().filter(|x| !x.lost && !read.contains(&x.id)) {
            x.lost = true;
            // The model holds no redundant notification: nothing to lose there.
            newly += usize::from(!x.redundant);
        }
    }
    newly
}

/// The identities of the notifications `srv` reads from `from` until its next start.
fn future_receipts(srv: &world::Server, from: Sid) -> HashSet<MsgId> {
    srv.records[srv.next..]
        .iter()
        .take_while(|r| !matches!(r, Record::Start { .. }))
        .filter_map(|r| match r {
            Record::Step {
                input:
                    Input::Peer {
                        from: f,
                        msg: PeerMsg::Election(_),
                    },
                received,
                ..
            } if crate::shared::convert::sid(*f) == from => *received,
            _ => None,
        })
        .collect()
}

fn short(i: &Input) -> String {
    match i {
        Input::Peer { from, msg } => match msg {
            PeerMsg::Election(n) => {
                format!("<- s{from}: {:?} r{} {:?}", n.state, n.round, n.vote.leader)
            }
            PeerMsg::Quorum(p) => format!("<- s{from}: {}", p.kind()),
        },
        Input::Tick { .. } => "tick".into(),
        Input::Write { .. } => "client write".into(),
        Input::Fsynced { zxid } => format!("synced {zxid:?}"),
        Input::Disconnected { peer } => format!("s{peer} disconnected"),
        Input::SyncLearner { learner, .. } => format!("sync s{learner}"),
        Input::Read { token } => format!("read {token}"),
        Input::Heard { peer } => format!("part of a packet from s{peer}"),
    }
}
