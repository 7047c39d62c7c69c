#!/usr/bin/env bash
# Opens the model's Explorer in headless Chromium, checks that the rendered page shows the
# initial state (every server LOOKING), and saves a screenshot.
# Usage: scripts/explorer-in-chromium.sh [path/to/zab-model] [screenshot.png]
set -euo pipefail
bin=${1:-target/release/zab-model}
shot=${2:-target/explorer.png}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$bin" explore --port "$port" >/dev/null 2>&1 &
pid=$!
profile=$(mktemp -d)
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$profile"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
url="http://127.0.0.1:$port/#/steps/0"
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --virtual-time-budget=5000)
dom=$(timeout 60 chromium "${flags[@]}" --dump-dom "$url" 2>/dev/null)
timeout 60 chromium "${flags[@]}" --window-size=1400,900 --screenshot="$shot" "$url" >/dev/null 2>&1
looking=$(grep -o 's[123] LOOKING' <<<"$dom" | sort -u | wc -l)
if [ "$looking" -ne 3 ]; then
  echo "explorer: rendered page does not show the initial state (every server LOOKING)" >&2
  grep -o 's[0-9] [A-Z]*' <<<"$dom" | head >&2 || true
  exit 1
fi
[ -s "$shot" ] || { echo "explorer: no screenshot" >&2; exit 1; }
echo "explorer: initial state rendered in Chromium (3 servers LOOKING); screenshot $shot"
