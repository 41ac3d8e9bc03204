#!/usr/bin/env bash
# Shutdown under load: ROUNDS times, start `amosync serve` with a backlog against the fake amoCRM
# (150 ms latency), post orders with wrk, send SIGTERM at a random moment while wrk is still
# running, and time the exit. Reports the exit codes and the slowest exit; every acknowledged
# order must be stored. Looks for the hang seen once after SIGTERM (see docs/benchmarks.md).
source "$(dirname "$0")/common.sh"
need_wrk
ROUNDS=${ROUNDS:-30}
start_fake 150
write_config shutdown 18083
"$BENCH" prefill --config "$WORK/shutdown.json" --jobs 20000 >/dev/null
slowest=0; failures=0; acked=0
echo "shutdown: $ROUNDS rounds, 20,000-job backlog, wrk -t2 -c32 posting orders, SIGTERM after 1-3 s"
for round in $(seq "$ROUNDS"); do
  "$BIN" serve --config "$WORK/shutdown.json" --log-level warning >>"$WORK/shutdown.log" 2>&1 &
  pid=$!
  wait_http 18083
  AMOSYNC_BENCH_PREFIX="r$round-" wrk -t 2 -c 32 -d 5s -s "$(dirname "$0")/intake.lua" "http://127.0.0.1:18083" >"$WORK/round.wrk" 2>&1 &
  load=$!
  sleep "$(( (RANDOM % 3) + 1 )).$(( RANDOM % 10 ))"
  start=$(date +%s%N)
  kill -TERM "$pid"
  rc=0; wait "$pid" || rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  wait "$load" 2>/dev/null || true
  acked=$((acked + $(acknowledged "$WORK/round.wrk")))
  [ "$ms" -gt "$slowest" ] && slowest=$ms
  if [ "$rc" -ne 0 ] || [ "$ms" -gt 10000 ]; then
    failures=$((failures + 1))
    echo "round $round: exit $rc after $ms ms"
  fi
done
stored=$(( $(stored_jobs "$WORK/shutdown.json") - 20000 ))
verdict="yes"; [ "$stored" -ge "$acked" ] || verdict="NO"
echo "rounds: $ROUNDS, slow or failed exits: $failures, slowest exit: $slowest ms"
echo "orders acknowledged: $acked, stored: $stored, every acknowledged order stored: $verdict"
