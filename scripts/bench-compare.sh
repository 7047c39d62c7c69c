#!/usr/bin/env bash
# zabd against Apache ZooKeeper 3.8 on this machine: a 3-server ensemble of each (fsync on
# in both), the same zab-bench load against each in one run, for a 50/50 mix, writes only
# and reads only. ZooKeeper's JVMs are warmed up first (JIT) with a load that is not
# measured, and so is zabd, so neither side pays for a cold start.
#
#   scripts/bench-compare.sh [--duration S] [zab-bench options...]
#
# Needs `cargo build --release` (zabd, zab-bench) and Debian's zookeeper package.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10
if [ "${1:-}" = "--duration" ]; then duration="$2"; shift 2; fi
bin=target/release
. scripts/ensembles.sh
start_ensembles bench-compare 3 0 512

echo "# warm-up (not measured)"
"$bin/zab-bench" --connect "$zabd_hosts" --compare "$zk_hosts" --duration 10 "$@" > /dev/null
echo "# zab-bench --duration $duration $* ; target 1 = zabd, target 2 = ZooKeeper 3.8.0"
for ratio in 0.5 0 1; do
  echo
  echo "## --read-ratio $ratio"
  "$bin/zab-bench" --connect "$zabd_hosts" --compare "$zk_hosts" --duration "$duration" \
    --read-ratio "$ratio" "$@"
done
