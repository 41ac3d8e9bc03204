#!/usr/bin/env bash
# Intake throughput: wrk, 32 keep-alive connections posting unique orders for 10 s, against
# `amosync serve` (release build), with group commit and with one commit per request.
# Afterwards every acknowledged order must be in the queue.
source "$(dirname "$0")/common.sh"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
DURATION=${DURATION:-10s}
start_fake 150

run() {  # run NAME BATCH_LIMIT PORT
  write_config "$1" "$3"
  "$BIN" serve --config "$WORK/$1.json" --intake-batch-limit "$2" --log-level warning >"$WORK/$1.log" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  wait_http "$3"
  wrk -t 2 -c 32 -d "$DURATION" --latency -s "$(dirname "$0")/intake.lua" "http://127.0.0.1:$3" >"$WORK/$1.wrk"
  local requests non2xx errors p50 p99 seconds stored
  requests=$(sed -n 's/^requests=//p' "$WORK/$1.wrk"); non2xx=$(sed -n 's/^non2xx=//p' "$WORK/$1.wrk")
  errors=$(sed -n 's/^socket_errors=//p' "$WORK/$1.wrk"); seconds=$(sed -n 's/^duration_s=//p' "$WORK/$1.wrk")
  p50=$(sed -n 's/^p50_ms=//p' "$WORK/$1.wrk"); p99=$(sed -n 's/^p99_ms=//p' "$WORK/$1.wrk")
  local acked=$((requests - non2xx))  # wrk's requests are answered ones; socket errors are not among them
  kill -TERM "$pid"; wait "$pid" || true
  stored=$("$BIN" stats --json --config "$WORK/$1.json" | python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"]; print(sum(j.values()))')
  local verdict="yes"; [ "$stored" -ge "$acked" ] || verdict="NO"
  printf '| %s | %s | %.0f | %s ms | %s ms | %s | %s | %s |\n' "$1" "$acked" "$(echo "$acked / $seconds" | bc -l)" "$p50" "$p99" "$((non2xx + errors))" "$stored" "$verdict"
}

echo "intake: wrk -t2 -c32 -d$DURATION, unique orders; $(nproc) cores"
echo "| mode | acknowledged | orders/s | p50 | p99 | errors | stored | every acknowledged order stored |"
echo "|---|---|---|---|---|---|---|---|"
run group-commit 512 18080
run one-commit-per-request 1 18081
