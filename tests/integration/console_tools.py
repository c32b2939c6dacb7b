#!/usr/bin/python3
"""Clients for the console and event-stream tests (stdlib only).

  sse-check FILE                      the events in FILE (curl -N output) in
                                      order: prints one JSON array of them
  slow HOST PORT PATH SECONDS OUT     subscribe with a tiny receive buffer,
                                      read 2 KiB every 50 ms for SECONDS, then
                                      all for 2 s; writes {"ids":..,"dropped":..}
  dhcp-rtt HOST MAC CIADDR            a PXE REQUEST to HOST:4011; prints the
                                      seconds until the answer (-1: none in 2 s)
  hold HOST PORT PATH                 subscribe and never read (until killed)
  trickle HOST PORT PATH              subscribe and read 64 KiB every 100 ms
                                      (until killed): a slow subscriber
  flood HOST PORT PATH COUNT          COUNT keep-alive GETs of PATH
  slowget HOST PORT PATH RATE OUT     download PATH at RATE bytes/s with a
                                      small receive buffer (a slow machine)
"""
import json
import socket
import struct
import sys
import time


def parse_sse(text):
    events, ev, data = [], "message", []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line == "":
            if data:
                events.append({"event": ev, "data": json.loads("\n".join(data))})
            ev, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            ev = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    return events


def connect(host, port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((host, int(port)))
    return s


def get_head(host, path, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n"
            % (path, host, extra)).encode()


def main():
    cmd = sys.argv[1]
    if cmd == "sse-check":
        with open(sys.argv[2], encoding="utf-8", errors="strict") as f:
            print(json.dumps(parse_sse(f.read())))
    elif cmd == "trickle":
        host, port, path = sys.argv[2:5]
        s = connect(host, port, rcvbuf=4096)
        s.sendall(get_head(host, path))
        while s.recv(65536):
            time.sleep(0.1)
    elif cmd == "slow" or cmd == "hold":
        host, port, path = sys.argv[2:5]
        s = connect(host, port, rcvbuf=4096)
        s.sendall(get_head(host, path))
        if cmd == "hold":
            while True:
                time.sleep(60)
        buf = b""
        end = time.time() + float(sys.argv[5])
        while time.time() < end:
            buf += s.recv(2048)
            time.sleep(0.05)
        s.settimeout(2)
        end = time.time() + 2
        while time.time() < end:
            try:
                d = s.recv(1 << 20)
            except socket.timeout:
                break
            if not d:
                break
            buf += d
        text = buf.split(b"\r\n\r\n", 1)[-1].decode("utf-8", "replace")
        # the last message may be cut: keep whole ones
        text = text[:text.rfind("\n\n") + 2] if "\n\n" in text else ""
        evs = parse_sse(text)
        ids = [e["data"]["seq"] for e in evs if e["event"] == "message"]
        dropped = [e["data"]["dropped"] for e in evs if e["event"] == "dropped"]
        with open(sys.argv[6], "w") as f:
            json.dump({"ids": ids, "dropped": dropped}, f)
    elif cmd == "dhcp-rtt":
        host, mac, ciaddr = sys.argv[2:5]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        u.bind(("0.0.0.0", 68))
        u.settimeout(2)
        xid = 0x5eed1234
        vendor = b"PXEClient:Arch:00000:UNDI:002001"
        pkt = (struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0,
                           socket.inet_aton(ciaddr), bytes(4), bytes(4), bytes(4),
                           bytes.fromhex(mac.replace(":", "")) + bytes(10),
                           bytes(64), bytes(128))
               + b"\x63\x82\x53\x63" + bytes([53, 1, 3, 60, len(vendor)]) + vendor
               + bytes([93, 2, 0, 0, 97, 17, 0]) + bytes(range(16)) + b"\xff")
        t0 = time.time()
        u.sendto(pkt, (host, 4011))
        try:
            while True:
                d, _ = u.recvfrom(4096)
                if len(d) > 8 and struct.unpack("!I", d[4:8])[0] == xid:
                    print("%.4f" % (time.time() - t0))
                    break
        except socket.timeout:
            print("-1")
    elif cmd == "flood":
        host, port, path, count = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
        s = connect(host, port)
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode()
        f = s.makefile("rb")
        done = 0
        for _ in range(count):
            s.sendall(req)
            length = 0
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            f.read(length)
            done += 1
        print(done)
    elif cmd == "slowget":
        host, port, path, rate, out = sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6]
        s = connect(host, port, rcvbuf=8192)
        s.sendall(get_head(host, path))
        got, t0 = 0, time.time()
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += len(d)
            ahead = got / rate - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
        with open(out, "w") as f:
            f.write(str(got))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
