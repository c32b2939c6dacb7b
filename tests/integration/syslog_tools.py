#!/usr/bin/python3
"""Helpers for the syslog_stifler integration tests.

  compare OUT EXPECT --host H --procid P --since T0
        OUT: rsyslog's JSON lines (one event each, structured data parsed by
        mmpstrucdata); EXPECT: JSON lines {"msgid":..,"sd":{..},"msg":[..]}.
        Events must come in EXPECT's order, each with exactly the SD
        parameters listed ("*" = any value, "?" = may be absent) and MSG containing
        every string of "msg".  Prints one line per problem; exit 1 if any.
  octets PCAP PORT
        every TCP stream to PORT in PCAP (decoded by tshark) must be a run of
        RFC 6587 octet-counted frames "LEN SP MSG"; prints the frame count.
  stall PORT SECONDS READY_FILE
        accept TCP connections on 127.0.0.1:PORT and never read (tiny
        receive buffer), until SECONDS passed.
  tlsstall PORT SECONDS READY_FILE CERT KEY
        a TLS collector on 127.0.0.1:PORT that reads nothing for SECONDS
        (tiny receive buffer), then reads until 2 s pass without data; the
        stream must be whole RFC 5425 octet-counted frames: prints the
        frame count, or the first broken frame (exit 1).
  udprecv PORT SECONDS READY_FILE
        receive syslog datagrams on 127.0.0.1:PORT for SECONDS; print the
        distinct script_served MACs, one a line.
  dhcp_rtt HOST COUNT
        COUNT PXE REQUESTs to HOST:4011 one after the other (distinct MACs);
        prints "median_ms p95_ms max_ms answered".
  boot_load HOST PORT COUNT SECONDS
        GET /boot.ipxe COUNT times over keep-alive HTTP/1.1 connections;
        prints the number answered 200.
"""
import datetime
import http.client
import json
import os
import socket
import subprocess
import sys
import time

SD_ID = "pxehub@32473"


def cmd_compare(a):
    out, exp = a[0], a[1]
    host = procid = None
    since = 0.0
    i = 2
    while i < len(a):
        if a[i] == "--host":
            host = a[i + 1]
        elif a[i] == "--procid":
            procid = a[i + 1]
        elif a[i] == "--since":
            since = float(a[i + 1])
        i += 2
    got = []
    for line in open(out, encoding="utf-8", errors="replace"):
        line = line.strip()
        if line:
            got.append(json.loads(line))
    want = [json.loads(line) for line in open(exp) if line.strip()]
    got = [g for g in got if g.get("msgid") not in ("server", "plugin")]
    bad = []
    if [g.get("msgid") for g in got] != [w["msgid"] for w in want]:
        bad.append("msgids %s, expected %s" % ([g.get("msgid") for g in got],
                                                [w["msgid"] for w in want]))
    now = time.time()
    for n, (g, w) in enumerate(zip(got, want)):
        where = "event %d (%s)" % (n + 1, w["msgid"])
        if g.get("app") != "pxehub":
            bad.append("%s: APP-NAME %r" % (where, g.get("app")))
        if host and g.get("host") != host:
            bad.append("%s: HOSTNAME %r" % (where, g.get("host")))
        if procid and g.get("procid") != procid:
            bad.append("%s: PROCID %r" % (where, g.get("procid")))
        if str(g.get("pri")) != str(w.get("pri", 134)):
            bad.append("%s: PRI %r" % (where, g.get("pri")))
        try:
            ts = datetime.datetime.fromisoformat(g["ts"].replace("Z", "+00:00"))
            t = ts.timestamp()
            if not since - 1 <= t <= now + 1:
                bad.append("%s: TIMESTAMP %s outside the test" % (where, g["ts"]))
        except (KeyError, ValueError) as e:
            bad.append("%s: TIMESTAMP %r: %s" % (where, g.get("ts"), e))
        sd = g.get("sd")
        if not isinstance(sd, dict) or SD_ID not in sd:
            bad.append("%s: no [%s] parsed: %r" % (where, SD_ID, g))
            continue
        params = sd[SD_ID]
        for k, v in w.get("sd", {}).items():
            if v == "?":
                continue
            if k not in params:
                bad.append("%s: %s missing" % (where, k))
            elif v != "*" and params[k] != v:
                bad.append("%s: %s=%r, expected %r" % (where, k, params[k], v))
        extra = set(params) - set(w.get("sd", {}))
        if extra:
            bad.append("%s: unexpected parameters %s" % (where, sorted(extra)))
        for s in w.get("msg", []):
            if s not in g.get("msg", ""):
                bad.append("%s: MSG %r lacks %r" % (where, g.get("msg"), s))
    for b in bad:
        print(b)
    print("%d events compared, %d problems" % (min(len(got), len(want)), len(bad)))
    return 1 if bad else 0


def cmd_octets(a):
    pcap, port = a[0], int(a[1])
    r = subprocess.run(["tshark", "-r", pcap, "-Y", "tcp.dstport == %d && tcp.len > 0" % port,
                        "-T", "fields", "-e", "tcp.stream", "-e", "tcp.seq", "-e", "tcp.payload"],
                       capture_output=True, text=True, check=True)
    streams = {}
    for line in r.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2]:
            continue
        streams.setdefault(parts[0], {})[int(parts[1])] = bytes.fromhex(parts[2].replace(":", ""))
    frames = 0
    for sid, segs in streams.items():
        n = count_frames(sid, b"".join(segs[k] for k in sorted(segs)))
        if n < 0:
            return 1
        frames += n
    print(frames)
    return 0 if frames else 1


