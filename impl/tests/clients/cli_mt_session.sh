#!/usr/bin/env bash
# A scripted session of ZooKeeper 3.8's C client shell (cli_mt, Debian's zookeeper-bin)
# against an ensemble.
#
# usage: cli_mt_session.sh HOSTS      (HOSTS: host:port[,host:port...])
#
# cli_mt reads commands on stdin and prints every result on stderr from its completion
# thread, asynchronously. So each command is followed by a barrier, `sync /`, and the next
# command is sent only once the barrier's completion ("\tname = /") has been printed: the
# session's replies come in order, so by then the command's own output is complete and the
# transcript is sequential. The first session builds a tree under a root unique to this run
# (create with the +e/+s/+es flags, create2, get/set/ls/ls2/exists/sync, failures with their
# return codes, watches); the second, a new session, checks that the first session's
# ephemerals are gone and deletes the tree. Every line is checked: each expected line must be
# the next line that is not noise (timings, "Creating ..." echoes, watch events, barriers,
# stat lines), stat lines are checked inside their block, and anything left over is an error.
# Exits 1 naming the first failed check; prints the number of checks passed.
set -u
# shellcheck source=transcript.sh
source "$(dirname "$0")/transcript.sh"

HOSTS=${1:?usage: cli_mt_session.sh HOSTS}
CLI_MT=${CLI_MT:-/usr/lib/zookeeper/bin/cli_mt}
R=/climt-$$-$RANDOM
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
trap '' PIPE   # a dead cli_mt must show up as a failed check, not a silent SIGPIPE

checks=0
session=""
declare -a LINES=()
cursor=0
pid=""
barriers=0
TAB=$'\t'

# Lines that carry no verdict by themselves: timings, the main thread's echo of a create, the
# session and watch events (checked separately), the barriers, and the stat dumps (checked
# with expect_field).
NOISE="^$|^time = [0-9]+ msec$|^Creating \[.*\] node( \(mode: [0-9]+\))?$|^Watcher |^Got a new session id: |^\[/\]: rc = 0$|^${TAB}name = /$|^Stat:$|^${TAB}(ctime = |czxid=|mtime=|mzxid=|version=|ephemeralOwner = )|^Quitting\.\.\.$|^bye$"

fail() {
    echo "FAIL: cli_mt session ($session) check: $1" >&2
    echo "--- cli_mt output of $session (line numbers; checked up to line $cursor) ---" >&2
    cat -n "$TMP/$session.out" >&2
    [ -z "$pid" ] || kill "$pid" 2>/dev/null
    exit 1
}


# start NAME: a cli_mt process reading the FIFO on fd 3; waits for its session.
start() {
    session=$1
    cursor=0
    barriers=0
    rm -f "$TMP/in"
    mkfifo "$TMP/in"
    timeout 20 "$CLI_MT" -h "$HOSTS" <"$TMP/in" >"$TMP/$session.out" 2>&1 &
    pid=$!
    exec 3>"$TMP/in"
    wait_for '^Got a new session id: 0x[0-9a-f]+$' 1 "cli_mt to connect (Got a new session id)"
    pass
}

# wait_for REGEX N WHAT: until N lines of the output match REGEX (10 s at most).
wait_for() {
    local deadline=$((SECONDS + 10))
    while [ "$(grep -cE -- "$1" "$TMP/$session.out")" -lt "$2" ]; do
        kill -0 "$pid" 2>/dev/null || fail "cli_mt exited while waiting for $3"
        [ "$SECONDS" -lt "$deadline" ] || fail "no reply within 10 s while waiting for $3"
        sleep 0.02
    done
}

# run CMD: send one command, then the barrier, and wait for the barrier's completion.
run() {
    printf '%s\nsync /\n' "$1" >&3 || fail "could not send '$1' to cli_mt"
    barriers=$((barriers + 1))
    wait_for "^${TAB}name = /$" "$barriers" "the reply to '$1'"
}

# finish: quit, wait for the process, load its transcript.
finish() {
    printf 'quit\n' >&3
    exec 3>&-
    wait "$pid"
    local rc=$?
    pid=""
    mapfile -t LINES <"$TMP/$session.out"
    [ "$rc" -ne 124 ] || fail "cli_mt did not finish within 20 s (timeout)"
    [ "$rc" -eq 0 ] || fail "cli_mt exited with status $rc"
    pass
}

