#!/usr/bin/env bash
# Memory: peak RSS of `amosync serve` with 100,000 queued jobs, idle and then during 60 s of drain
# against the fake amoCRM (7 req/s, 150 ms latency).
source "$(dirname "$0")/common.sh"
JOBS=${JOBS:-100000}
DRAIN_SECONDS=${DRAIN_SECONDS:-60}
write_config memory 18082
"$BENCH" prefill --config "$WORK/memory.json" --jobs "$JOBS"
start_fake 150
"$BIN" serve --config "$WORK/memory.json" --log-level warning >"$WORK/memory.log" 2>&1 &
pid=$!
PIDS+=($pid)
wait_http 18082
rss() { awk '/^VmRSS/{print $2}' /proc/$pid/status; }
peak() { awk '/^VmHWM/{print $2}' /proc/$pid/status; }
echo "queued: $JOBS jobs; RSS after start: $(( $(rss) / 1024 )) MB"
for _ in $(seq "$DRAIN_SECONDS"); do sleep 1; done
done_count=$("$BIN" stats --json --config "$WORK/memory.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"]["done"])')
echo "after ${DRAIN_SECONDS}s of drain: $done_count delivered, RSS $(( $(rss) / 1024 )) MB, peak RSS $(( $(peak) / 1024 )) MB"