def count_frames(sid, data):
    """Octet-counted frames "LEN SP <PRI>..." in DATA, or -1 (said why)."""
    frames = p = 0
    while p < len(data):
        sp = data.find(b" ", p)
        if sp < 0 or not data[p:sp].isdigit() or data[p:p + 1] == b"0":
            print("stream %s: no MSG-LEN at offset %d: %r" % (sid, p, data[p:p + 20]))
            return -1
        n = int(data[p:sp])
        msg = data[sp + 1:sp + 1 + n]
        if len(msg) != n or not msg.startswith(b"<"):
            print("stream %s: frame at %d: %d octets announced, %d there" % (sid, p, n, len(msg)))
            return -1
        frames += 1
        p = sp + 1 + n
    return frames


def cmd_udprecv(a):
    import re
    port, secs, ready = int(a[0]), float(a[1]), a[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # the queue arrives as one burst: room for all of it (SO_RCVBUFFORCE,
    # 33, needs root, which the tests have)
    s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 16 << 20)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.2)
    open(ready, "w").close()
    macs = set()
    end = time.time() + secs
    while time.time() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if b" script_served " in d:
            m = re.search(rb'mac="([0-9a-f:]+)"', d)
            if m:
                macs.add(m.group(1).decode())
    for m in sorted(macs):
        print(m)
    return 0


def cmd_tlsstall(a):
    import ssl
    port, secs, ready, cert, key = int(a[0]), float(a[1]), a[2], a[3], a[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    s.settimeout(20)
    open(ready, "w").close()
    c, _ = s.accept()
    c.settimeout(10)
    t = ctx.wrap_socket(c, server_side=True)  # the handshake, then silence
    time.sleep(secs)
    t.settimeout(2)
    data = b""
    end = time.time() + 60
    while time.time() < end:
        try:
            d = t.recv(65536)
        except (socket.timeout, TimeoutError):
            break
        if not d:
            break
        data += d
    n = count_frames("tls", data)
    if n < 0:
        return 1
    print(n)
    return 0 if n else 1


def cmd_stall(a):
    port, secs, ready = int(a[0]), float(a[1]), a[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.1", port))
    s.listen(4)
    s.settimeout(0.2)
    open(ready, "w").close()
    keep = []
    end = time.time() + secs
    while time.time() < end:
        try:
            c, _ = s.accept()
            keep.append(c)  # never read
        except socket.timeout:
            pass
    return 0


def pxe_request(mac, xid):
    import struct
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0,
                      bytes(4), bytes(4), bytes(4), bytes(4),
                      bytes.fromhex(mac.replace(":", "")) + bytes(10),
                      bytes(64), bytes(128))
    vendor = b"PXEClient:Arch:00007:UNDI:003000"
    o = b"\x63\x82\x53\x63" + bytes([53, 1, 3])
    o += bytes([60, len(vendor)]) + vendor
    o += bytes([93, 2, 0, 7]) + bytes([94, 3, 1, 2, 1])
    return hdr + o + b"\xff"


def cmd_dhcp_rtt(a):
    host, count = a[0], int(a[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 68))
    s.settimeout(1.0)
    rtts = []
    base = os.getpid() & 0xffff
    for i in range(count):
        xid = (base << 16) | i
        mac = "52:54:01:%02x:%02x:%02x" % ((base >> 8) & 0xff, base & 0xff, i & 0xff)
        t0 = time.monotonic()
        s.sendto(pxe_request(mac, xid), (host, 4011))
        while True:
            try:
                data, _ = s.recvfrom(4096)
            except socket.timeout:
                break
            if len(data) >= 8 and int.from_bytes(data[4:8], "big") == xid:
                rtts.append((time.monotonic() - t0) * 1000.0)
                break
        time.sleep(0.02)
    if not rtts:
        print("0 0 0 0")
        return 1
    rtts.sort()
    med = rtts[len(rtts) // 2]
    p95 = rtts[min(len(rtts) - 1, int(len(rtts) * 0.95))]
    print("%.3f %.3f %.3f %d" % (med, p95, rtts[-1], len(rtts)))
    return 0


def cmd_boot_load(a):
    host, port, count, secs = a[0], int(a[1]), int(a[2]), float(a[3])
    end = time.time() + secs
    ok = 0
    conn = None
    for i in range(count):
        if time.time() > end:
            break
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=5)
        try:
            conn.request("GET", "/boot.ipxe?mac=52:54:02:00:%02x:%02x" % ((i >> 8) & 0xff, i & 0xff))
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                ok += 1
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = None
    print(ok)
    return 0


def main():
    cmds = {"compare": cmd_compare, "octets": cmd_octets, "stall": cmd_stall,
            "tlsstall": cmd_tlsstall, "udprecv": cmd_udprecv,
            "dhcp_rtt": cmd_dhcp_rtt, "boot_load": cmd_boot_load}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