# expect_field REGEX WHAT: a stat line of the block being read (before any other output)
# matches the whole-line REGEX (the leading tab not included).
expect_field() {
    local i=$cursor line
    while [ "$i" -lt "${#LINES[@]}" ] && is_noise "${LINES[$i]}"; do
        line=${LINES[$i]}
        if [[ ${line#"$TAB"} =~ ^$1$ ]]; then
            cursor=$((i + 1))
            pass
            return
        fi
        i=$((i + 1))
    done
    fail "expected the stat line $2 before line $((i + 1)) ('${LINES[$i]:-<end>}')"
}

# expect_children PATH CHILD...: an ls/ls2 reply "PATH: rc = 0" listing exactly these
# children, in any order.
expect_children() {
    local path=$1 got want
    shift
    expect "$path: rc = 0"
    got=()
    while [ "$cursor" -lt "${#LINES[@]}" ] && [[ ${LINES[$cursor]} == "$TAB"* ]] &&
        ! is_noise "${LINES[$cursor]}"; do
        got+=("${LINES[$cursor]#"$TAB"}")
        cursor=$((cursor + 1))
    done
    got=$(printf '%s\n' "${got[@]}" | sort | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [ "$got" == "$want" ] || fail "children of $path: expected [ $want] but got [ $got]"
    pass
}

# expect_event TYPE PATH: the session received exactly one such watch event.
expect_event() { expect_once "Watcher $1 state = CONNECTED_STATE for path $2"; }

session_id() { sed -n 's/^Got a new session id: 0x\([0-9a-f]*\)$/\1/p' "$TMP/$session.out" | head -1; }

began=$(date +%s.%N)

# ---- session 1: build, read, change, fail, watch -------------------------------------------
# cli_mt's create always stores the data "new"; `set PATH DATA` takes the rest of the line.
start s1
run "create $R"
run "create $R"
run "get $R"
run "set $R hello world"
run "get $R"
run "create +s $R/s-"
run "create +s $R/s-"
run "create +e $R/e"
run "create2 +es $R/es-"
run "create $R/e/child"
run "create $R/missing/x"
run "ls $R"
run "ls2 $R"
run "exists $R"
run "exists $R/nope"
run "create $R/nope"
run "get $R/nope"
run "delete $R"
run "delete $R/nope"
run "get $R/nope"
run "delete $R/nope"
run "set $R/nope x"
run "sync $R"
finish
sid1=$(session_id)

expect "[$R]: rc = 0"                       # create
expect "${TAB}name = $R"
expect "[$R]: rc = -110"                    # create again: ZNODEEXISTS
expect "$R: rc = 0"                         # get
expect " value_len = 3"
expect "new"
expect_field 'version=0'$'\t''aversion=0' "version=0"
expect "$R: rc = 0 Stat:"                   # set
expect_field 'version=1'$'\t''aversion=0' "version=1"
expect "$R: rc = 0"                         # get
expect " value_len = 11"
expect "hello world"
expect_field 'version=1'$'\t''aversion=0' "version=1"
expect_field 'ephemeralOwner = 0' "ephemeralOwner = 0"
expect "[$R/s-]: rc = 0"                    # create +s
expect "${TAB}name = $R/s-0000000000"
expect "[$R/s-]: rc = 0"                    # create +s
expect "${TAB}name = $R/s-0000000001"
expect "[$R/e]: rc = 0"                     # create +e
expect "${TAB}name = $R/e"
expect "[$R/es-]: rc = 0"                   # create2 +es: the suffix counts all 3 earlier children
expect "${TAB}name = $R/es-0000000003"
expect_field 'version=0'$'\t''aversion=0' "version=0"
expect_field "ephemeralOwner = $sid1" "ephemeralOwner = $sid1 (this session)"
expect "[$R/e/child]: rc = -108"            # ZNOCHILDRENFOREPHEMERALS
expect "[$R/missing/x]: rc = -101"          # ZNONODE
expect_children "$R" s-0000000000 s-0000000001 e es-0000000003         # ls
expect_children "$R" s-0000000000 s-0000000001 e es-0000000003         # ls2
expect_field 'version=1'$'\t''aversion=0' "version=1"
expect "Error -101 for $R/nope"             # exists (quiet when the node exists)
expect "[$R/nope]: rc = 0"
expect "${TAB}name = $R/nope"
expect "$R/nope: rc = 0"                    # get (watches the new node)
expect " value_len = 3"
expect "new"
expect_field 'version=0'$'\t''aversion=0' "version=0"
expect "$R: rc = -111"                      # delete with children: ZNOTEMPTY
expect "$R/nope: rc = 0"                    # delete
expect "$R/nope: rc = -101"                 # get of a deleted node
expect "null"
expect "$R/nope: rc = -101"                 # delete of a deleted node
expect "$R/nope: rc = -101 Stat:"           # set of a deleted node
expect "null"
expect "[$R]: rc = 0"                       # sync
expect "${TAB}name = $R"
expect_end
expect_event CHANGED_EVENT "$R"             # get, then set
expect_event CHILD_EVENT "$R"               # ls/ls2, then create nope (one-shot)
expect_event CREATED_EVENT "$R/nope"        # exists on a missing node, then create
expect_event DELETED_EVENT "$R/nope"        # get of the new node, then delete

# ---- session 2: the ephemerals died with session 1 (closed by quit); clean up ----------------
start s2
run "sync $R"
run "exists $R/e"
run "exists $R/es-0000000003"
run "ls $R"
run "create +s $R/s-"
run "delete $R/s-0000000000"
run "delete $R/s-0000000001"
run "delete $R/s-0000000005"
run "delete $R"
run "exists $R"
finish
sid2=$(session_id)

[ -n "$sid2" ] && [ "$sid2" != "$sid1" ] || fail "expected a new session id, got '$sid2' after '$sid1'"
pass
expect "[$R]: rc = 0"                       # sync: this server has caught up with session 1's close
expect "${TAB}name = $R"
expect "Error -101 for $R/e"
expect "Error -101 for $R/es-0000000003"
expect_children "$R" s-0000000000 s-0000000001
expect "[$R/s-]: rc = 0"                    # 5 children ever created under R
expect "${TAB}name = $R/s-0000000005"
expect "$R/s-0000000000: rc = 0"
expect "$R/s-0000000001: rc = 0"
expect "$R/s-0000000005: rc = 0"
expect "$R: rc = 0"
expect "Error -101 for $R"
expect_end
expect_event CHILD_EVENT "$R"               # ls, then create +s (one-shot: not the deletes)

ended=$(date +%s.%N)
echo "cli_mt session: $checks checks passed ($(awk -v s="$began" -v e="$ended" 'BEGIN{printf "%.1f", e-s}') s, root $R)"
