#!/usr/bin/python3
"""PXE client for test_script_exec (scapy): one boot's DHCP traffic.

  burst IFACE MAC SERVER CIADDR
      a DISCOVER, three retransmissions of it (same xid: two while the
      decision runs, one after), then the follow-up REQUEST to SERVER:4011;
      prints {"offers": [file, ...], "ack": file or null} as one JSON line.

Replies are decoded by scapy (dhcp_client.decode), not by pxehub.
"""
import json
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dhcp_client import decode, request_bytes  # noqa: E402
from scapy.all import AsyncSniffer, Ether, IP, UDP, conf, sendp  # noqa: E402
from scapy.layers.dhcp import BOOTP  # noqa: E402

conf.verb = 0
VENDOR = "PXEClient:Arch:00000:UNDI:002001"


def burst(iface, mac, server, ciaddr):
    xid = random.getrandbits(32)
    pkt = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
           IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
           request_bytes(mac, xid, 1, 0, VENDOR))
    sn = AsyncSniffer(iface=iface, filter="udp and dst port 68", store=True)
    sn.start()
    time.sleep(0.3)
    for delay in (0, 0.15, 0.15, 0.9):  # t = 0, 0.15, 0.3, 1.2 s
        time.sleep(delay)
        sendp(pkt, iface=iface)
    time.sleep(0.5)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 68))
    s.settimeout(3)
    rxid = random.getrandbits(32)
    s.sendto(request_bytes(mac, rxid, 3, 0, VENDOR, boot_item=True,
                           ciaddr=ciaddr), (server, 4011))
    ack = None
    end = time.time() + 3
    while time.time() < end:
        try:
            data, src = s.recvfrom(4096)
        except socket.timeout:
            break
        r = decode(data, src[0], ciaddr, src[1], 68)
        if r["xid"] == rxid:
            ack = r["file"]
            break
    time.sleep(0.3)
    got = sn.stop() or []
    offers = []
    for p in got:
        if BOOTP in p and p[BOOTP].xid == xid and p[BOOTP].op == 2 and \
                p[IP].src == server:
            offers.append(decode(bytes(p[UDP].payload))["file"])
    print(json.dumps({"offers": offers, "ack": ack}))


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "burst":
        sys.exit(__doc__)
    burst(*sys.argv[2:])
