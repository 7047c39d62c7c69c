#!/usr/bin/env bash
# A scripted session of ZooKeeper 3.8's Java shell (zkCli.sh) against an ensemble.
#
# usage: zkcli_session.sh HOSTS      (HOSTS: host:port[,host:port...])
#
# Two zkCli.sh processes (one JVM each), commands fed on stdin. The first creates a tree under
# a root unique to this run and exercises create (-s/-e/-c), get/set/stat/ls, versions, the
# failing cases and one-shot watches; the second (a new session) checks that the first
# session's ephemerals are gone and removes the tree with deleteall. Every line zkCli prints
# is checked: each expected line must be the next line of output that is not noise (banner,
# watch events, stat fields), stat fields are checked inside their block, and anything left
# over is an error. Exits 1 naming the first failed check; prints the number of checks passed.
set -u
# shellcheck source=transcript.sh
source "$(dirname "$0")/transcript.sh"

HOSTS=${1:?usage: zkcli_session.sh HOSTS}
ZKCLI=${ZKCLI:-/usr/share/zookeeper/bin/zkCli.sh}
R=/zkcli-$$-$RANDOM
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

checks=0
session=""
declare -a LINES=()
cursor=0

# Lines that carry no verdict by themselves: the banner, watch events (checked separately),
# and stat fields (checked with expect_field).
NOISE='^$|^SLF4J: |^Connecting to |^Welcome to ZooKeeper!$|^JLine support is |^WATCHER::$|^WatchedEvent |^(cZxid|ctime|mZxid|mtime|pZxid|cversion|dataVersion|aclVersion|ephemeralOwner|dataLength|numChildren) = '

fail() {
    echo "FAIL: zkCli session ($session) check: $1" >&2
    echo "--- zkCli output of $session (line numbers; checked up to line $cursor) ---" >&2
    cat -n "$TMP/$session.out" >&2
    exit 1
}


# run_session NAME CMD...: one zkCli.sh process, the commands on its stdin, output captured.
run_session() {
    session=$1
    shift
    printf '%s\n' "$@" >"$TMP/$session.in"
    timeout 20 "$ZKCLI" -server "$HOSTS" <"$TMP/$session.in" >"$TMP/$session.out" 2>&1
    local rc=$?
    mapfile -t LINES <"$TMP/$session.out"
    cursor=0
    [ "$rc" -ne 124 ] || fail "zkCli.sh did not finish within 20 s (timeout)"
    # the first command (create of the root) needs a connected session
    grep -qx 'WatchedEvent state:SyncConnected type:None path:null' "$TMP/$session.out" ||
        fail "zkCli.sh never reported 'WatchedEvent state:SyncConnected type:None path:null'"
    pass
}

# expect_re REGEX WHAT: the next line that is not noise matches the (whole-line) REGEX.
expect_re() {
    local i=$cursor
    while [ "$i" -lt "${#LINES[@]}" ] && is_noise "${LINES[$i]}"; do i=$((i + 1)); done
    [ "$i" -lt "${#LINES[@]}" ] || fail "expected $2 but the output ended"
    [[ ${LINES[$i]} =~ ^$1$ ]] || fail "expected $2 but line $((i + 1)) is '${LINES[$i]}'"
    cursor=$((i + 1))
    pass
}

