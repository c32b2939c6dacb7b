#!/usr/bin/python3
"""Hostile and honest PXE requests for test_access_protocols (scapy builds
the packets; replies are decoded by scapy, never by pxehub's parser).

  pxe SRC SERVER MAC [--ciaddr IP]     REQUEST to SERVER:4011 from SRC:68;
                                       prints "ack FILE" or "none"
  giaddr SRC SERVER MAC GIADDR         DISCOVER to SERVER:67 from SRC:68
                                       claiming to be relayed by GIADDR;
                                       listens on GIADDR:67 (an address of
                                       this host) and prints "offer" or "none"
  flood SRC SERVER COUNT               COUNT REQUESTs to SERVER:4011 from
                                       SRC, each from a random MAC
"""
import random
import socket
import sys

from scapy.all import conf
from scapy.layers.dhcp import BOOTP, DHCP

conf.verb = 0


def packet(mac, mtype, ciaddr="0.0.0.0", giaddr="0.0.0.0", xid=None):
    chaddr = bytes.fromhex(mac.replace(":", "")) + bytes(10)
    b = BOOTP(op=1, xid=xid if xid is not None else random.getrandbits(32),
              ciaddr=ciaddr, giaddr=giaddr, chaddr=chaddr)
    d = DHCP(options=[("message-type", mtype),
                      ("vendor_class_id", b"PXEClient:Arch:00007:UNDI:003016"),
                      ("pxe_client_architecture", b"\x00\x07"),
                      ("pxe_client_machine_identifier", b"\x00" + bytes(range(16))),
                      "end"])
    return bytes(b / d)


def sock(src, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, port))
    return s


def main():
    cmd, src, server = sys.argv[1], sys.argv[2], sys.argv[3]
    if cmd == "pxe":
        mac = sys.argv[4]
        ciaddr = sys.argv[sys.argv.index("--ciaddr") + 1] if "--ciaddr" in sys.argv else src
        s = sock(src, 68)
        s.settimeout(1.5)
        s.sendto(packet(mac, "request", ciaddr=ciaddr), (server, 4011))
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            print("none")
            return
        b = BOOTP(data)
        print("ack", b.file.rstrip(b"\0").decode(errors="replace"))
    elif cmd == "giaddr":
        mac, giaddr = sys.argv[4], sys.argv[5]
        listen = sock(giaddr, 67)
        listen.settimeout(1.5)
        s = sock(src, 68)
        s.sendto(packet(mac, "discover", giaddr=giaddr), (server, 67))
        try:
            data, peer = listen.recvfrom(2048)
            print("offer", BOOTP(data).file.rstrip(b"\0").decode(errors="replace"))
        except socket.timeout:
            print("none")
    elif cmd == "flood":
        n = int(sys.argv[4])
        s = sock(src, 68)
        for _ in range(n):
            mac = "02:%02x:%02x:%02x:%02x:%02x" % tuple(random.getrandbits(8) for _ in range(5))
            s.sendto(packet(mac, "request"), (server, 4011))
        print("sent", n)


if __name__ == "__main__":
    main()
