#!/usr/bin/env bash
# An old queue (Tests/Fixtures/old-queue: 181 jobs of five customers written by the 2026-11-30
# build) drained by `amosync serve` into the fake amoCRM: contacts per customer afterwards and
# values sent that today's validation refuses. `AMOSYNC_BIN=PATH` measures another build.
source "$(dirname "$0")/common.sh"
PORT=18089
write_config oldq "$PORT"
python3 - "$WORK/oldq.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["forms"] = {"callback": {"pipeline_id": 3177727, "status_id": 32392160}, "profile": {"create_lead": False}}
json.dump(config, open(sys.argv[1], "w"))
PY
cp Tests/Fixtures/old-queue/queue-2026-11-30.sqlite3 "$WORK/oldq.sqlite3"
start_fake 0
"$BIN" serve --config "$WORK/oldq.json" --log-level warning >"$WORK/oldq.log" 2>&1 &
PIDS+=($!)
wait_http "$PORT"
for _ in $(seq 600); do
  left=$("$BIN" stats --json --config "$WORK/oldq.json" | python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"]; print(j["queued"]+j["running"])')
  [ "$left" = 0 ] && break
  sleep 0.5
done
echo "old queue drained by $BIN"
"$BIN" stats --json --config "$WORK/oldq.json" | python3 -c 'import json,sys; print("jobs:", json.load(sys.stdin)["jobs"])'
curl -fsS "http://127.0.0.1:$FAKE_PORT/__fake/state" | python3 -c '
import json, sys
contacts = json.load(sys.stdin)["contacts"]
by_name = {}
junk = 0
for c in contacts:
    by_name[c.get("name")] = by_name.get(c.get("name"), 0) + 1
    for field in c.get("custom_fields_values") or []:
        for v in field.get("values") or []:
            text = str(v.get("value"))
            if text == "+100000" or "\ufffd" in text: junk += 1
print("contacts per customer:", dict(sorted(by_name.items())))
print("values today'"'"'s validation refuses, on contacts:", junk)'
