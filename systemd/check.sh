#!/usr/bin/env bash
# Checks the units: `systemd-analyze verify` must be silent and the offline security
# exposure must be 2.0 or lower. Skipped (with a note) where systemd-analyze is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd/check.sh: systemd-analyze not found, unit checks skipped"
  exit 0
fi
binary="$PWD/.build/debug/amosync"
[ -x "$binary" ] || { echo "systemd/check.sh: build first ($binary missing)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in amosync.service amosync@.service amosync.socket; do
  sed "s#/usr/local/bin/amosync#$binary#" "systemd/$unit" >"$tmp/$unit"
done
cp "$tmp/amosync@.service" "$tmp/amosync@ci.service"
# Verified together: the socket names its service, the service wants its socket.
out=$(systemd-analyze verify --man=no "$tmp/amosync.socket" "$tmp/amosync.service" "$tmp/amosync@ci.service" 2>&1 || true)
if [ -n "$out" ]; then echo "systemd-analyze verify:"; echo "$out"; exit 1; fi
echo "systemd: amosync.socket, amosync.service, amosync@.service verify ok"
for unit in amosync.service amosync@.service; do
  exposure=$(systemd-analyze security --offline=true "systemd/$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
  if ! awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }'; then
    echo "systemd-analyze security $unit: exposure ${exposure:-unknown} is above 2.0"; exit 1
  fi
  echo "systemd/$unit: exposure $exposure"
done
