#!/usr/bin/env bash
# Reload under load: wrk posts unique orders for 12 s (32 connections) while the daemon gets
# RELOADS (default 10) SIGHUPs, one a second; each reload swaps a changed config (a new tag).
# Reports non-2xx answers and socket errors during the run, whether every acknowledged order
# was stored, and how many reloads the log confirms. `AMOSYNC_BIN=PATH` measures another build.
source "$(dirname "$0")/common.sh"
need_wrk
RELOADS=${RELOADS:-10}
start_fake 150
write_config reload 18087
"$BIN" serve --config "$WORK/reload.json" --log-level info >"$WORK/reload.log" 2>&1 &
pid=$!
PIDS+=($pid)
wait_http 18087
wrk -t 2 -c 32 -d 12s --latency -s "$(dirname "$0")/intake.lua" "http://127.0.0.1:18087" >"$WORK/reload.wrk" &
wrk_pid=$!
sleep 1
for i in $(seq "$RELOADS"); do
  sed -i "s/\"tags\": \[[^]]*\]/\"tags\": [\"shop\", \"reload-$i\"]/" "$WORK/reload.json"
  kill -HUP "$pid"
  sleep 1
done
wait "$wrk_pid"
out="$WORK/reload.wrk"
acked=$(acknowledged "$out"); non2xx=$(wrk_field non2xx "$out"); errors=$(wrk_field socket_errors "$out")
kill -TERM "$pid"; wait "$pid" || true
stored=$(stored_jobs "$WORK/reload.json")
confirmed=$(grep -c "configuration reloaded" "$WORK/reload.log" || true)
echo "reload under load: wrk -t2 -c32 -d12s, $RELOADS SIGHUPs one a second; $(nproc) cores ($BIN)"
echo "| acknowledged | orders/s | p99 | non-2xx | socket errors | stored | reloads logged |"
echo "|---|---|---|---|---|---|---|"
printf '| %s | %.0f | %s ms | %s | %s | %s | %s |\n' "$acked" "$(echo "$acked / $(wrk_field duration_s "$out")" | bc -l)" \
  "$(wrk_field p99_ms "$out")" "$non2xx" "$errors" "$stored" "$confirmed"
