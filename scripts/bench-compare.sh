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
work="$(mktemp -d -t zab-bench-compare.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/zabd" ensemble --servers 3 --dir "$work/zabd" > "$work/zabd.hosts" 2> "$work/zabd.err" &
pids+=($!)
scripts/zookeeper-ensemble.sh --servers 3 --dir "$work/zk" > "$work/zk.hosts" 2> "$work/zk.err" &
pids+=($!)
for f in zabd zk; do
  for _ in $(seq 1 300); do [ -s "$work/$f.hosts" ] && break; sleep 0.2; done
  [ -s "$work/$f.hosts" ] || { echo "bench-compare: $f ensemble did not start" >&2; exit 4; }
done
zabd_hosts="$(head -1 "$work/zabd.hosts")"
zk_hosts="$(head -1 "$work/zk.hosts")"

echo "# warm-up (not measured)"
"$bin/zab-bench" --connect "$zabd_hosts" --compare "$zk_hosts" --duration 10 "$@" > /dev/null
echo "# zab-bench --duration $duration $* ; target 1 = zabd, target 2 = ZooKeeper 3.8.0"
for ratio in 0.5 0 1; do
  echo
  echo "## --read-ratio $ratio"
  "$bin/zab-bench" --connect "$zabd_hosts" --compare "$zk_hosts" --duration "$duration" \
    --read-ratio "$ratio" "$@"
done
