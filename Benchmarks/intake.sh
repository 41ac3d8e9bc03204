#!/usr/bin/env bash
# Intake throughput: wrk, 32 keep-alive connections posting unique orders for 10 s, against
# `amosync serve` (release build), with group commit and with one commit per request.
# Afterwards every acknowledged order must be in the queue. POSTGRES=1 adds the queue on PostgreSQL
# (a durable server of its own on loopback, in the same run).
source "$(dirname "$0")/common.sh"
need_wrk
DURATION=${DURATION:-10s}
start_fake 150

run() {  # run NAME BATCH_LIMIT PORT [DATABASE_URL]
  write_config "$1" "$3" "${4:-}"
  "$BIN" serve --config "$WORK/$1.json" --intake-batch-limit "$2" --log-level warning >"$WORK/$1.log" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  wait_http "$3"
  wrk -t 2 -c 32 -d "$DURATION" --latency -s "$(dirname "$0")/intake.lua" "http://127.0.0.1:$3" >"$WORK/$1.wrk"
  local out="$WORK/$1.wrk" non2xx errors p50 p99 seconds stored acked
  non2xx=$(wrk_field non2xx "$out"); errors=$(wrk_field socket_errors "$out"); seconds=$(wrk_field duration_s "$out")
  p50=$(wrk_field p50_ms "$out"); p99=$(wrk_field p99_ms "$out"); acked=$(acknowledged "$out")
  kill -TERM "$pid"; wait "$pid" || true
  stored=$(stored_jobs "$WORK/$1.json")
  local verdict="yes"; [ "$stored" -ge "$acked" ] || verdict="NO"
  printf '| %s | %s | %.0f | %s ms | %s ms | %s | %s | %s |\n' "$1" "$acked" "$(echo "$acked / $seconds" | bc -l)" "$p50" "$p99" "$((non2xx + errors))" "$stored" "$verdict"
}

echo "intake: wrk -t2 -c32 -d$DURATION, unique orders; $(nproc) cores"
echo "| mode | acknowledged | orders/s | p50 | p99 | errors | stored | every acknowledged order stored |"
echo "|---|---|---|---|---|---|---|---|"
run group-commit 512 18080
run one-commit-per-request 1 18081
if [ "${POSTGRES:-0}" = 1 ]; then
  start_postgres
  run group-commit-postgresql 512 18082 "$(postgres_database intake_group)"
  run one-commit-per-request-postgresql 1 18083 "$(postgres_database intake_single)"
fi
