#!/usr/bin/python3
"""Bulk load for test_http_sched: N keep-alive connections that download
PATH again and again as fast as they can read, until STOP exists (or 60 s).
Optionally one reader that stops reading after its request (-stall) and one
that takes 1 KiB every 100 ms (-trickle).  Writes "ready" to READY once
every connection has received bytes, then at the end one line per fast
connection: "conn I BYTES" (bytes since "ready": the shares while every
connection was running) and "trickle_bytes B".

With -once the N connections are opened first, then all send their one
request at once, and each downloads PATH exactly once: the output is one
"done I SECONDS" per connection (seconds from the requests to its last
byte), "first_shares MIN MEAN" (body bytes of the least served connection
and the mean over all N when the first one completed: the floor share the
scheduler guarantees while it favours others) and "trickle_bytes B".
-slow=PATH2 gives the stalled and the trickling reader PATH2 instead (a
smaller file: the bytes left of their answers are the fewest, so a
scheduler that favours them must still not wait on them)."""
import os
import selectors
import socket
import sys
import time

host, port, path, n, ready, stop = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                    int(sys.argv[4]), sys.argv[5], sys.argv[6])
extra = sys.argv[7:]
ONCE = "-once" in extra
RCVBUF = int(os.environ.get("SCHED_RCVBUF", str(16 << 20)))
REQ = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode()
SLOW_REQ = REQ
for a in extra:
    if a.startswith("-slow="):
        SLOW_REQ = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a[6:], host)).encode()
sel = selectors.DefaultSelector()
buf = bytearray(1 << 18)
view = memoryview(buf)
big = bytearray(1 << 24)  # -once: MSG_TRUNC reads, nothing is copied into it


class Conn:
    def __init__(self, i):
        self.i = i
        self.s = socket.socket()
        # a large window: the server may hand each connection megabytes at
        # once, as it could to a fast client on a real link
        self.s.setsockopt(socket.SOL_SOCKET, 33, RCVBUF)  # SO_RCVBUFFORCE
        self.s.settimeout(10)
        self.s.connect((host, port))
        self.s.setblocking(False)
        self.total = 0  # body and head bytes, all responses
        self.at_ready = 0  # total when every connection had bytes
        self.left = None  # body bytes of the current response; None = in head
        self.head = b""
        self.body = 0  # body bytes of the first (-once: only) response
        self.done = None  # -once: seconds from the requests to the end
        if not ONCE:
            self.s.sendall(REQ)

    def on_read(self):
        # one read per wakeup: the client takes from every ready
        # connection alike, so the shares measure the server's fairness
        for _ in range(1):
            try:
                if ONCE and self.left:
                    # -once: the body is dropped in the kernel (no copy),
                    # so the server, not this reader, is what is measured,
                    # as with clients that each have their own CPU
                    k = self.s.recv_into(big, min(self.left, len(big)),
                                         socket.MSG_TRUNC)
                    if k:
                        self.total += k
                        self.left -= k
                        self.body += k
                        if self.left == 0:
                            self.left = None
                            self.done = time.monotonic() - t_start
                            on_done(self)
                        return
                else:
                    k = self.s.recv_into(buf)
            except BlockingIOError:
                return
            if k == 0:
                raise SystemExit("conn %d: closed by the server" % self.i)
            self.total += k
            data = view[:k]
            while len(data):
                if self.left is None:
                    self.head += bytes(data)
                    end = self.head.find(b"\r\n\r\n")
                    if end < 0:
                        return
                    for line in self.head[:end].split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            self.left = int(line.split(b":")[1])
                    data = memoryview(self.head[end + 4:])
                    self.head = b""
                    if self.left is None:
                        raise SystemExit("conn %d: no Content-Length" % self.i)
                take = min(self.left, len(data))
                self.left -= take
                self.body += take
                data = data[take:]
                if self.left == 0:
                    self.left = None
                    if ONCE:
                        self.done = time.monotonic() - t_start
                        on_done(self)
                        return
                    self.s.sendall(REQ)  # the next download, same connection


first_shares = None


def on_done(c):
    """-once: the first completion takes the snapshot of the shares; a
    finished connection leaves the selector."""
    global first_shares
    if first_shares is None:
        b = [x.body for x in conns]
        first_shares = (min(b), sum(b) / len(b))
    sel.unregister(c.s)


t_start = time.monotonic()
conns = [Conn(i) for i in range(n)]
for c in conns:
    sel.register(c.s, selectors.EVENT_READ, c)
stall = trickle = None
stalls = []
if "-stall" in extra:
    # SCHED_STALLS of them (default 1): more than a loop's slots makes
    # every slot holder a reader that never reads
    for _ in range(int(os.environ.get("SCHED_STALLS", "1"))):
        stall = socket.create_connection((host, port), timeout=10)
        stall.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stall.sendall(SLOW_REQ)
        stalls.append(stall)
if "-trickle" in extra:
    trickle = socket.create_connection((host, port), timeout=10)
    trickle.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    trickle.sendall(SLOW_REQ)
    trickle.setblocking(False)
if ONCE:
    # the slow readers first (their answers are queued ahead), then every
    # download's request at once: they start together
    time.sleep(0.2)
    t_start = time.monotonic()
    for c in conns:
        c.s.sendall(REQ)
trickle_bytes = 0
next_trickle = time.monotonic()
said_ready = False
t_end = time.monotonic() + 60
while time.monotonic() < t_end and not os.path.exists(stop):
    if ONCE and all(c.done is not None for c in conns):
        break
    for key, _ in sel.select(timeout=0.05):
        key.data.on_read()
    if trickle and time.monotonic() >= next_trickle:
        try:
            trickle_bytes += len(trickle.recv(1024))
        except BlockingIOError:
            pass
        next_trickle += 0.1
    if not said_ready and all(c.total > 0 for c in conns):
        for c in conns:
            c.at_ready = c.total
        with open(ready, "w") as f:
            f.write("ready\n")
        said_ready = True
for c in conns:
    if ONCE:
        print("done %d %s" % (c.i, "%.4f" % c.done if c.done is not None else "-"))
    else:
        print("conn %d %d" % (c.i, c.total - c.at_ready))
if ONCE and first_shares:
    print("first_shares %d %.0f" % first_shares)
if trickle:
    print("trickle_bytes %d" % trickle_bytes)
