//! Carrying out one event of the merged run on the rebuilt world.

use super::world::{self, World};
use super::Event;
use std::collections::HashSet;
use zab::replica::{Input, Packet, PeerMsg};
use zab::server::trace::{MsgId, Record};
use zab_model::types::Sid;

/// Applies `e` to the world; its label for the log.
pub(super) fn apply(w: &mut World, e: Event) -> Result<String, String> {
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
                connect_if_accepted(w, crate::convert::sid(*from), s);
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
    let waiting = w.conns.state(learner) == Some(crate::connection::ConnState::NotYet)
        && w.conns.leader_of(learner) == Some(leader);
    if leading && waiting {
        let _ = w.connect(learner);
    }
}

/// Marks lost every notification its receiver will never read; how many still counted.
pub(super) fn mark_lost(w: &mut World) -> usize {
    let mut newly = 0;
    let links: Vec<(Sid, Sid)> = w
        .net
        .keys()
        .filter(|(_, _, e)| *e)
        .map(|(f, t, _)| (*f, *t))
        .collect();
    for (f, t) in links {
        let future = future_receipts(&w.servers[t as usize], f);
        let q = w.net.get_mut(&(f, t, true)).expect("a link");
        let ids: Option<HashSet<MsgId>> = future.iter().map(|(_, id)| *id).collect();
        let claimed: Vec<bool> = match ids {
            // Each receipt names the copy it read.
            Some(ids) => q.iter().map(|x| ids.contains(&x.id)).collect(),
            None => {
                let live: Vec<Option<&PeerMsg>> =
                    q.iter().map(|x| (!x.lost).then_some(&x.msg)).collect();
                claims(&live, &future.iter().map(|(m, _)| m).collect::<Vec<_>>())
            }
        };
        for (k, x) in q.iter_mut().enumerate() {
            if !claimed[k] && !x.lost {
                x.lost = true;
                // The model holds no redundant notification: nothing to lose there.
                newly += usize::from(!x.redundant);
            }
        }
    }
    newly
}

/// For receipts without identities (traces of format 3 and before): which entries of a
/// link's queue (`None`: lost already) the receiver's future receipts read, matched in
/// order; the rest will never be read. Of equal copies in a row (a vote
/// re-sent), the receipts claim the newest: a re-send replaces the copy still waiting in the
/// sender's queue of one.
fn claims<T: PartialEq>(queue: &[Option<T>], future: &[T]) -> Vec<bool> {
    let mut claimed = vec![false; queue.len()];
    let (mut at, mut i) = (0, 0);
    while i < future.len() {
        let m = &future[i];
        let equal = |k: usize| queue[k].as_ref() == Some(m);
        let Some(k) = (at..queue.len()).find(|k| equal(*k)) else {
            i += 1;
            continue;
        };
        let reads = future[i..].iter().take_while(|x| *x == m).count();
        let copies = (k..queue.len()).take_while(|j| equal(*j)).count();
        let n = reads.min(copies);
        for c in &mut claimed[k + copies - n..k + copies] {
            *c = true;
        }
        at = k + copies;
        i += n;
    }
    claimed
}

/// The notifications `srv` reads from `from` until its next start, with the identities they
/// arrived as.
fn future_receipts(srv: &world::Server, from: Sid) -> Vec<(PeerMsg, Option<MsgId>)> {
    srv.records[srv.next..]
        .iter()
        .take_while(|r| !matches!(r, Record::Start { .. }))
        .filter_map(|r| match r {
            Record::Step {
                input:
                    Input::Peer {
                        from: f,
                        msg: m @ PeerMsg::Election(_),
                    },
                received,
                ..
            } if crate::convert::sid(*f) == from => Some((m.clone(), *received)),
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
        Input::Synced { zxid } => format!("synced {zxid:?}"),
        Input::Disconnected { peer } => format!("s{peer} disconnected"),
        Input::SyncLearner { learner, .. } => format!("sync s{learner}"),
    }
}

#[cfg(test)]
mod tests {
    use super::claims;

    #[test]
    fn receipts_claim_in_order_and_the_unread_are_lost() {
        let q = [Some(1), Some(2), Some(3)];
        assert_eq!(claims(&q, &[1, 3]), [true, false, true]);
        assert_eq!(claims(&q, &[]), [false, false, false]);
        assert_eq!(claims(&q, &[3, 1]), [false, false, true]);
    }

    #[test]
    fn one_receipt_of_a_re_sent_vote_claims_the_newest_copy() {
        assert_eq!(claims(&[Some(7), Some(7)], &[7]), [false, true]);
        assert_eq!(
            claims(&[Some(7), Some(7), Some(7), Some(8)], &[7, 7, 8]),
            [false, true, true, true]
        );
    }

    #[test]
    fn as_many_receipts_as_copies_claim_them_all() {
        assert_eq!(claims(&[Some(7), Some(7)], &[7, 7]), [true, true]);
        // More receipts than copies in the run: the rest look further on.
        assert_eq!(
            claims(&[Some(7), Some(8), Some(7)], &[7, 7]),
            [true, false, true]
        );
    }

    #[test]
    fn a_lost_copy_is_never_claimed_and_ends_a_run() {
        assert_eq!(
            claims(&[Some(7), None, Some(7)], &[7]),
            [true, false, false]
        );
        assert_eq!(claims(&[None, Some(7)], &[7]), [false, true]);
    }
}
