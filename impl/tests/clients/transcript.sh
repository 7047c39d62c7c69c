# Checks on a client's captured output, shared by the scripted client sessions
# (cli_mt_session.sh, zkcli_session.sh). Source it; the caller defines `fail MESSAGE`,
# NOISE (a regex for lines that carry no verdict), LINES (the output, one line per element),
# cursor (the first line not yet checked), checks, session and TMP.

pass() { checks=$((checks + 1)); }

is_noise() { [[ $1 =~ $NOISE ]]; }

# expect LINE: the next line that is not noise is exactly LINE.
expect() {
    local i=$cursor blank=""
    while [ "$i" -lt "${#LINES[@]}" ] && is_noise "${LINES[$i]}"; do
        [ -n "${LINES[$i]}" ] || [ -n "$blank" ] || blank=" (before it, line $((i + 1)) is empty)"
        i=$((i + 1))
    done
    [ "$i" -lt "${#LINES[@]}" ] || fail "expected line '$1' but the output ended$blank"
    [ "${LINES[$i]}" == "$1" ] ||
        fail "expected line '$1' but line $((i + 1)) is '${LINES[$i]}'$blank"
    cursor=$((i + 1))
    pass
}

# expect_end: nothing but noise after the last checked line.
expect_end() {
    local i=$cursor
    while [ "$i" -lt "${#LINES[@]}" ]; do
        is_noise "${LINES[$i]}" || fail "unexpected output at line $((i + 1)): '${LINES[$i]}'"
        i=$((i + 1))
    done
    pass
}

# expect_once LINE: the session's output holds LINE exactly once (a watch event, which may
# come anywhere, but must not come twice).
expect_once() {
    local n
    n=$(grep -cxF -- "$1" "$TMP/$session.out")
    [ "$n" -eq 1 ] || fail "expected exactly one watch event '$1', got $n"
    pass
}
