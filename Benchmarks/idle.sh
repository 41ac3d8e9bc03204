#!/usr/bin/env bash
# Idle cost: CPU seconds an `amosync serve` with an empty queue uses in SECONDS (default 60),
# read from /proc/PID/stat (utime + stime). `AMOSYNC_BIN=PATH` measures another build.
source "$(dirname "$0")/common.sh"
SECONDS_IDLE=${SECONDS_IDLE:-60}
start_fake 150
write_config idle 18086
"$BIN" serve --config "$WORK/idle.json" --log-level warning >"$WORK/idle.log" 2>&1 &
pid=$!
PIDS+=($pid)
wait_http 18086
sleep 5  # start-up work (account check, first index refresh) is not idle time
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
before=$(ticks)
sleep "$SECONDS_IDLE"
after=$(ticks)
hz=$(getconf CLK_TCK)
echo "idle ${SECONDS_IDLE}s: $(echo "scale=2; ($after - $before) / $hz" | bc) s CPU ($BIN)"
