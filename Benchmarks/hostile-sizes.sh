#!/usr/bin/env bash
# What a huge answer or a huge config costs: the daemon's peak RSS (VmHWM) when amoCRM's address
# answers the contact index's read (and then a `leads/complex`) with ANSWER_MB megabytes, and
# `serve`'s peak RSS with a config of CONFIG_MB megabytes (a catalog of millions of SKUs).
# `AMOSYNC_BIN=PATH` measures another build; the fake amoCRM is this build's.
source "$(dirname "$0")/common.sh"
ANSWER_MB=${ANSWER_MB:-400}
CONFIG_MB=${CONFIG_MB:-100}
PORT=18087
echo "hostile sizes: a ${ANSWER_MB} MB answer, a ${CONFIG_MB} MB config; $BIN"
start_fake 0
# A contact in the account: an empty list is answered 204 without a body, which has nothing to pad.
curl -fsS -X POST "http://127.0.0.1:$FAKE_PORT/__fake/contacts" -d '{"name": "Someone", "phones": ["+79990000000"]}' >/dev/null
padding=$((ANSWER_MB * 1024 * 1024))
curl -fsS -X POST "http://127.0.0.1:$FAKE_PORT/__fake/faults" \
  -d "{\"oversize\": {\"GET /api/v4/contacts\": $padding, \"POST /api/v4/leads/complex\": $padding}}" >/dev/null
write_config sizes "$PORT"
"$BIN" serve --config "$WORK/sizes.json" --log-level warning >"$WORK/sizes.log" 2>&1 &
pid=$!
PIDS+=($pid)
wait_http "$PORT"
curl -fsS -X POST "http://127.0.0.1:$PORT/v1/orders" -H "Authorization: Bearer bench-intake-token-0123456789" \
  -H "Content-Type: application/json" -d '{"id":"big-1","customer":{"phone":"89120000001"},"total":100}' >/dev/null
# Both oversized answers given (the fake's request log shows a complex request), then a little time to read them.
for _ in $(seq 600); do
  curl -fsS "http://127.0.0.1:$FAKE_PORT/__fake/summary" | grep -q '"POST /api/v4/leads/complex"' && break
  sleep 0.5
done
sleep 5
alive=$(kill -0 "$pid" 2>/dev/null && echo "running" || echo "exited")
first=$("$BIN" jobs show 1 --json --config "$WORK/sizes.json" | python3 -c 'import json,sys; a=json.load(sys.stdin).get("attempt_log") or [{}]; print(a[0].get("error") or a[0].get("outcome"))')
echo "answer of ${ANSWER_MB} MB: daemon peak RSS $(peak_rss_mb "$pid") MB ($alive); the order's first attempt: $first"
[ -n "${VERBOSE:-}" ] && { cat "$WORK/sizes.log"; curl -fsS "http://127.0.0.1:$FAKE_PORT/__fake/summary"; echo; }
kill "$pid" 2>/dev/null || true
python3 - "$WORK/big.json" "$WORK/big.sqlite3" "$CONFIG_MB" <<'PY'
import json, sys
path, db, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
skus, size, i = [], 0, 0
while size < mb * 1024 * 1024:
    entry = f'"SKU-{i:09d}": [40, 12, 3]'
    skus.append(entry); size += len(entry) + 1; i += 1
open(path, "w").write('{"database": {"path": "' + db + '"}, "amocrm": {"subdomain": "bench", "long_lived_token": "t"}, '
                      '"intake": {"tokens": ["bench-intake-token-0123456789"]}, "server": {"port": 18088, "metrics": "off"}, '
                      '"orders": {}, "catalog": {"skus": {' + ",".join(skus) + '}}}')
PY
"$BIN" serve --config "$WORK/big.json" --log-level warning >"$WORK/big.log" 2>&1 &
pid=$!
PIDS+=($pid)
peak=0
for _ in $(seq 1200); do
  kill -0 "$pid" 2>/dev/null || break
  peak=$(peak_rss_mb "$pid" 2>/dev/null || echo "$peak")
  curl -fsS "http://127.0.0.1:18088/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
state=$(kill -0 "$pid" 2>/dev/null && echo "started" || echo "refused: $(head -c 200 "$WORK/big.log" | tr '\n' ' ')")
echo "config of $(($(stat -c %s "$WORK/big.json") / 1048576)) MB: serve peak RSS $peak MB, $state"
