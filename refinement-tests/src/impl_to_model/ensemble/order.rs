//! In which order the servers' events are taken: what may come next (causality: a receipt
//! once the send its identity names is in flight), which first (receipts, then time; a
//! restart and a broken connection at their recorded time; deaths and what is left of broken
//! connections last), and when a dead server's crash can be placed.

use super::world;
use super::{Event, Validation};
use zab::replica::{Input, Packet, PeerMsg};
use zab::server::trace::{Effect, Record};
use zab_model::types::Sid;

/// Candidate events with the time they were recorded.
type Ranked = Vec<(u64, Event)>;

impl Validation<'_> {
    /// The events that may come next, best first; `None` when the run is over.
    pub(super) fn candidates(&self) -> Option<Vec<Event>> {
        let w = &self.world;
        let mut receipts = Vec::new();
        let mut others = Vec::new();
        let mut late = Vec::new();
        let mut broken = Vec::new();
        let mut any = false;
        for s in 0..w.servers.len() as Sid {
            let srv = &w.servers[s as usize];
            let Some(r) = srv.records.get(srv.next) else {
                // Stopped for good: killed, if a peer still has to notice.
                if !srv.dead && self.noticed_later(s) {
                    late.push((u64::MAX, Event::Kill(s)));
                }
                continue;
            };
            any = true;
            match r {
                Record::Start { .. } if !srv.dead => late.push((u64::MAX, Event::Kill(s))),
                Record::Start { .. } if !srv.down => {
                    if self.crash_ready(s) {
                        late.push((u64::MAX, Event::Crash(s)));
                    }
                }
                Record::Start { at_ns, .. } => others.push((*at_ns, Event::Record(s, srv.next))),
                Record::Step {
                    at_ns,
                    input,
                    received,
                    ..
                } => match input {
                    // Pings are not the model's: never in flight, always readable.
                    Input::Peer {
                        msg: PeerMsg::Quorum(Packet::Ping),
                        ..
                    } => others.push((*at_ns, Event::Record(s, srv.next))),
                    Input::Peer { from, msg } => {
                        let from = crate::shared::convert::sid(*from);
                        // Not sent yet: not a candidate.
                        if w.in_flight(from, s, msg, *received) {
                            receipts.push((*at_ns, Event::Record(s, srv.next)));
                        }
                    }
                    Input::Disconnected { peer } => {
                        let p = crate::shared::convert::sid(*peer);
                        let peer = &w.servers[p as usize];
                        if !cares(srv, *peer_id(r)) || srv.closed_by.contains(&p) || peer.down {
                            others.push((*at_ns, Event::Record(s, srv.next)));
                        } else if peer.dead && self.crash_ready(p) {
                            late.push((*at_ns, Event::Crash(p)));
                        } else if !peer.dead {
                            // Neither end closed it: the connection broke (tried at its time,
                            // after the events recorded before it, the peer's own closing
                            // among them if it comes).
                            broken.push((*at_ns, Event::Record(s, srv.next)));
                        }
                    }
                    _ => others.push((*at_ns, Event::Record(s, srv.next))),
                },
            }
        }
        if !any {
            return None;
        }
        self.deaths_first(&mut receipts, &mut others, &mut late);
        receipts.sort_by_key(|c| c.0);
        others.sort_by_key(|c| c.0);
        let mut first: Ranked = receipts.into_iter().chain(others).collect();
        self.restarts_in_time(&mut first);
        let kept = place_broken(&mut first, broken);
        first.extend(late);
        first.extend(kept);
        Some(first.into_iter().map(|(_, e)| e).collect())
    }

    /// A server that restarts at time t died before t: an event recorded after t may be a
    /// receipt of a packet its new life sent, or send one to it, so its death comes first
    /// (packets of the old life in flight are then lost, as its crash drops them). Moves the
    /// earliest such death to the front of `late`, the events after t behind it.
    fn deaths_first(&self, receipts: &mut Ranked, others: &mut Ranked, late: &mut Ranked) {
        let dying = |e: &Event| match e {
            Event::Kill(s) | Event::Crash(s) => self.restart_time(*s),
            _ => None,
        };
        let Some(t) = late.iter().filter_map(|(_, e)| dying(e)).min() else {
            return;
        };
        let (deaths, rest): (Ranked, Ranked) = std::mem::take(late)
            .into_iter()
            .partition(|(_, e)| dying(e) == Some(t));
        let mut after = Vec::new();
        for list in [receipts, others] {
            let (early, later): (Ranked, Ranked) = std::mem::take(list)
                .into_iter()
                .partition(|(at, _)| *at < t);
            *list = early;
            after.extend(later);
        }
        *late = deaths.into_iter().chain(after).chain(rest).collect();
    }

    /// A crashed server that restarts at time t: an event recorded after t may send to its new
    /// life (a notification sent to a server still down is lost) or read what it sent, so its
    /// restart comes before them. Moves the earliest such restart in front of the events
    /// recorded after it; of servers restarting at that same instant, one whose first votes
    /// another's new life reads starts after it (one level of that dependency is enough for
    /// the two crashes a run has at most).
    fn restarts_in_time(&self, ranked: &mut Ranked) {
        let restart = |e: &Event| {
            let Event::Record(s, i) = *e else {
                return false;
            };
            let srv = &self.world.servers[s as usize];
            srv.down && matches!(srv.records[i], Record::Start { .. })
        };
        let Some(t) = ranked.iter().filter(|(_, e)| restart(e)).map(|c| c.0).min() else {
            return;
        };
        let (mut early, later): (Ranked, Ranked) = std::mem::take(ranked)
            .into_iter()
            .partition(|(at, e)| *at < t || (*at == t && restart(e)));
        // Servers restarting at the same time: one whose first votes a peer's new life reads
        // starts after that peer (sent to a server still down, they would be lost).
        let together: Vec<Sid> = early
            .iter()
            .filter(|(at, e)| *at == t && restart(e))
            .filter_map(|(_, e)| match e {
                Event::Record(s, _) => Some(*s),
                _ => None,
            })
            .collect();
        early.sort_by_key(|(at, e)| match e {
            Event::Record(s, _) if *at == t && restart(e) => {
                together.iter().any(|p| self.reads_first_votes(*p, *s))
            }
            _ => false,
        });
        early.extend(later);
        *ranked = early;
    }

    /// Whether down server `p`'s next life reads one of the messages down server `s`'s next
    /// start record sends it (by their identities).
    fn reads_first_votes(&self, p: Sid, s: Sid) -> bool {
        let srv = &self.world.servers[s as usize];
        let Some(Record::Start { life, effects, .. }) = srv.records.get(srv.next) else {
            return false;
        };
        let to_p = |x: &&Effect| matches!(x, Effect::Send { to, .. } if crate::shared::convert::sid(*to) == p);
        let first = effects.iter().filter(to_p).count() as u64;
        let peer = &self.world.servers[p as usize];
        p != s
            && peer.records[peer.next..]
                .iter()
                .skip(1)
                .take_while(|r| !matches!(r, Record::Start { .. }))
                .any(|r| match r {
                    Record::Step {
                        input: Input::Peer { from, .. },
                        received: Some(id),
                        ..
                    } => {
                        crate::shared::convert::sid(*from) == s
                            && id.life == *life
                            && id.seq <= first
                    }
                    _ => false,
                })
    }

    /// When `s` next starts (its next start record), if it does.
    fn restart_time(&self, s: Sid) -> Option<u64> {
        let srv = &self.world.servers[s as usize];
        srv.records[srv.next..].iter().find_map(|r| match r {
            Record::Start { at_ns, .. } => Some(*at_ns),
            _ => None,
        })
    }

    /// Whether a peer has yet to hear that `s`'s connection closed.
    pub(super) fn noticed_later(&self, s: Sid) -> bool {
        let id = crate::shared::convert::server(s);
        self.world.servers.iter().any(|p| {
            p.records[p.next..].iter().any(|r| {
                matches!(r, Record::Step { input: Input::Disconnected { peer }, .. } if *peer == id)
            })
        })
    }

    /// Whether `to` reads `x` from `from` later in its trace.
    fn will_receive(&self, to: Sid, from: Sid, x: &world::Flight) -> bool {
        let srv = &self.world.servers[to as usize];
        srv.records[srv.next..].iter().any(|r| match r {
            Record::Step {
                input: Input::Peer { from: f, .. },
                received,
                ..
            } => crate::shared::convert::sid(*f) == from && *received == Some(x.id),
            _ => false,
        })
    }

    /// A dead server's crash can be placed once nothing it sent is still to be read.
    pub(super) fn crash_ready(&self, s: Sid) -> bool {
        self.world.net.iter().all(|(link, q)| {
            link.from != s
                || q.iter()
                    .all(|x| x.lost || !self.will_receive(link.to, s, x))
        })
    }
}

