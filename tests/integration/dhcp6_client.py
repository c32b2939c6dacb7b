#!/usr/bin/python3
"""DHCPv6 boot-client stand-in for test_dhcp6.sh: sends the message shapes
EDK2 PXEv6 / HTTPv6 and iPXE send (option 16 vendor class with enterprise
343, 61 arch, 62 NII, 15 user class) from a real UDP socket and prints, one
line each, the hex of every reply it gets.  Decoding is the test's job
(tshark on the capture), not this script's.

usage: dhcp6_client.py IFACE KIND [--arch N] [--dst ADDR] [--port N]
       [--sport N] [--server-duid HEX] [--type solicit|request|info]
       [--wait SECONDS] [--duid ll|uuid] [--flood N] [--rapid] [--expect N]
       [--vendor TEXT]
KIND: pxe (PXEClient), http (HTTPClient), ipxe (user class iPXE), plain."""
import argparse
import os
import random
import select
import socket
import struct
import sys
import time

TYPES = {"solicit": 1, "request": 3, "renew": 5, "info": 11}


def opt(code, data):
    return struct.pack("!HH", code, len(data)) + data


def mac_of(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def build(a, mac):
    msg = bytes([TYPES[a.type]]) + os.urandom(3)
    if a.duid == "ll":
        duid = struct.pack("!HH", 3, 1) + mac
    else:
        duid = struct.pack("!H", 4) + bytes.fromhex(
            "67452301ab89efcd0123456789abcdef")
    msg += opt(1, duid)
    if a.server_duid:
        msg += opt(2, bytes.fromhex(a.server_duid))
    if a.type in ("solicit", "request", "renew"):
        msg += opt(3, struct.pack("!III", 0xA1B2C3D4, 0, 0))  # IA_NA
    msg += opt(6, struct.pack("!HHHHH", 59, 60, 23, 24, 16))  # ORO
    msg += opt(8, b"\0\0")
    if a.rapid:
        msg += opt(14, b"")
    if a.kind in ("pxe", "http"):
        vc = ("%s:Arch:%05d:UNDI:003016" % (
            "PXEClient" if a.kind == "pxe" else "HTTPClient", a.arch)).encode()
        if a.vendor:
            vc = a.vendor.encode("latin-1")
        msg += opt(16, struct.pack("!IH", 343, len(vc)) + vc)
        msg += opt(61, struct.pack("!H", a.arch))
        msg += opt(62, bytes([1, 3, 16]))
    elif a.kind == "ipxe":
        msg += opt(15, struct.pack("!H", 4) + b"iPXE")
        msg += opt(61, struct.pack("!H", a.arch))
    return msg


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iface")
    p.add_argument("kind", choices=["pxe", "http", "ipxe", "plain"])
    p.add_argument("--arch", type=int, default=7)
    p.add_argument("--dst", default="ff02::1:2")
    p.add_argument("--port", type=int, default=547)
    p.add_argument("--sport", type=int, default=546)
    p.add_argument("--server-duid", default="")
    p.add_argument("--type", default="solicit", choices=list(TYPES))
    p.add_argument("--duid", default="uuid", choices=["ll", "uuid"])
    p.add_argument("--wait", type=float, default=2.0)
    p.add_argument("--expect", type=int, default=0,
                   help="stop after this many replies (0: wait it out)")
    p.add_argument("--rapid", action="store_true",
                   help="ask for Rapid Commit (option 14)")
    p.add_argument("--vendor", default="",
                   help="vendor class text instead of PXEClient:Arch:...")
    p.add_argument("--flood", type=int, default=0,
                   help="send N broken variants (cut, bytes changed) first")
    a = p.parse_args()
    mac = mac_of(a.iface)
    msg = build(a, mac)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.iface.encode())
    idx = socket.if_nametoindex(a.iface)
    s.bind(("::", a.sport, 0, idx))
    if a.dst.startswith("ff02") or a.dst.startswith("fe80"):
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
        dst = (a.dst, a.port, 0, idx)
    else:
        dst = (a.dst, a.port, 0, 0)
    rnd = random.Random(6)
    for i in range(a.flood):
        bad = bytearray(msg[:rnd.randrange(1, len(msg))])
        for _ in range(rnd.randrange(0, 4)):
            bad[rnd.randrange(len(bad))] = rnd.randrange(256)
        if i % 3 == 0:  # a length field past the end
            bad = bytearray(msg[:4]) + struct.pack("!HH", 1, 999) + bytes(8)
        s.sendto(bytes(bad), dst)
    s.sendto(msg, dst)
    end = time.time() + a.wait
    got = 0
    while True:
        left = end - time.time()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            break
        data, src = s.recvfrom(4096)
        print("%s %s" % (src[0].split("%")[0], data.hex()))
        sys.stdout.flush()
        got += 1
        if a.expect and got >= a.expect:
            break


if __name__ == "__main__":
    main()
