#!/usr/bin/python3
"""PXE client stand-in for the dhcp integration tests (scapy).

  discover IFACE MAC ARCH VENDOR [--user-class raw|rfc] [--opt175] [--bcast]
           [--from IP] [--timeout S]      broadcast a DISCOVER, print replies
  request HOST MAC ARCH VENDOR [--boot-item] [--user-class ..] [--timeout S]
           unicast a REQUEST to HOST:4011 from port 68, print the reply
  flood HOST PORT COUNT                   send COUNT malformed datagrams

Replies are printed one JSON object a line, decoded by scapy (never by
pxehub's parser): addresses, ports, siaddr, file and options by code.
"""
import argparse
import json
import os
import random
import socket
import struct
import sys
import time

from scapy.all import AsyncSniffer, Ether, IP, UDP, conf, sendp
from scapy.layers.dhcp import BOOTP, DHCP, DHCPRevOptions

conf.verb = 0
UUID_WIRE = bytes.fromhex("00" "67452301" "ab89" "efcd" "0123" "456789abcdef")


def opt(code, data):
    return bytes([code, len(data)]) + data


def request_bytes(mac, xid, mtype, arch, vendor, user_class=None, opt175=False,
                  bcast=False, boot_item=False, ciaddr="0.0.0.0"):
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0,
                      0x8000 if bcast else 0, socket.inet_aton(ciaddr),
                      bytes(4), bytes(4), bytes(4),
                      bytes.fromhex(mac.replace(":", "")) + bytes(10),
                      bytes(64), bytes(128))
    o = b"\x63\x82\x53\x63" + opt(53, bytes([mtype]))
    o += opt(60, vendor.encode())
    if arch is not None:
        o += opt(93, struct.pack("!H", arch))
    o += opt(94, b"\x01\x02\x01") + opt(97, UUID_WIRE)
    if user_class == "raw":
        o += opt(77, b"iPXE")
    elif user_class == "rfc":
        o += opt(77, b"\x04iPXE")
    if opt175:
        o += opt(175, b"\xb1\x05\x01\x80\x86\x10\x0e\xeb\x03\x01\x00\x00")
    if boot_item:
        o += opt(43, b"\x47\x04\x80\x00\x00\x00\xff")
    o += opt(55, bytes([1, 3, 43, 60, 66, 67, 97]))
    return hdr + o + b"\xff"


def decode(payload, ip_src="", ip_dst="", sport=0, dport=0, iface=""):
    b = BOOTP(payload)
    opts = {}
    if DHCP in b:
        for o in b[DHCP].options:
            if not isinstance(o, tuple):
                continue
            name, val = o[0], o[1] if len(o) == 2 else o[1:]
            code = name if isinstance(name, int) else DHCPRevOptions.get(name, (name,))[0]
            if isinstance(val, bytes):
                val = val.hex()
            opts[str(code)] = str(val)
    return {"src": ip_src, "dst": ip_dst, "sport": sport, "dport": dport,
            "iface": iface, "op": b.op, "xid": b.xid, "yiaddr": b.yiaddr,
            "siaddr": b.siaddr, "giaddr": b.giaddr,
            "file": b.file.rstrip(b"\0").decode(errors="replace"),
            "opts": opts}


def cmd_discover(a):
    xid = random.getrandbits(32)
    pkt = (Ether(src=a.mac, dst="ff:ff:ff:ff:ff:ff") /
           IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
           request_bytes(a.mac, xid, 1, a.arch, a.vendor, a.user_class,
                         a.opt175, a.bcast))
    sn = AsyncSniffer(iface=a.iface, filter="udp and dst port 68",
                      store=True)
    sn.start()
    time.sleep(0.3)
    sendp(pkt, iface=a.iface)
    time.sleep(a.timeout)
    got = sn.stop() or []
    for p in got:
        if BOOTP not in p or p[BOOTP].xid != xid or p[BOOTP].op != 2:
            continue
        if a.from_ip and p[IP].src != a.from_ip:
            continue
        print(json.dumps(decode(bytes(p[UDP].payload), p[IP].src, p[IP].dst,
                                p[UDP].sport, p[UDP].dport, a.iface)))


def cmd_request(a):
    xid = random.getrandbits(32)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 68))
    s.settimeout(a.timeout)
    s.sendto(request_bytes(a.mac, xid, 3, a.arch, a.vendor, a.user_class,
                           False, False, a.boot_item, a.ciaddr),
             (a.host, 4011))
    end = time.time() + a.timeout
    while time.time() < end:
        try:
            data, src = s.recvfrom(4096)
        except socket.timeout:
            break
        r = decode(data, src[0], a.ciaddr, src[1], 68)
        if r["xid"] == xid:
            print(json.dumps(r))
            break


def cmd_flood(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    good = request_bytes("52:54:00:ee:ee:ee", 1, 1, 0, "PXEClient:Arch:00000")
    rnd = random.Random(7)
    sent = 0
    end = time.time() + 10
    while sent < a.count and time.time() < end:
        k = sent % 4
        if k == 0:
            data = os.urandom(rnd.randrange(1, 600))
        elif k == 1:
            data = good[:rnd.randrange(1, len(good))]
        elif k == 2:  # an option claiming more bytes than there are
            data = bytearray(good)
            data[243 + 1] = 250
            data = bytes(data)
        else:  # bad cookie
            data = good[:236] + b"\0\0\0\0" + good[240:]
        try:
            s.sendto(data, (a.host, a.port))
        except OSError:
            time.sleep(0.001)
        sent += 1
    print(sent)


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    d = sp.add_parser("discover")
    d.add_argument("iface")
    r = sp.add_parser("request")
    r.add_argument("host")
    r.add_argument("--ciaddr", default="0.0.0.0")
    r.add_argument("--boot-item", action="store_true")
    for p in (d, r):
        p.add_argument("mac")
        p.add_argument("arch", type=lambda x: None if x == "none" else int(x))
        p.add_argument("vendor")
        p.add_argument("--user-class", choices=["raw", "rfc"])
        p.add_argument("--timeout", type=float, default=2.0)
    d.add_argument("--opt175", action="store_true")
    d.add_argument("--bcast", action="store_true")
    d.add_argument("--from", dest="from_ip")
    f = sp.add_parser("flood")
    f.add_argument("host")
    f.add_argument("port", type=int)
    f.add_argument("count", type=int)
    a = ap.parse_args()
    {"discover": cmd_discover, "request": cmd_request, "flood": cmd_flood}[a.cmd](a)


if __name__ == "__main__":
    main()
