#!/usr/bin/env bash
# One address floods: FLOOD keep-alive connections from 127.0.0.1 that trickle a byte of an
# unfinished request head every 2 s; meanwhile ORDERS good orders are posted, one at a time, from
# another address (127.0.0.2). Reports how many flood connections the daemon kept, and each good
# order's answer and latency. `AMOSYNC_BIN=PATH` measures another build with the same script.
source "$(dirname "$0")/common.sh"
FLOOD=${FLOOD:-600}
ORDERS=${ORDERS:-50}
PORT=18086
write_config flood "$PORT"
start_fake 0
"$BIN" serve --config "$WORK/flood.json" --log-level warning >"$WORK/flood.log" 2>&1 &
PIDS+=($!)
wait_http "$PORT"
echo "connection flood: $FLOOD trickling connections from 127.0.0.1, $ORDERS orders from 127.0.0.2; $(nproc) cores; $BIN"
python3 - "$PORT" "$FLOOD" "$ORDERS" <<'PY'
import json, socket, statistics, sys, threading, time
port, flood, orders = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held, stop = [], threading.Event()
for _ in range(flood):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nX-Pad: ")
        held.append(s)
    except OSError:
        pass
def trickle():
    while not stop.is_set():
        for s in list(held):
            try: s.send(b"a")
            except OSError: held.remove(s)
        stop.wait(2)
threading.Thread(target=trickle, daemon=True).start()
time.sleep(1)
answers, latencies = {}, []
for i in range(orders):
    body = json.dumps({"id": f"flood-{i}-{time.time()}", "customer": {"phone": f"8912{i:07d}"}, "total": 100}).encode()
    request = (b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bench-intake-token-0123456789\r\n"
               b"Content-Type: application/json\r\nConnection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    start = time.monotonic()
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=("127.0.0.2", 0))
        c.sendall(request)
        data = c.recv(4096)
        status = data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else ("reset" if not data else "garbage")
        c.close()
    except OSError as error:
        status = type(error).__name__
    latencies.append((time.monotonic() - start) * 1000)
    answers[status] = answers.get(status, 0) + 1
alive = 0
for s in held:
    try:
        s.setblocking(False)
        alive += 0 if s.recv(1) == b"" else 1
    except BlockingIOError: alive += 1
    except OSError: pass
stop.set()
latencies.sort()
print(f"flood connections still open after the orders: {alive} of {flood}")
print(f"good orders from another address: {answers}; latency p50 {statistics.median(latencies):.1f} ms, max {latencies[-1]:.1f} ms")
PY
