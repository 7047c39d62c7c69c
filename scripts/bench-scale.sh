#!/usr/bin/env bash
# zabd against Apache ZooKeeper 3.8 on the workloads of issue 20, in one run: an ensemble of
# each (fsync on in both), optionally preloaded, then for every workload the same zab-bench
# load against zabd and then ZooKeeper (`--compare`), each table printed as it comes:
#
#   rw        50/50 setData/getData, 16 sessions x 16 in flight
#   churn     create/delete of children, 16 x 16
#   sessions  50/50 from 1,000 sessions, one request in flight each
#   watch     one writer, 1,000 sessions watching its znode: a write's ack to the last
#             watcher's notification
#   children  getChildren of a znode with 1,000 children
#   reads     getData only (with observers: what they add for reads)
#
#   scripts/bench-scale.sh [--servers N] [--observers M] [--preload N] [--heap MB]
#                          [--duration S] [--workloads "rw churn ..."] [--pin]
#
# --pin runs both ensembles' servers on CPU 0 and zab-bench on CPU 1 (taskset), so the load
# tool's work does not come out of the servers' share: on a 2-core machine, without it, the
# rounds of the watch workload are bounded by the servers' and the tool's CPU together.
#
# Both ensembles are warmed up first (ZooKeeper's JIT) with a load that is not measured.
# --heap is ZooKeeper's -Xmx (512 MB loads a million znodes of 100 bytes, 256 MB does not).
# Needs `cargo build --release` (zabd, zab-bench) and Debian's zookeeper package.
set -euo pipefail
cd "$(dirname "$0")/.."
servers=3
observers=0
preload=0
heap=512
duration=10
workloads="rw churn sessions watch children reads"
servers_cpu=()
bench_cpu=()
while [ $# -gt 0 ]; do
  case "$1" in
    --servers) servers="$2"; shift 2 ;;
    --observers) observers="$2"; shift 2 ;;
    --preload) preload="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --workloads) workloads="$2"; shift 2 ;;
    --pin) servers_cpu=(taskset -c 0); bench_cpu=(taskset -c 1); shift ;;
    *) echo "bench-scale: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=target/release
. scripts/ensembles.sh
start_ensembles bench-scale "$servers" "$observers" "$heap" ${servers_cpu[@]+"${servers_cpu[@]}"}

echo "# $servers voters, $observers observers; target 1 = zabd, target 2 = ZooKeeper 3.8.0 (-Xmx${heap}m)"
echo "# warm-up (not measured), after a preload of $preload znodes"
${bench_cpu[@]+"${bench_cpu[@]}"} "$bin/zab-bench" --connect "$zabd_hosts" --compare "$zk_hosts" --duration 10 \
  --preload "$preload" --rss
for w in $workloads; do
  case "$w" in
    rw) args=() ;;
    churn) args=(--workload churn) ;;
    sessions) args=(--clients 1000 --pipeline 1) ;;
    watch) args=(--workload watch --watchers 1000) ;;
    children) args=(--workload children --children 1000) ;;
    reads) args=(--read-ratio 1) ;;
    *) echo "bench-scale: unknown workload $w" >&2; exit 2 ;;
  esac
  echo
  echo "## $w: zab-bench --duration $duration ${args[*]}"
  ${bench_cpu[@]+"${bench_cpu[@]}"} "$bin/zab-bench" --connect "$zabd_hosts" --compare "$zk_hosts" --duration "$duration" \
    --rss "${args[@]}"
done
