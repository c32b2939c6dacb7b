#!/usr/bin/python3
"""Peer heartbeat tool for test_peer.sh, written from docs/plugins/peer.md
(not from the plugin's code): an independent decoder and a replayer.

  capture IFACE GROUP PORT KEYFILE OUT   wait (5 s at most) for one heartbeat,
                                         decode it, check its HMAC with KEYFILE,
                                         print the fields as JSON, keep the bytes
  replay FILE GROUP PORT [--flip N]      send the kept bytes again (byte N
                                         inverted first, when given)
"""
import hashlib
import hmac
import json
import socket
import struct
import sys


def decode(b, key):
    if len(b) < 89 + 32 or b[:4] != b"PXHP":
        raise ValueError("not a heartbeat")
    (ver, typ, flags, nid, seq, tms, addr, port, _res, weight, free_mb, load,
     up, pref, serial, held, total, next_weight, nl) = struct.unpack(
        "!BBH16sQQ4sHHIIIIIQIIIB", b[4:89])
    if len(b) != 89 + nl + 32:
        raise ValueError("length")
    mac = hmac.new(key, b[:89 + nl], hashlib.sha256).digest()
    return {"version": ver, "type": typ, "flags": flags, "id": nid.hex(),
            "seq": seq, "time_ms": tms, "addr": socket.inet_ntoa(addr),
            "http_port": port, "weight": weight, "free_mb": free_mb,
            "load": load / 100, "uptime_s": up, "preference": pref,
            "serial": serial, "held": held, "total": total,
            "next_weight": next_weight,
            "name": b[89:89 + nl].decode(), "hmac_ok": hmac.compare_digest(
                mac, b[89 + nl:])}


def group_socket(iface_ip, group, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(group) + socket.inet_aton(iface_ip))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                 socket.inet_aton(iface_ip))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    return s


def main():
    cmd = sys.argv[1]
    if cmd == "capture":
        ip, group, port, keyfile, out = sys.argv[2:7]
        key = open(keyfile, "rb").read().rstrip(b"\r\n")
        s = group_socket(ip, group, int(port))
        s.settimeout(5)
        b, src = s.recvfrom(2048)
        open(out, "wb").write(b)
        d = decode(b, key)
        d["src"] = src[0]
        print(json.dumps(d))
    elif cmd == "replay":
        f, group, port = sys.argv[2:5]
        b = bytearray(open(f, "rb").read())
        if len(sys.argv) > 6 and sys.argv[5] == "--flip":
            b[int(sys.argv[6])] ^= 0xff
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        for _ in range(3):
            s.sendto(bytes(b), (group, int(port)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
