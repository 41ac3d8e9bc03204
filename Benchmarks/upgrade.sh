#!/usr/bin/env bash
# Restarts under load, as an upgrade does them (the package's postinst: `systemctl try-restart
# amosync`): wrk posts unique orders on 32 connections for DURATION; after RESTART_AFTER seconds
# the daemon is stopped (SIGTERM, graceful) and started again. Twice:
#   own-socket:  the daemon binds its port itself (no amosync.socket): the port is closed between
#                the two processes;
#   held-socket: Benchmarks/socket-holder.py holds the port as systemd's amosync.socket does and
#                passes it to each process (LISTEN_FDS): connections wait in its backlog.
source "$(dirname "$0")/common.sh"
need_wrk
DURATION=${DURATION:-12s}
RESTART_AFTER=${RESTART_AFTER:-4}
start_fake 150

post() {  # post NAME PORT: wrk in the background, its pid in WRK_PID
  AMOSYNC_BENCH_PREFIX="$1-" wrk -t 2 -c 32 -d "$DURATION" --timeout 10s --latency -s "$(dirname "$0")/intake.lua" \
    "http://127.0.0.1:$2" >"$WORK/$1.wrk" &
  WRK_PID=$!
}

report() {  # report NAME
  local out="$WORK/$1.wrk" acked stored verdict
  acked=$(acknowledged "$out"); stored=$(stored_jobs "$WORK/$1.json")
  verdict="yes"; [ "$stored" -ge "$acked" ] || verdict="NO"
  printf '| %s | %s | %s | %s | %s | %s | %s ms | %s | %s |\n' "$1" "$acked" "$(wrk_field connect_errors "$out")" \
    "$(wrk_field read_errors "$out")/$(wrk_field write_errors "$out")" "$(wrk_field timeouts "$out")" "$(wrk_field non2xx "$out")" \
    "$(wrk_field max_ms "$out")" "$stored" "$verdict"
}

own_socket() {  # own_socket NAME PORT
  write_config "$1" "$2"
  "$BIN" serve --config "$WORK/$1.json" --log-level warning >"$WORK/$1.log" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  wait_http "$2"
  post "$1" "$2"
  sleep "$RESTART_AFTER"
  kill -TERM "$pid"; wait "$pid" || true
  "$BIN" serve --config "$WORK/$1.json" --log-level warning >>"$WORK/$1.log" 2>&1 &
  pid=$!
  PIDS+=($pid)
  wait "$WRK_PID"
  kill -TERM "$pid"; wait "$pid" || true
  report "$1"
}

held_socket() {  # held_socket NAME PORT
  write_config "$1" "$2"
  python3 "$(dirname "$0")/socket-holder.py" "$2" "$BIN" serve --config "$WORK/$1.json" --log-level warning >"$WORK/$1.log" 2>&1 &
  local holder=$!
  PIDS+=($holder)
  wait_http "$2"
  post "$1" "$2"
  sleep "$RESTART_AFTER"
  kill -HUP "$holder"
  wait "$WRK_PID"
  kill -TERM "$holder"; wait "$holder" || true
  report "$1"
}

echo "restart under load: wrk -t2 -c32 -d$DURATION --timeout 10s, unique orders, one restart after ${RESTART_AFTER}s; $(nproc) cores"
echo "| mode | acknowledged | refused connects | read/write errors | timeouts | non-2xx | max latency | stored | every acknowledged order stored |"
echo "|---|---|---|---|---|---|---|---|---|"
own_socket own-socket 18180
held_socket held-socket 18181
