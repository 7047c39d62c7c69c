#!/usr/bin/env bash
# Apache ZooKeeper 3.8 (Debian's `zookeeper` package) as a local ensemble of separate JVMs on
# free loopback ports: the side-by-side peer of `zabd ensemble`, with the same interface.
# It prints the connect string as one line once every server answers `srvr` with a mode,
# then runs until SIGTERM/SIGINT and stops its servers.
#
#   scripts/zookeeper-ensemble.sh [--servers N] [--observers M] [--dir D] [--tick-time MS]
#                                 [--heap MB] [--admin]
#
# --observers adds M observers (ids N+1 … N+M, `:observer` in every server line and
# `peerType=observer` in their own zoo.cfg), as `zabd ensemble --observers` does.
# --heap sets each JVM's maximum heap (-Xmx, default 512 MB): large states need more.
# --admin turns on each server's AdminServer (Jetty) on a free port of its own
# (`admin.serverPort` in its zN.cfg).
#
# fsync stays on (forceSync=yes is ZooKeeper's default). Logs: D/zN.log.
set -euo pipefail

servers=3
observers=0
dir=""
tick=2000
heap=512
admin=false
while [ $# -gt 0 ]; do
  case "$1" in
    --servers) servers="$2"; shift 2 ;;
    --observers) observers="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --tick-time) tick="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    --admin) admin=true; shift ;;
    *) echo "zookeeper-ensemble: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f /usr/share/java/zookeeper.jar ] || {
  echo "zookeeper-ensemble: Debian's zookeeper package is not installed" \
       "(apt-get install zookeeper zookeeper-bin)" >&2
  exit 2
}
[ -n "$dir" ] || dir="$(mktemp -d -t zk-ensemble.XXXXXX)"
mkdir -p "$dir"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

srvr() { # the `srvr` answer of the server on port $1, empty if none
  python3 - "$1" <<'PY' 2>/dev/null || true
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
    s.sendall(b"srvr"); out = b""
    while True:
        b = s.recv(4096)
        if not b: break
        out += b
    print(out.decode())
except OSError:
    pass
PY
}

# servlet-api is not in zookeeper.jar's manifest (its jetty jars are): without it the
# AdminServer stays off with only a warning.
cp_jars="$(ls /usr/share/java/*.jar | grep -E '/(slf4j-api|log4j-1.2|netty|commons|metrics-core|servlet-api)[^/]*\.jar$' | tr '\n' ':')"
classpath="/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:$cp_jars"

declare -a client_ports pids

stop() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop; exit 0' TERM INT
trap stop EXIT

members=$((servers + observers))

launch() { # pick ports, write every zN.cfg and myid, start the JVMs
  local peers="" i d role
  for i in $(seq 1 "$members"); do
    client_ports[$i]="$(free_port)"
    role=""
    [ "$i" -gt "$servers" ] && role=":observer"
    peers+="server.$i=127.0.0.1:$(free_port):$(free_port)$role"$'\n'
  done
  for i in $(seq 1 "$members"); do
    d="$dir/d$i"
    mkdir -p "$d"
    echo "$i" > "$d/myid"
    {
      echo "tickTime=$tick"
      echo "initLimit=10"
      echo "syncLimit=5"
      echo "dataDir=$d"
      echo "clientPort=${client_ports[$i]}"
      echo "clientPortAddress=127.0.0.1"
      echo "maxClientCnxns=0"
      echo "4lw.commands.whitelist=*"
      if [ "$admin" = true ]; then
        echo "admin.enableServer=true"
        echo "admin.serverAddress=127.0.0.1"
        echo "admin.serverPort=$(free_port)"
      else
        echo "admin.enableServer=false"
      fi
      [ "$i" -gt "$servers" ] && echo "peerType=observer"
      [ "$members" -gt 1 ] && printf '%s' "$peers"
    } > "$dir/z$i.cfg"
    java "-Xmx${heap}m" -Dzookeeper.root.logger=WARN,CONSOLE -cp "$classpath" \
      org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/z$i.cfg" > "$dir/z$i.log" 2>&1 &
    pids[$i]=$!
  done
}

wait_up() { # 0: every server has a mode; 1: a JVM exited; 2: not within 60 s
  local deadline=$((SECONDS + 60)) i
  for i in $(seq 1 "$members"); do
    until srvr "${client_ports[$i]}" | grep -q '^Mode:'; do
      kill -0 "${pids[$i]}" 2>/dev/null || return 1
      [ $SECONDS -lt $deadline ] || return 2
      sleep 0.2
    done
  done
}

# A port picked as free can be taken before the JVM binds it: then start again on new ports.
for attempt in 1 2 3; do
  launch
  rc=0
  wait_up || rc=$?
  [ $rc -eq 0 ] && break
  stop
  if [ $rc -eq 2 ] || [ $attempt -eq 3 ]; then
    echo "zookeeper-ensemble: the servers did not come up; see $dir/z*.log" >&2
    exit 4
  fi
  echo "zookeeper-ensemble: a server exited at start (a port taken?); starting again" >&2
done

hosts=""
for i in $(seq 1 "$members"); do hosts+="${hosts:+,}127.0.0.1:${client_ports[$i]}"; done
echo "$hosts"
while true; do sleep 1 & wait $! || true; done
