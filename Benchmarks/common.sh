# Shared by the benchmark scripts: release build, a fake amoCRM, a config in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product amosync >&2
swift build -c release --product amosync-bench >&2
# AMOSYNC_BIN=PATH measures another build (an earlier commit) with the same script.
BIN="${AMOSYNC_BIN:-$PWD/.build/release/amosync}"
# The fake amoCRM is the environment: this build's, whichever daemon is measured.
FAKE_BIN="${FAKE_BIN:-$PWD/.build/release/amosync}"
BENCH="$PWD/.build/release/amosync-bench"
WORK=$(mktemp -d /tmp/amosync-bench.XXXXXX)
PIDS=()
PG_STOP=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ ${#PG_STOP[@]} -gt 0 ]; then "${PG_STOP[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
TOKEN="bench-long-lived-token"
# SAME_CUSTOMER=1 / HOT_CUSTOMERS=N (intake.lua): one customer behind every order / 20 % of orders from N customers.
# DAEMON_TOKEN=wrong: the daemon's credentials are refused, so its worker stays paused (intake alone);
# CONCURRENCY=N: worker lanes (default 4, as the config's default).
DAEMON_TOKEN=${DAEMON_TOKEN:-$TOKEN}
FAKE_PORT=${FAKE_PORT:-18099}

start_fake() {  # start_fake LATENCY_MS
  "$FAKE_BIN" fake-amocrm --port "$FAKE_PORT" --token "$TOKEN" --latency-ms "$1" --log-level error >"$WORK/fake.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$FAKE_PORT/__fake/state" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "fake amoCRM did not start" >&2; exit 1
}

# A PostgreSQL server of the benchmark's own (Debian's postgresql package), durable as in production
# (fsync and synchronous_commit on), on PG_PORT; `postgres_database NAME` creates a database and prints its URL.
PG_PORT=${PG_PORT:-18432}
start_postgres() {
  command -v pg_ctlcluster >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql; }
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PG_AS=(); mkdir -p "$WORK/pg"; chmod 755 "$WORK"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$WORK/pg"; PG_AS=(runuser -u postgres --); fi
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -U amosync --auth=trust -E UTF8 >/dev/null
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -w -l "$WORK/pg/server.log" \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null
  PG_STOP=("${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast stop)
}
postgres_database() {
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U amosync "$1"
  echo "postgres://amosync@127.0.0.1:$PG_PORT/$1"
}

write_config() {  # write_config NAME PORT [DATABASE_URL]
  local database="\"path\": \"$WORK/$1.sqlite3\""
  if [ -n "${3:-}" ]; then database="\"url\": \"$3\""; fi
  cat >"$WORK/$1.json" <<JSON
{
  "server": { "host": "127.0.0.1", "port": $2 },
  "database": { $database },
  "amocrm": { "subdomain": "bench", "base_url": "http://127.0.0.1:$FAKE_PORT", "long_lived_token": "$DAEMON_TOKEN" },
  "intake": { "tokens": ["bench-intake-token-0123456789"] },
  "worker": { "concurrency": ${CONCURRENCY:-4} },
  "orders": {
    "pipeline_id": 3177727, "status_id": 32392159,
    "categories": { "40": { "pipeline_id": 23456, "status_id": 567890 } },
    "lead_fields": { "goods": "Товары", "delivery.name": "Доставка" }, "tags": ["shop"]
  }
}
JSON
}

wait_http() {  # wait_http PORT
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "daemon did not start" >&2; exit 1
}

need_wrk() { command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }; }

wrk_field() {  # wrk_field NAME FILE: a figure intake.lua's done() printed
  sed -n "s/^$1=//p" "$2"
}

acknowledged() {  # acknowledged FILE: answered 2xx (wrk's requests are answered ones; refused connections are socket errors)
  echo $(( $(wrk_field requests "$1") - $(wrk_field non2xx "$1") ))
}

peak_rss_mb() {  # peak_rss_mb PID: the process's peak resident memory (VmHWM) in MB
  echo $(( $(awk '/^VmHWM/{print $2}' "/proc/$1/status") / 1024 ))
}

stored_jobs() {  # stored_jobs CONFIG: every job in the queue, whatever its state
  "$BIN" stats --json --config "$1" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["jobs"].values()))'
}
