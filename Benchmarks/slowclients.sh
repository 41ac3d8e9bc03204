#!/usr/bin/env bash
# Slow and idle clients: CLIENTS connections send an unfinished request head and as many send
# nothing; HOLD seconds later, how many did the daemon close, and what did its memory do?
# Then the same against a daemon whose clients all went away. `AMOSYNC_BIN=PATH` measures
# another build with the same script (the defaults of server.*_timeout_seconds apply).
source "$(dirname "$0")/common.sh"
CLIENTS=${CLIENTS:-250}
HOLD=${HOLD:-20}
PORT=18085
write_config slow "$PORT"
"$BIN" serve --config "$WORK/slow.json" --log-level warning >"$WORK/slow.log" 2>&1 &
pid=$!
PIDS+=($pid)
wait_http "$PORT"
rss() { echo $(( $(awk '/^VmRSS/{print $2}' /proc/$pid/status) / 1024 )); }
fds() { ls /proc/$pid/fd | wc -l; }
echo "slow clients: $CLIENTS unfinished heads + $CLIENTS idle connections, held ${HOLD}s; $(nproc) cores; $BIN"
echo "RSS before: $(rss) MB, open fds $(fds)"
python3 - "$PORT" "$CLIENTS" "$HOLD" "$pid" <<'PY'
import os, select, socket, sys, time
port, clients, hold, pid = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def rss(): return int(next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS"))) // 1024
socks = []
for i in range(2 * clients):
    s = socket.create_connection(("127.0.0.1", port))
    if i % 2 == 0:
        s.sendall(b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")  # never finished
    socks.append(s)
open_ = set(socks)
start = time.monotonic()
peak, half = 0, None
while time.monotonic() - start < hold and open_:
    readable, _, _ = select.select(list(open_), [], [], 0.5)
    for s in readable:
        try:
            if not s.recv(4096): open_.discard(s)
        except OSError: open_.discard(s)
    peak = max(peak, rss())
    if half is None and time.monotonic() - start >= hold / 2: half = len(open_)
print(f"after {hold:.0f}s: {len(socks) - len(open_)} of {len(socks)} closed by the daemon ({half} still open at {hold/2:.0f}s); peak RSS while held {peak} MB")
for s in socks: s.close()
PY
sleep 2
echo "RSS 2 s after the clients left: $(rss) MB, open fds $(fds)"
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null && echo "healthz: ok"
