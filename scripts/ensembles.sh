# Sourced by bench-compare.sh and bench-scale.sh: a zabd ensemble and an Apache ZooKeeper 3.8
# ensemble side by side, in a temporary directory that goes with them when the script exits.
#
#   start_ensembles NAME SERVERS OBSERVERS HEAP_MB [COMMAND-PREFIX...]
#
# NAME prefixes the temporary directory and the error messages; a COMMAND-PREFIX (such as
# `taskset -c 0`) runs both ensembles' servers under it. Sets `work`, `zabd_hosts` and
# `zk_hosts`; exits 4 if either ensemble does not print its connect string within 2 minutes.
# The EXIT trap stops both (each script stops its servers on SIGTERM).

ensemble_pids=()

stop_ensembles() {
  for p in "${ensemble_pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${ensemble_pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  [ -n "${work:-}" ] && rm -rf "$work"
}

start_ensembles() {
  local name="$1" servers="$2" observers="$3" heap="$4"
  shift 4
  work="$(mktemp -d -t "zab-$name.XXXXXX")"
  trap stop_ensembles EXIT
  "$@" target/release/zabd ensemble --servers "$servers" --observers "$observers" \
    --dir "$work/zabd" > "$work/zabd.hosts" 2> "$work/zabd.err" &
  ensemble_pids+=($!)
  "$@" scripts/zookeeper-ensemble.sh --servers "$servers" --observers "$observers" \
    --heap "$heap" --dir "$work/zk" > "$work/zk.hosts" 2> "$work/zk.err" &
  ensemble_pids+=($!)
  local f
  for f in zabd zk; do
    for _ in $(seq 1 600); do [ -s "$work/$f.hosts" ] && break; sleep 0.2; done
    [ -s "$work/$f.hosts" ] || { echo "$name: $f ensemble did not start" >&2; exit 4; }
  done
  zabd_hosts="$(head -1 "$work/zabd.hosts")"
  zk_hosts="$(head -1 "$work/zk.hosts")"
}
