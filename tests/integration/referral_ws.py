#!/usr/bin/python3
"""Web-service stand-in for tests/integration/test_referral.sh.

  referral_ws.py PORT NAME LOG [--tls CERT KEY] [--down-flag FILE] [--backup]

POST (the client's facts as JSON) answers by the MAC's last octet:
  01  an iPXE script "echo ws-script NAME PHASE"
  02  JSON {"chain": "http://10.71.0.2/boot.ipxe?mac=MAC"}
  03  the script, after 4 s (slow)
  04  HTTP 500
  05  DHCP-phase JSON {"loader": "from-ws.efi", "next_server": "10.71.0.2"}
  other  204 (no opinion)
--backup answers every POST with "echo from-backup NAME".
GET is the health check: 200, or 503 while the --down-flag file exists.
Each request is logged to LOG as "METHOD PATH MAC".
"""
import argparse
import json
import os
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

A = None


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        # the TLS handshake in this connection's thread, not in accept()
        if hasattr(self.request, "do_handshake"):
            self.request.do_handshake()
        super().setup()

    def send(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def note(self, mac):
        with open(A.log, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, mac))

    def do_GET(self):
        self.note("-")
        if A.down_flag and os.path.exists(A.down_flag):
            self.send(503, "down\n")
        else:
            self.send(200, "ok\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        facts = json.loads(self.rfile.read(n) or b"{}")
        mac = facts.get("mac", "")
        phase = facts.get("phase", "")
        self.note(mac)
        if A.backup:
            self.send(200, "#!ipxe\necho from-backup %s\n" % A.name)
            return
        last = mac[-2:]
        if last == "01":
            self.send(200, "#!ipxe\necho ws-script %s %s\n" % (A.name, phase))
        elif last == "02":
            self.send(200, json.dumps({"chain": "http://10.71.0.2/boot.ipxe?mac=" + mac}),
                      "application/json")
        elif last == "03":
            time.sleep(4)
            self.send(200, "#!ipxe\necho slow %s\n" % A.name)
        elif last == "04":
            self.send(500, "broken\n")
        elif last == "05":
            self.send(200, json.dumps({"loader": "from-ws.efi", "next_server": "10.71.0.2",
                                       "reason": "web service " + A.name}),
                      "application/json")
        else:
            self.send(204, "")


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("name")
    ap.add_argument("log")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--down-flag")
    ap.add_argument("--backup", action="store_true")
    A = ap.parse_args()
    ThreadingHTTPServer.request_queue_size = 128
    srv = ThreadingHTTPServer(("127.0.0.1", A.port), H)
    srv.daemon_threads = True
    if A.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(A.tls[0], A.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    print("listening", flush=True)
    sys.stdout.close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
