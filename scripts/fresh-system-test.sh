#!/usr/bin/env bash
# The README's two commands on a fresh Debian system: a minimal bookworm made with debootstrap
# (no Python, no Java, no browser), this machine's rustup toolchain and cargo home
# bind-mounted (Debian's own rustc is older than the workspace's rust-version) with the C
# linker rustup needs (gcc), and a clean clone of this checkout's HEAD, with ../shared beside
# it when this checkout has one.
# First the Explorer (`cargo run --release -p zab-model -- explore`, fetched once over HTTP and
# stopped), then the test command (`scripts/test.sh`), which must install everything else.
#
#   scripts/fresh-system-test.sh [DIR]      (as root; DIR defaults to /var/tmp/zab-fresh)
#
# Only the machine's own network settings are copied in: its resolver, and the CA certificates
# and pip configuration its egress proxy needs (they belong to the machine, not the project).
# A chroot made earlier in DIR is reused as it was made (delete DIR for a new one).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "fresh-system-test: run as root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-system-test: apt-get install debootstrap" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/var/tmp/zab-fresh}
root="$dir/root"
mounts=()

cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { # bind SRC DST [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts+=("$2")
  [ "${3:-}" != ro ] || mount -o remount,bind,ro "$2"
}

if [ ! -x "$root/usr/bin/gcc" ]; then
  echo "== debootstrap --variant=minbase --include=gcc,libc6-dev bookworm $root"
  debootstrap --variant=minbase --include=gcc,libc6-dev bookworm "$root" \
    http://deb.debian.org/debian >/dev/null
fi

# The machine's network settings.
cp /etc/resolv.conf "$root/etc/resolv.conf"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
mkdir -p "$root/usr/local/share/ca-certificates" "$root/etc/ssl/certs"
cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"
bind /dev/pts "$root/dev/pts"
bind /dev/shm "$root/dev/shm"
bind "${RUSTUP_HOME:-$HOME/.rustup}" "$root/root/.rustup" ro
bind "${CARGO_HOME:-$HOME/.cargo}" "$root/root/.cargo"

# A clean clone, and ../shared beside it.
rm -rf "$root/root/zab-rs"
mkdir -p "$root/root/zab-rs"
git clone --quiet "$repo" "$root/root/zab-rs/main"
[ -d "$repo/../shared" ] && bind "$repo/../shared" "$root/root/zab-rs/shared" ro

in_chroot() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    /bin/bash -c "cd /root/zab-rs/main && $1"
}

echo "== command 1: cargo run --release -p zab-model -- explore"
in_chroot '
  cargo run --quiet --release -p zab-model -- explore --port 3999 >/tmp/explore.log 2>&1 &
  pid=$!
  for _ in $(seq 1 900); do
    if { exec 3<>/dev/tcp/127.0.0.1/3999; } 2>/dev/null; then break; fi
    kill -0 "$pid" 2>/dev/null || { echo "explore exited"; cat /tmp/explore.log; exit 1; }
    sleep 1
  done
  printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
  page=$(cat <&3)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  head -1 <<<"$page"
  grep -q -i "<html" <<<"$page" || { echo "explore: no page"; cat /tmp/explore.log; exit 1; }
  echo "explore: served its page on 127.0.0.1:3999"
'

echo "== command 2: scripts/test.sh"
time in_chroot 'scripts/test.sh'
