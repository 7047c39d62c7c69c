#!/usr/bin/env bash
# The one command that runs every test (the README's; `.ci/run` calls exactly this).
#
#   scripts/test.sh
#
# 1. Installs what the tests need and is missing: Debian packages (a C linker, Python with
#    venv, Chromium, Apache ZooKeeper 3.8 and its C client, procps, faketime, curl, git,
#    prometheus for its promtool),
#    kazoo in a virtualenv under target/, and cargo-deny under target/tools. `cargo test`
#    itself installs nothing; it only checks that these are there.
# 2. Builds the workspace once (release) and runs every test on that build.
# 3. Runs the tests of deliberately wrong replicas on a second build with the `faults` feature,
#    in its own target directory (target/faults): cargo merges features across a workspace, and
#    the release `zabd` must never carry a fault.
# 4. Opens the model's Explorer in headless Chromium.
# 5. The habits: cargo fmt, clippy (with and without the faults), rustdoc, each benchmark
#    run once, and cargo deny (advisories, bans, licenses, sources).
#
# The RustSec advisory database is read from a snapshot when one is given (ZAB_ADVISORY_DB=
# path to a .tar.gz of advisory-db, or ../shared/advisory-db-*.tar.gz beside the checkout);
# otherwise cargo deny fetches it.
#
# Steps print their start time; the first failing step ends the run with its exit code.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

DENY_VERSION=0.20.2
KAZOO_VERSION=2.11.0

step() { printf '\n==> [%4ds] %s\n' "$SECONDS" "$*"; }

# --- 1. what the tests need -------------------------------------------------------------
debian_packages() {
  local need=()
  command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
  command -v curl >/dev/null 2>&1 || need+=(curl ca-certificates)
  command -v git >/dev/null 2>&1 || need+=(git)
  command -v pgrep >/dev/null 2>&1 || need+=(procps)
  command -v faketime >/dev/null 2>&1 || need+=(faketime)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v promtool >/dev/null 2>&1 || need+=(prometheus)
  [ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
  [ -x /usr/lib/zookeeper/bin/cli_mt ] || need+=(zookeeper-bin)
  [ ${#need[@]} -eq 0 ] && return
  step "apt-get install ${need[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# kazoo (the Python client of the client and differential suites) in a virtualenv, so a
# system Python that refuses pip (PEP 668) is left alone.
python_packages() {
  local venv=target/venv
  if ! "$venv/bin/python3" -c 'import kazoo' >/dev/null 2>&1; then
    step "kazoo $KAZOO_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python3" -m pip install -q "kazoo==$KAZOO_VERSION"
  fi
  export PATH="$root/$venv/bin:$PATH"
}

cargo_tools() {
  local tools=target/tools
  if [ "$("$tools/bin/cargo-deny" --version 2>/dev/null)" != "cargo-deny $DENY_VERSION" ]; then
    step "cargo install cargo-deny $DENY_VERSION into $tools"
    cargo install --quiet --locked --root "$tools" "cargo-deny@$DENY_VERSION"
  fi
  export PATH="$root/$tools/bin:$PATH"
}

# The advisory database cargo deny reads: a snapshot when there is one (the CI machines
# cannot fetch RustSec's), unpacked where deny.toml's db-path points and committed to a git
# repository dated as the snapshot (cargo deny reads the database's age from its HEAD).
advisory_db() {
  local snapshot=${ZAB_ADVISORY_DB:-}
  if [ -z "$snapshot" ]; then
    snapshot=$(ls ../shared/advisory-db-*.tar.gz 2>/dev/null | tail -n 1 || true)
  fi
  deny_offline=()
  [ -n "$snapshot" ] || return 0
  snapshot=$(realpath "$snapshot")
  local dbs=target/advisory-dbs
  # cargo deny keeps each database in a directory named after its URL's hash.
  local db="$dbs/advisory-db-3157b0e258782691"
  if [ "$(cat "$dbs/.from" 2>/dev/null)" != "$snapshot" ]; then
    step "advisory database from $snapshot"
    rm -rf "$dbs" && mkdir -p "$dbs"
    tar -xzf "$snapshot" -C "$dbs"
    mv "$dbs/advisory-db" "$db"
    local date
    date=$(find "$db" -type f -printf '%T@\n' | sort -n | tail -n 1 | cut -d. -f1)
    (cd "$db" && git init -q && git add -A &&
      GIT_AUTHOR_DATE="@$date" GIT_COMMITTER_DATE="@$date" \
        git -c user.name=snapshot -c user.email=snapshot@localhost commit -q -m snapshot)
    echo "$snapshot" > "$dbs/.from"
  fi
  export ZAB_ADVISORY_DBS="$root/$dbs"
  deny_offline=(--offline)
}

debian_packages
python_packages
cargo_tools
advisory_db

# --- 2. the workspace, built once -------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo deny check"
# Every platform's crates, so cargo metadata (which cargo deny runs) needs no network after.
cargo fetch --locked --quiet
cargo deny --locked "${deny_offline[@]}" check advisories bans licenses sources
step "cargo build --release --workspace --all-targets"
cargo build --release --workspace --all-targets --locked
step "cargo test --release --workspace"
cargo test --release --workspace --locked --no-fail-fast

# --- 3. deliberately wrong replicas and slow disks, on their own build --------------------
faults=(--release --locked --target-dir target/faults -p zab -p zab-refinement
        --features zab/faults,zab-refinement/faults)
step "cargo test ${faults[*]} --test faulty_replicas --test slow_disks --test chaos_faults --test large_state"
cargo test "${faults[@]}" --no-fail-fast --test faulty_replicas --test slow_disks \
  --test chaos_faults --test large_state
# The model's deliberately wrong steps, each caught on the property it breaks (own target
# directory too: the feature would otherwise reach the zab-model the Explorer step runs).
step "cargo test -p zab-model --features mutants --test mutants"
cargo test --release --locked --target-dir target/faults -p zab-model --features mutants \
  --test mutants

# --- 4. the Explorer in a browser ---------------------------------------------------------
step "the Explorer in headless Chromium"
scripts/explorer-in-chromium.sh target/release/zab-model target/explorer.png

# --- 5. habits ----------------------------------------------------------------------------
step "cargo clippy (release build's features, then the faults build's)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --workspace --all-targets --locked \
  --features zab/faults,zab-refinement/faults,zab-model/mutants \
  -- -D warnings
step "cargo doc"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --locked --quiet
step "cargo bench -- --test (each benchmark once)"
cargo bench --workspace --locked -- --test

step "every test and check passed"
