#!/usr/bin/env bash
# How long a learner that needs a SNAP takes to catch up, and what the load on the other
# servers sees meanwhile: a 3-server ensemble (zabd or Apache ZooKeeper 3.8) is preloaded,
# one follower is killed and its data removed (so only a snapshot can serve it), then started
# again while zab-bench runs a 50/50 load against the other two. Prints the load before and
# during, the time from the follower's start until its `srvr` reports the leader's node
# count, and the leader's and the follower's peak resident memory (sampled every 50 ms).
#
#   scripts/snap-catchup.sh [--target zabd|zookeeper] [--preload N] [--value-size B]
#                           [--heap MB] [--keep-data] [--idle] [--cfg KEY=VALUE ...]
#
# --value-size sets the preloaded znodes' size (default 100 bytes; the loads write 100).
# --cfg adds a zoo.cfg line to every zabd server (e.g. initLimit=40: zabd's ensemble runs
# with tickTime=500, ZooKeeper's script with 2000).
# --keep-data restarts the follower on its own data instead: start-up from disk (its newest
# snapshot and the log after it), then a DIFF (or a SNAP, if the leader has snapshotted past
# it meanwhile). --idle runs no load while the follower starts.
# Needs `cargo build --release` (zabd, zab-bench); ZooKeeper needs Debian's package.
set -euo pipefail
cd "$(dirname "$0")/.."
target=zabd
preload=1000000
value=100
heap=1024
keep=false
idle=false
cfg=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --preload) preload="$2"; shift 2 ;;
    --value-size) value="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    --keep-data) keep=true; shift ;;
    --idle) idle=true; shift ;;
    --cfg) cfg+=(--cfg "$2"); shift 2 ;;
    *) echo "snap-catchup: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=target/release
dir="$(mktemp -d -t zab-snap-catchup.XXXXXX)"
cleanup() {
  [ -n "${ens:-}" ] && kill "$ens" 2>/dev/null || true
  sleep 2
  pkill -f -- "$dir/z" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
case "$target" in
  zabd) "$bin/zabd" ensemble --servers 3 --dir "$dir" ${cfg[@]+"${cfg[@]}"} > "$dir/hosts" 2>&1 & ;;
  zookeeper) scripts/zookeeper-ensemble.sh --servers 3 --dir "$dir" --heap "$heap" > "$dir/hosts" 2>&1 & ;;
  *) echo "snap-catchup: unknown target $target" >&2; exit 2 ;;
esac
ens=$!
hosts=""
for _ in $(seq 600); do hosts="$(head -1 "$dir/hosts" 2>/dev/null | grep 127 || true)"; [ -n "$hosts" ] && break; sleep 0.2; done
[ -n "$hosts" ] || { echo "snap-catchup: the ensemble did not start" >&2; exit 4; }
srvr() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; echo srvr >&3; cat <&3" 2>/dev/null || true; }
count() { srvr "$1" | sed -n 's/^Node count: //p'; }
pid_of() { pgrep -f -- "$dir/z$1.cfg" | head -1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

"$bin/zab-bench" --connect "$hosts" --preload "$preload" --value-size "$value" --duration 3 | tail -1
follower=""; others=""; leader=""
for id in 1 2 3; do
  port="$(sed -n 's/^clientPort=//p' "$dir/z$id.cfg")"
  mode="$(srvr "$port" | sed -n 's/^Mode: //p')"
  if [ "$mode" = follower ] && [ -z "$follower" ]; then follower=$port; fid=$id
  else others="$others,127.0.0.1:$port"; fi
  [ "$mode" = leader ] && leader=$port && lid=$id
done
others="${others#,}"
want="$(count "$leader")"
what="loses its data"
[ "$keep" = true ] && what="restarts on its own data"
echo "# $target: follower z$fid $what; leader z$lid holds $want znodes; load on $others"
echo "## load before, 10 s"
"$bin/zab-bench" --connect "$others" --duration 10 | head -2
fpid="$(pid_of "$fid")"; lpid="$(pid_of "$lid")"
mapfile -d '' cmd < "/proc/$fpid/cmdline"
kill -9 "$fpid"; sleep 1
if [ "$keep" = false ]; then
  case "$target" in
    zabd) find "$dir/d$fid" -mindepth 1 ! -name myid -delete ;;
    zookeeper) rm -rf "$dir/d$fid/version-2" ;;
  esac
else
  ls -l "$dir/d$fid" "$dir/d$fid/version-2" 2>/dev/null | grep -E "snapshot|log" || true
fi
if [ "$idle" = true ]; then
  sleep 12 &
  echo "(no load)" > "$dir/during"
else
  "$bin/zab-bench" --connect "$others" --duration 12 > "$dir/during" 2>&1 &
fi
bench=$!
sleep 1
t0=$(date +%s%N)
echo "follower started at $(date -u +%T.%N)"
lines=$(wc -l < "$dir/z$fid.log")
"${cmd[@]}" >> "$dir/z$fid.log" 2>&1 &
peak_l=0; peak_f=0; caught=""
while kill -0 "$bench" 2>/dev/null || [ -z "$caught" ]; do
  r=$(rss_kb "$lpid"); [ "$r" -gt "$peak_l" ] && peak_l=$r
  npid="$(pid_of "$fid" || true)"
  if [ -n "$npid" ]; then r=$(rss_kb "$npid"); [ "$r" -gt "$peak_f" ] && peak_f=$r; fi
  if [ -z "$caught" ] && [ "$(count "$follower")" = "$want" ]; then
    caught=$(( ($(date +%s%N) - t0) / 1000000 ))
  fi
  [ $(( ($(date +%s%N) - t0) / 1000000000 )) -gt 120 ] && break
  sleep 0.05
done
echo "## load during, 12 s from 1 s before the follower's start"
head -2 "$dir/during" || true
echo "follower serving all $want znodes: ${caught:-not within 120 s} ms after its start"
echo "peak resident: leader $((peak_l / 1024)) MB, follower $((peak_f / 1024)) MB"
grep -h "SNAP sent" "$dir/z$lid.log" || true
echo "the follower's log since its start:"
tail -n +"$((lines + 1))" "$dir/z$fid.log" | grep -v "snapshot written" | head -8 | cut -c1-160
