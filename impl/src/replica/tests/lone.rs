//! A lone voter (a standalone server, with or without observers) elects itself as it starts.

use super::*;

/// Its own vote is a quorum and no other voter can send a better one, so it leads at once:
/// in the outputs of its start, with no finalizeWait of ticks first (it waited 200 ms).
#[test]
fn a_lone_voter_leads_as_it_starts() {
    for observers in [&[][..], &[2, 3][..]] {
        let cfg = Config::new(1, &[1], observers);
        let (r, out) = Replica::new(cfg, Durable::default(), Values::default()).unwrap();
        assert!(
            out.iter().any(|o| matches!(
                o,
                Output::RoleChanged {
                    state: ServerState::Leading,
                    leader: Some(1),
                    ..
                }
            )),
            "observers {observers:?}: {out:?}"
        );
        assert_eq!(r.state, ServerState::Leading);
    }
}

/// With more voters the finalizeWait stays: a better vote may still come.
#[test]
fn a_voter_among_others_still_waits_for_better_votes() {
    let (r, out) = replica(1, Durable::default());
    assert!(!out.iter().any(|o| matches!(o, Output::RoleChanged { .. })));
    assert_eq!(r.state, ServerState::Looking);
}
