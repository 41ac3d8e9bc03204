#!/usr/bin/env bash
# The drain with the queue in SQLite and on PostgreSQL, same machine, same run: `amosync-bench drain`
# (fake amoCRM at 7 req/s, 150 ms latency) once with a SQLite file, once with a durable PostgreSQL
# server of its own on loopback. ORDERS (3000) and any extra flags (FLAGS, e.g. "--features all").
source "$(dirname "$0")/common.sh"
ORDERS=${ORDERS:-3000}
start_postgres
"$BENCH" drain --orders "$ORDERS" --naive-orders 0 ${FLAGS:-}
"$BENCH" drain --orders "$ORDERS" ${FLAGS:-} --database-url "$(postgres_database drain)"
