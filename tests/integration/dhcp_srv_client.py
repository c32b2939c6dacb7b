#!/usr/bin/python3
"""DHCP client stand-in for test_dhcp_server.sh (scapy), server mode.

  dora IFACE MAC [--pxe ARCH] [--want IP] [--no-request] [--decline]
       [--select-other] [--timeout S]
      broadcast DISCOVER, then (unless --no-request) REQUEST the offered
      address; print each reply as one JSON line with "stage" (offer, ack,
      nak).  --decline sends a DECLINE for the acked address.
  relayed SERVER GIADDR IFACE MAC [--timeout S]
      a DISCOVER as a relay sends it (giaddr set, unicast to SERVER:67);
      print the offer that comes back to GIADDR:67 (sniffed on IFACE).
  flood IFACE COUNT
      COUNT DISCOVERs from made-up MACs (02:xx:...) that never REQUEST;
      prints how many were sent.
  reboot IFACE MAC IP [--timeout S]
      INIT-REBOOT: a broadcast REQUEST for IP with no server id; prints the
      reply (ack or nak).

Replies are decoded by scapy, never by pxehub's parser.
"""
import argparse
import json
import random
import socket
import struct
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from dhcp_client import decode, opt  # noqa: E402
from scapy.all import AsyncSniffer, Ether, IP, UDP, conf, sendp  # noqa: E402
from scapy.layers.dhcp import BOOTP  # noqa: E402

conf.verb = 0
STAGE = {2: "offer", 5: "ack", 6: "nak"}


def packet(mac, xid, mtype, pxe=None, want=None, sid=None, giaddr="0.0.0.0",
           ciaddr="0.0.0.0"):
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6,
                      1 if giaddr != "0.0.0.0" else 0, xid, 0, 0,
                      socket.inet_aton(ciaddr), bytes(4), bytes(4),
                      socket.inet_aton(giaddr),
                      bytes.fromhex(mac.replace(":", "")) + bytes(10),
                      bytes(64), bytes(128))
    o = b"\x63\x82\x53\x63" + opt(53, bytes([mtype]))
    if pxe is not None:
        o += opt(60, ("PXEClient:Arch:%05d:UNDI:003016" % pxe).encode())
        o += opt(93, struct.pack("!H", pxe)) + opt(94, b"\x01\x03\x10")
        o += opt(97, b"\x00" + bytes(range(16)))
    if want:
        o += opt(50, socket.inet_aton(want))
    if sid:
        o += opt(54, socket.inet_aton(sid))
    o += opt(55, bytes([1, 3, 6, 15, 28, 51, 54, 58, 59, 66, 67]))
    return hdr + o + b"\xff"


def sniff_reply(iface, xid, flt, send, timeout):
    """Start a capture, run SEND(), return the first reply to XID (decoded)."""
    got = []

    def match(p):
        if BOOTP in p and p[BOOTP].op == 2 and p[BOOTP].xid == xid:
            got.append(p)
            return True
        return False

    sn = AsyncSniffer(iface=iface, filter=flt, store=False, prn=None,
                      stop_filter=match, timeout=timeout + 1)
    sn.start()
    time.sleep(0.3)
    send()
    sn.join(timeout + 1)
    if sn.running:
        sn.stop()
    if not got:
        return None
    p = got[0]
    return decode(bytes(p[UDP].payload), p[IP].src, p[IP].dst,
                  p[UDP].sport, p[UDP].dport, iface)


def exchange(iface, mac, data, xid, timeout, dst="255.255.255.255"):
    """Send DATA from MAC on IFACE (port 68 -> 67); the first reply."""
    pkt = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
           IP(src="0.0.0.0", dst=dst) / UDP(sport=68, dport=67) / data)
    return sniff_reply(iface, xid, "udp and dst port 68",
                       lambda: sendp(pkt, iface=iface), timeout)


def show(stage, r):
    r["stage"] = stage
    print(json.dumps(r))
    sys.stdout.flush()


def cmd_dora(a):
    xid = random.getrandbits(32)
    r = exchange(a.iface, a.mac, packet(a.mac, xid, 1, a.pxe, a.want), xid,
                 a.timeout)
    if not r:
        return
    show(STAGE.get(int(r["opts"].get("53", 0)), "other"), r)
    if a.no_request:
        return
    sid = r["opts"].get("54")
    if a.select_other:
        sid = "192.0.2.1"
    req = packet(a.mac, xid, 3, a.pxe, r["yiaddr"], sid)
    r2 = exchange(a.iface, a.mac, req, xid, a.timeout)
    if not r2:
        return
    show(STAGE.get(int(r2["opts"].get("53", 0)), "other"), r2)
    if a.decline and r2["opts"].get("53") == "5":
        dec = packet(a.mac, xid, 4, None, r2["yiaddr"], r2["opts"].get("54"))
        sendp(Ether(src=a.mac, dst="ff:ff:ff:ff:ff:ff") /
              IP(src="0.0.0.0", dst="255.255.255.255") /
              UDP(sport=68, dport=67) / dec, iface=a.iface)


def cmd_reboot(a):
    xid = random.getrandbits(32)
    r = exchange(a.iface, a.mac, packet(a.mac, xid, 3, None, a.ip), xid,
                 a.timeout)
    if r:
        show(STAGE.get(int(r["opts"].get("53", 0)), "other"), r)


def cmd_flood(a):
    rnd = random.Random(11)
    pkts = []
    for i in range(a.count):
        mac = "02:%02x:%02x:%02x:%02x:%02x" % tuple(rnd.randrange(256) for _ in range(5))
        xid = rnd.getrandbits(32)
        pkts.append(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
                    IP(src="0.0.0.0", dst="255.255.255.255") /
                    UDP(sport=68, dport=67) / packet(mac, xid, 1))
    sendp(pkts, iface=a.iface)
    print(len(pkts))


def cmd_relayed(a):
    xid = random.getrandbits(32)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    data = packet(a.mac, xid, 1, None, None, None, a.giaddr)
    r = sniff_reply(a.iface, xid, "udp and dst port 67 and src host " + a.server,
                    lambda: s.sendto(data, (a.server, 67)), a.timeout)
    if r:
        show(STAGE.get(int(r["opts"].get("53", 0)), "other"), r)


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    d = sp.add_parser("dora")
    d.add_argument("iface")
    d.add_argument("mac")
    d.add_argument("--pxe", type=int)
    d.add_argument("--want")
    d.add_argument("--no-request", action="store_true")
    d.add_argument("--decline", action="store_true")
    d.add_argument("--select-other", action="store_true")
    r = sp.add_parser("relayed")
    r.add_argument("server")
    r.add_argument("giaddr")
    r.add_argument("iface")
    r.add_argument("mac")
    f = sp.add_parser("flood")
    f.add_argument("iface")
    f.add_argument("count", type=int)
    b = sp.add_parser("reboot")
    b.add_argument("iface")
    b.add_argument("mac")
    b.add_argument("ip")
    for p in (d, r, b):
        p.add_argument("--timeout", type=float, default=3.0)
    a = ap.parse_args()
    {"dora": cmd_dora, "relayed": cmd_relayed, "reboot": cmd_reboot,
     "flood": cmd_flood}[a.cmd](a)


if __name__ == "__main__":
    main()
