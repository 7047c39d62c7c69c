use stateright::Model;
use std::collections::{HashMap, HashSet, VecDeque};
use zab_model::*;
use zab_model::msg::Plane;
fn main() {
    let cfg = Config { election: Election::Fle, scope: Scope::All, txns: 0, crashes: 0, ..Config::default() };
    let m = ZabModel::new(cfg);
    let start = m.init_states()[0].clone();
    let mut seen = HashSet::new();
    let mut q = VecDeque::new();
    seen.insert(start.clone());
    q.push_back(start);
    while let Some(s) = q.pop_front() {
        let mut acts = Vec::new();
        m.actions(&s, &mut acts);
        for a in acts {
            let n = m.step(&s, a);
            if m.within_boundary(&n) && seen.insert(n.clone()) { q.push_back(n); }
        }
    }
    let mut groups: HashMap<String, Vec<State>> = HashMap::new();
    for s in &seen {
        let mut p = s.clone();
        p.fle.clear();
        let mut net = zab_model::msg::Net::default();
        for (l, pk) in s.net.iter() { if l.plane == Plane::Quorum { net.send(l.from, l.to, *pk); } }
        p.net = net;
        groups.entry(format!("{p:?}")).or_default().push(s.clone());
    }
    let mut v: Vec<_> = groups.into_iter().collect();
    v.sort_by_key(|(_, g)| std::cmp::Reverse(g.len()));
    let (k, g) = &v[0];
    println!("biggest group {} states; zab part:\n{k}\n", g.len());
    // Count distinct election-message sets and distinct fle vectors within the group.
    let msgs: HashSet<String> = g.iter().map(|s| s.net.iter().filter(|(l,_)| l.plane==Plane::Election).map(|e| format!("{:?}{:?}", e.0, e.1)).collect::<Vec<_>>().join(";")).collect();
    let fles: HashSet<String> = g.iter().map(|s| format!("{:?}", s.fle.iter().map(|f| (f.round, f.vote, f.vote_round, f.recv, f.ooe)).collect::<Vec<_>>())).collect();
    println!("distinct election-message sets {} distinct fle states {}", msgs.len(), fles.len());
    for s in g.iter().take(3) { println!("{s:?}\n"); }
}
