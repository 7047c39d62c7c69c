//! Symmetry reduction is sound: with and without it, the verdicts agree, and the reduced
//! state space is between 1/n! and all of the full one.

mod common;
use common::{cfg, check, status};
use stateright::Model;
use zab_model::bugs::Bug;
use zab_model::symmetry::{canonical, permute};
use zab_model::{Config, ZabModel};

fn same_verdicts(c: Config) {
    let plain = check(&c, &[]);
    let sym = check(
        &Config {
            symmetry: true,
            ..c.clone()
        },
        &[],
    );
    assert_eq!(plain.result, sym.result, "{}", c.summary());
    for p in &plain.properties {
        assert_eq!(
            p.status,
            status(&sym, p.name),
            "{}: {}",
            c.summary(),
            p.name
        );
    }
    if plain.complete {
        assert!(sym.unique_states <= plain.unique_states);
        assert!(sym.unique_states * 6 >= plain.unique_states);
    }
}

#[test]
fn verdicts_agree_on_passing_configurations() {
    same_verdicts(cfg(|_| {}));
    same_verdicts(cfg(|c| {
        c.crashes = 0;
        c.partitions = 1;
    }));
}

#[test]
fn a_bug_is_found_with_and_without_symmetry() {
    let c = Bug::Zk4712.smallest_config();
    for symmetry in [false, true] {
        let r = check(
            &Config {
                symmetry,
                ..c.clone()
            },
            &[Bug::Zk4712.property()],
        );
        assert_eq!(status(&r, Bug::Zk4712.property()), "violated");
        // Counterexamples are printed in real server names, whatever the canonical renaming.
        assert!(r.counterexamples[0].steps.iter().any(|l| l.contains("s1")));
    }
}

#[test]
fn canonical_form_is_the_same_for_every_renaming() {
    // Walk some steps of the default model, then check that renaming servers any way gives
    // the same representative.
    let model = ZabModel::new(cfg(|c| c.symmetry = false));
    let mut st = model.init_states().remove(0);
    let sym = cfg(|c| c.symmetry = true);
    for depth in 0..12 {
        let mut actions = Vec::new();
        model.actions(&st, &mut actions);
        let a = actions[depth % actions.len()];
        st = model.next_state(&st, a).unwrap();
        let rep = canonical(&st, &sym);
        for perm in [[1u8, 0, 2], [2, 1, 0], [1, 2, 0]] {
            assert_eq!(canonical(&permute(&st, &perm), &sym), rep, "after {a:?}");
        }
    }
}
