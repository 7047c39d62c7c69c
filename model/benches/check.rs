//! Checker throughput in unique states per second, on configurations small enough for repeated
//! measurement. The headline configuration (3 servers, 2 writes, 1 crash, 1 partition,
//! symmetry) takes minutes; its figures come from a recorded `check --json` run (README).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zab_model::check::{run, CheckOptions};
use zab_model::{Config, Election};

fn options() -> CheckOptions {
    CheckOptions {
        threads: 2,
        progress: false,
        timeout: None,
        examples: false,
        dfs: false,
        only: Vec::new(),
    }
}

fn bench_config(c: &mut Criterion, name: &str, cfg: Config) {
    let states = run(&cfg, &options()).unique_states as u64;
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.throughput(Throughput::Elements(states));
    group.bench_function(name, |b| {
        b.iter(|| {
            let r = run(&cfg, &options());
            assert_eq!(r.result, "pass");
            r.unique_states
        })
    });
    group.finish();
}

fn checker(c: &mut Criterion) {
    bench_config(c, "oracle_3srv_1txn_1crash", Config::default());
    bench_config(
        c,
        "oracle_3srv_1txn_1crash_symmetry",
        Config {
            symmetry: true,
            ..Config::default()
        },
    );
    bench_config(
        c,
        "fle_3srv_1txn_0crash",
        Config {
            election: Election::Fle,
            crashes: 0,
            ..Config::default()
        },
    );
}

criterion_group!(benches, checker);
criterion_main!(benches);
