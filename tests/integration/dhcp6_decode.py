#!/usr/bin/python3
"""Summarise tshark's decoding of DHCPv6 packets (pdml on stdin), one JSON
line per packet: message types (outer first), vendor class, boot file URL
(option 59: tshark 4.0 names it without a field, so its bytes are taken
from the pdml value), IAIDs, status codes, DUIDs, relay fields.  Only
formatting: the decoding is tshark's."""
import json
import sys
import xml.etree.ElementTree as ET


def main():
    root = ET.parse(sys.stdin).getroot()
    for pkt in root.iter("packet"):
        out = {"msgtype": [], "vendorclass": [], "url": [], "iaid": [],
               "status": [], "duid": [], "linkaddr": [], "peeraddr": [],
               "interface_id": [], "src": "", "malformed": False}
        for f in pkt.iter("field"):
            n, show = f.get("name", ""), f.get("show", "")
            if n == "ipv6.src":
                out["src"] = show
            elif n == "dhcpv6.msgtype":
                out["msgtype"].append(int(show))
            elif n == "dhcpv6.vendorclass.data":
                out["vendorclass"].append(show)
            elif n == "dhcpv6.option.type_str" and show == "Boot File URL":
                out["url"].append(bytes.fromhex(f.get("value", "")[8:]).decode(
                    "ascii", "replace"))
            elif n == "dhcpv6.iaid":
                out["iaid"].append(show)
            elif n == "dhcpv6.status_code":
                out["status"].append(int(show))
            elif n == "dhcpv6.duid.bytes":
                out["duid"].append(show.replace(":", ""))
            elif n in ("dhcpv6.linkaddr", "dhcpv6.peeraddr",
                       "dhcpv6.interface_id"):
                out[n.split(".")[1]].append(show)
            elif n == "_ws.malformed":
                out["malformed"] = True
        print(json.dumps(out))


if __name__ == "__main__":
    main()
