#!/usr/bin/python3
"""Many PXE clients at once, for test_peer.sh (scapy decodes the offers).

  run IFACE_IP MAC_PREFIX FIRST COUNT OUT [--rate R] [--wait S]
      [--retries N] [--retry-gap S]

Sends one DHCPDISCOVER (PXEClient, arch 0) per client MAC (MAC_PREFIX:HH:LL,
FIRST..FIRST+COUNT-1) from IFACE_IP:68 to 255.255.255.255:67, R per second,
and collects the proxy offers broadcast back to port 68.  A client with no
offer WAIT seconds after its DISCOVER tries again with a new xid, up to N
retries, RETRY_GAP seconds after its previous try.  OUT gets one JSON line
per client: mac, tries, and the servers that offered (per try).  A summary
line goes to stdout.
"""
import argparse
import json
import os
import random
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dhcp_client import decode, request_bytes  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["run"])
    ap.add_argument("ip")
    ap.add_argument("prefix")
    ap.add_argument("first", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("out")
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--wait", type=float, default=1.0)
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--retry-gap", type=float, default=3.0)
    ap.add_argument("--macs", help="file of MACs, one a line (instead of "
                    "PREFIX/FIRST/COUNT)")
    a = ap.parse_args()

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("0.0.0.0", 68))
    s.setblocking(False)

    if a.macs:
        macs = [m.strip() for m in open(a.macs) if m.strip()][:a.count]
    else:
        macs = ["%s:%02x:%02x" % (a.prefix, (i >> 8) & 255, i & 255)
                for i in range(a.first, a.first + a.count)]
    clients = [{"mac": m, "tries": [], "next": None} for m in macs]
    by_xid = {}
    # schedule first tries at the rate
    t0 = time.time()
    for k, c in enumerate(clients):
        c["next"] = t0 + k / a.rate
    deadline = t0 + len(clients) / a.rate + (a.retries + 1) * (a.wait + a.retry_gap) + 5
    while time.time() < deadline:
        now = time.time()
        pending = False
        for c in clients:
            if c["next"] is not None and c["next"] <= now:
                xid = random.getrandbits(32)
                by_xid[xid] = c
                c["tries"].append({"xid": xid, "at": now, "from": []})
                c["next"] = None
                s.sendto(request_bytes(c["mac"], xid, 1, 0,
                                       "PXEClient:Arch:00000:UNDI:002001"),
                         ("255.255.255.255", 67))
            # unanswered after WAIT: plan a retry
            if c["tries"] and c["next"] is None:
                last = c["tries"][-1]
                if (not any(t["from"] for t in c["tries"]) and
                        now - last["at"] >= a.wait and
                        len(c["tries"]) <= a.retries and
                        not last.get("given_up")):
                    c["next"] = last["at"] + a.wait + a.retry_gap
            if c["next"] is not None or not c["tries"] or \
                    now - c["tries"][-1]["at"] < a.wait:
                pending = True
        if not pending:
            break
        r, _, _ = select.select([s], [], [], 0.005)
        while r:
            try:
                data, src = s.recvfrom(4096)
            except BlockingIOError:
                break
            d = decode(data, src[0], "", src[1], 68)
            c = by_xid.get(d["xid"])
            if c is None or d["op"] != 2:
                continue
            for t in c["tries"]:
                if t["xid"] == d["xid"] and src[0] not in t["from"]:
                    t["from"].append(src[0])
                    t.setdefault("file", d["file"])
    doubles = unanswered = 0
    per_server = {}
    with open(a.out, "w") as f:
        for c in clients:
            tries = [{"from": t["from"], "file": t.get("file", ""),
                      "at": t["at"]}
                     for t in c["tries"]]
            if any(len(t["from"]) > 1 for t in tries):
                doubles += 1
            ans = [t for t in tries if t["from"]]
            if not ans:
                unanswered += 1
            else:
                per_server[ans[0]["from"][0]] = per_server.get(ans[0]["from"][0], 0) + 1
            f.write(json.dumps({"mac": c["mac"], "tries": tries}) + "\n")
    retried = sum(1 for c in clients if len(c["tries"]) > 1)
    print(json.dumps({"clients": len(clients), "doubles": doubles,
                      "unanswered": unanswered, "retried": retried,
                      "per_server": per_server,
                      "seconds": round(time.time() - t0, 2)}))


if __name__ == "__main__":
    main()