# expect_field NAME VALUE: in the stat block being read (no other output and no new block in
# between), the field NAME is VALUE. VALUE is a whole-value regex.
expect_field() {
    local i=$cursor line starts=0
    # already inside a block (a field was just checked): its end is the next block's start
    [ "$i" -gt 0 ] && [[ ${LINES[$((i - 1))]} =~ ^[a-zA-Z]+\ =\  ]] && starts=1
    while [ "$i" -lt "${#LINES[@]}" ]; do
        line=${LINES[$i]}
        [[ $line == "cZxid = "* ]] && starts=$((starts + 1))
        if [[ $line == "$1 = "* ]]; then
            [[ ${line#"$1 = "} =~ ^$2$ ]] ||
                fail "expected stat field '$1 = $2' but line $((i + 1)) is '$line'"
            cursor=$((i + 1))
            pass
            return
        fi
        if ! is_noise "$line" || [ "$starts" -gt 1 ]; then
            break
        fi
        i=$((i + 1))
    done
    fail "expected stat field '$1 = $2' in the stat block after line $cursor, not found"
}

# expect_event TYPE PATH: the session received exactly one such watch event.
expect_event() { expect_once "WatchedEvent state:SyncConnected type:$1 path:$2"; }

start=$(date +%s.%N)

# ---- session 1: build, read, change, fail, watch -------------------------------------------
run_session s1 \
    "create $R rootdata" \
    "create $R again" \
    "create -s $R/seq- s0" \
    "create -s $R/seq- s1" \
    "create -e $R/eph ephdata" \
    "create -e -s $R/es- x" \
    "create $R/eph/child" \
    "create $R/missing/child" \
    "get -w $R" \
    "set $R v2" \
    "get -s $R" \
    "set -v 1 $R v3" \
    "set -s -v 1 $R v4" \
    "stat $R" \
    "get $R" \
    "stat $R/eph" \
    "ls $R" \
    "ls -s $R" \
    "getEphemerals $R" \
    "getAllChildrenNumber $R" \
    "delete $R" \
    "delete -v 5 $R/seq-0000000000" \
    "delete -v 0 $R/seq-0000000000" \
    "stat $R/seq-0000000000" \
    "ls -w $R" \
    "create $R/c2 c2data" \
    "get $R/c2" \
    "stat -w $R/c2" \
    "delete $R/c2" \
    "stat -w $R/nw" \
    "create $R/nw" \
    "delete $R/nw" \
    "sync $R" \
    quit

expect "Created $R"
expect "Node already exists: $R"
expect "Created $R/seq-0000000000"
expect "Created $R/seq-0000000001"
expect "Created $R/eph"
# the sequence number is the parent's count of children ever created
expect "Created $R/es-0000000003"
expect "Ephemerals cannot have children: $R/eph/child"
expect "Node does not exist: $R/missing/child"
expect "rootdata"                                   # get -w
expect "v2"                                         # get -s after set
expect_field cversion 4
expect_field dataVersion 1
expect_field ephemeralOwner 0x0
expect_field dataLength 2
expect_field numChildren 4
expect "version No is not valid : $R"               # set -v 1 after set -v 1 succeeded
expect_field dataVersion 2                          # stat
expect_field aclVersion 0
expect_field numChildren 4
expect "v3"                                         # get
expect_field ephemeralOwner '0x0*[1-9a-f][0-9a-f]*' # stat of the ephemeral: our session
expect_field dataLength 7
expect_field numChildren 0
expect "[eph, es-0000000003, seq-0000000000, seq-0000000001]"   # ls
expect "[eph, es-0000000003, seq-0000000000, seq-0000000001]"   # ls -s
expect_field cversion 4
expect_field numChildren 4
# getEphemerals: this session's ephemerals under the root, in no particular order
expect_re "\[($R/eph, $R/es-0000000003|$R/es-0000000003, $R/eph)\]" "getEphemerals listing $R/eph and $R/es-0000000003"
expect "4"                                          # getAllChildrenNumber
expect "Node not empty: $R"
expect "version No is not valid : $R/seq-0000000000"
expect "Node does not exist: $R/seq-0000000000"    # stat after delete -v 0
expect "[eph, es-0000000003, seq-0000000001]"       # ls -w
expect "Created $R/c2"
expect "c2data"    # (zkCli's create without data sends null; zabd keeps it as empty data,
                   #  see specs/compatibility.md, so this session gives c2 data)
expect_field dataLength 6                           # stat -w
expect "Node does not exist: $R/nw"                 # stat -w of a missing node still watches
expect "Created $R/nw"
expect "Sync is OK"
expect_end
expect_event NodeDataChanged "$R"       # get -w, then set
expect_event NodeChildrenChanged "$R"   # ls -w, then create c2 (one-shot: not the deletes)
expect_event NodeDeleted "$R/c2"        # stat -w, then delete
expect_event NodeCreated "$R/nw"        # stat -w on a missing node, then create

# ---- session 2: the ephemerals died with session 1 (closed by quit); clean up --------------------------------
run_session s2 \
    "sync $R" \
    "ls $R" \
    "stat $R/eph" \
    "get -s $R" \
    "create -s $R/seq- a" \
    "create -c $R/cont" \
    "create -c $R/cont" \
    "getAcl $R" \
    "deleteall $R" \
    "stat $R" \
    "ls $R" \
    quit

expect "Sync is OK"        # this server has caught up with the leader (session 1's close)
expect "[seq-0000000001]"
expect "Node does not exist: $R/eph"
expect "v3"
# 6 children ever created, 1 left: ZooKeeper reports cversion as 2 * 6 - 1
expect_field cversion 11
expect_field dataVersion 2
expect_field numChildren 1
expect "Created $R/seq-0000000006"
expect "Created $R/cont"
expect "Node already exists: $R/cont"
expect "'world,'anyone"
expect ": cdrwa"
expect "Node does not exist: $R"                    # stat after deleteall
expect "Node does not exist: $R"                    # ls after deleteall
expect_end

end=$(date +%s.%N)
echo "zkCli session: $checks checks passed ($(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.1f", e-s}') s, root $R)"
