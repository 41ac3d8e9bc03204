#!/usr/bin/env python3
"""Holds a listening socket the way systemd's amosync.socket does, for Benchmarks/upgrade.sh on
machines without systemd: binds 127.0.0.1:PORT, runs COMMAND with the socket as fd 3 and
LISTEN_FDS=1, LISTEN_PID=<its pid>. SIGHUP restarts the command as `systemctl restart` does
(SIGTERM, wait for the exit, start again) while the socket stays open; SIGTERM stops both.

    socket-holder.py PORT COMMAND...
"""
import os
import signal
import socket
import subprocess
import sys

port, command = int(sys.argv[1]), sys.argv[2:]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(4096)
if listener.fileno() != 3:
    os.dup2(listener.fileno(), 3)
os.set_inheritable(3, True)


SIGNALS = {signal.SIGHUP, signal.SIGTERM}


def start():
    # LISTEN_PID must be the service's own pid: the shell exports its pid, then execs in place.
    wrapper = 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"'
    return subprocess.Popen(
        ["sh", "-c", wrapper, "sh", *command], pass_fds=(3,),
        preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS))


signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
child = start()
while True:
    received = signal.sigwait(SIGNALS)
    child.send_signal(signal.SIGTERM)
    child.wait()
    if received == signal.SIGTERM:
        break
    child = start()
    print(f"socket-holder: restarted, pid {child.pid}", file=sys.stderr, flush=True)