/// A connection that broke under both ends is noticed after the events recorded before it,
/// not after everything else (a restart far later, say): each goes right after the last
/// candidate recorded at or before it. Those with no later candidate are returned, to be
/// tried last.
fn place_broken(first: &mut Ranked, broken: Ranked) -> Ranked {
    let mut kept = Vec::new();
    for b in broken {
        if !first.iter().any(|(t, _)| *t > b.0) {
            kept.push(b);
            continue;
        }
        let at = first
            .iter()
            .rposition(|(t, _)| *t <= b.0)
            .map_or(0, |p| p + 1);
        first.insert(at, b);
    }
    kept
}

/// Whether a server's replica does anything when told that `peer`'s connection closed: a
/// leader of it, or a learner of it. Any other server ignores it, whenever it comes.
fn cares(srv: &world::Server, peer: u64) -> bool {
    use zab::replica::state::Role;
    match srv.replica.as_ref().map(|r| r.role()) {
        Some(Role::Leading(ls)) => ls.learners.contains_key(&peer),
        Some(Role::Learning(l)) => l.leader == peer,
        _ => false,
    }
}

fn peer_id(r: &Record) -> &u64 {
    match r {
        Record::Step {
            input: Input::Disconnected { peer },
            ..
        } => peer,
        _ => unreachable!("a disconnection"),
    }
}
