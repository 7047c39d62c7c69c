#!/usr/bin/env bash
# Measures the README's "Bugs the checker finds" table: for every bug switch, its smallest
# configuration checked breadth first on one thread (so counterexamples are shortest), the
# first property violated and at which depth, the invariant the published work names and at
# which depth, the states explored and the seconds. Needs `cargo build --release` first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/zab-model
named() { # the invariant the published work reports the bug against
  case "$1" in
    zk-1419) echo vote_order_consistent ;;
    zk-2845 | zk-4712) echo history_consistency ;;
    zk-3911 | zk-4646 | stale-ack) echo committed_txn_durable ;;
    zk-3023) echo state_consistent ;;
    zk-4394) echo commit_consistent ;;
    zk-4643) echo initial_history_integrity ;;
    zk-4685) echo ack_consistent ;;
    zk-1675) echo read_sees_committed ;;
  esac
}
summary() { # property, depth, states, seconds of the first counterexample
  python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d["counterexamples"][0]
print("\t".join([c["property"], str(len(c["steps"]) - 2), format(d["unique_states"], ","), "%.2f" % d["seconds"]]))'
}
printf 'bug\tfirst (depth)\tnamed (depth)\tstates\ts\n'
for bug in $($bin bugs | awk '{print $1}'); do
  IFS=$'\t' read -r first depth states secs < <($bin check --bug "$bug" --threads 1 --json 2>/dev/null | summary)
  IFS=$'\t' read -r prop ndepth _ _ < <($bin check --bug "$bug" --threads 1 --json --property "$(named "$bug")" 2>/dev/null | summary)
  printf '%s\t%s (%s)\t%s (%s)\t%s\t%s\n' "$bug" "$first" "$depth" "$prop" "$ndepth" "$states" "$secs"
done
