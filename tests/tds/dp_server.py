#!/usr/bin/python3
"""A distribution point stand-in for tests: serves a directory over HTTP/1.1
and refuses every request without NTLM authentication ([MS-NLMP]: the
NEGOTIATE / CHALLENGE / AUTHENTICATE exchange on one keep-alive connection;
the NTLMv2 response is verified against the configured account, MD4 and
HMAC-MD5 included).  NTLMv1 answers are refused.  Each request is logged as
"GET path status user" so tests can count downloads.

Usage: dp_server.py --root DIR --user DOMAIN\\user --password PW
       [--port N | --port-file F] [--log F]
"""
import argparse
import base64
import hmac
import os
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def md4(data):
    """RFC 1320 (OpenSSL 3 no longer offers it)."""
    def f(x, y, z): return (x & y) | (~x & z)
    def g(x, y, z): return (x & y) | (x & z) | (y & z)
    def h(x, y, z): return x ^ y ^ z
    def rol(v, s): return ((v << s) | (v >> (32 - s))) & 0xFFFFFFFF
    msg = bytearray(data)
    bits = len(msg) * 8
    msg.append(0x80)
    while len(msg) % 64 != 56:
        msg.append(0)
    msg += struct.pack("<Q", bits)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", msg[off:off + 64])
        aa, bb, cc, dd = a, b, c, d
        for i in (0, 4, 8, 12):
            a = rol((a + f(b, c, d) + x[i]) & 0xFFFFFFFF, 3)
            d = rol((d + f(a, b, c) + x[i + 1]) & 0xFFFFFFFF, 7)
            c = rol((c + f(d, a, b) + x[i + 2]) & 0xFFFFFFFF, 11)
            b = rol((b + f(c, d, a) + x[i + 3]) & 0xFFFFFFFF, 19)
        for i in (0, 1, 2, 3):
            a = rol((a + g(b, c, d) + x[i] + 0x5A827999) & 0xFFFFFFFF, 3)
            d = rol((d + g(a, b, c) + x[i + 4] + 0x5A827999) & 0xFFFFFFFF, 5)
            c = rol((c + g(d, a, b) + x[i + 8] + 0x5A827999) & 0xFFFFFFFF, 9)
            b = rol((b + g(c, d, a) + x[i + 12] + 0x5A827999) & 0xFFFFFFFF, 13)
        for i in (0, 2, 1, 3):
            a = rol((a + h(b, c, d) + x[i] + 0x6ED9EBA1) & 0xFFFFFFFF, 3)
            d = rol((d + h(a, b, c) + x[i + 8] + 0x6ED9EBA1) & 0xFFFFFFFF, 9)
            c = rol((c + h(d, a, b) + x[i + 4] + 0x6ED9EBA1) & 0xFFFFFFFF, 11)
            b = rol((b + h(c, d, a) + x[i + 12] + 0x6ED9EBA1) & 0xFFFFFFFF, 15)
        a, b, c, d = [(v + w) & 0xFFFFFFFF for v, w in zip((a, b, c, d), (aa, bb, cc, dd))]
    return struct.pack("<4I", a, b, c, d)


NEGOTIATE_UNICODE, NEGOTIATE_NTLM = 0x1, 0x200
TARGET_INFO, NEGOTIATE_EXT_SEC = 0x800000, 0x80000


def challenge_message(challenge, domain):
    """CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2) with a target info list so the
    client answers NTLMv2."""
    tname = domain.encode("utf-16-le")
    tinfo = struct.pack("<HH", 2, len(tname)) + tname + struct.pack("<HH", 0, 0)
    flags = NEGOTIATE_UNICODE | NEGOTIATE_NTLM | TARGET_INFO | NEGOTIATE_EXT_SEC | 0x4
    head_len = 48
    msg = b"NTLMSSP\x00" + struct.pack("<I", 2)
    msg += struct.pack("<HHI", len(tname), len(tname), head_len)
    msg += struct.pack("<I", flags) + challenge + b"\x00" * 8
    msg += struct.pack("<HHI", len(tinfo), len(tinfo), head_len + len(tname))
    return msg + tname + tinfo


def field(msg, off):
    ln, _, o = struct.unpack("<HHI", msg[off:off + 8])
    if o + ln > len(msg):
        raise ValueError("field out of range")
    return msg[o:o + ln]


def verify(msg, challenge, users):
    """AUTHENTICATE_MESSAGE: (user, ok)."""
    if msg[:8] != b"NTLMSSP\x00" or struct.unpack("<I", msg[8:12])[0] != 3:
        return None, False
    nt = field(msg, 20)
    domain = field(msg, 28).decode("utf-16-le")
    user = field(msg, 36).decode("utf-16-le")
    name = "%s\\%s" % (domain, user)
    pw = users.get(name.lower())
    if pw is None or len(nt) <= 24:
        return name, False  # unknown account, or NTLMv1: refused
    ntowf = hmac.new(md4(pw.encode("utf-16-le")), (user.upper() + domain).encode("utf-16-le"),
                     "md5").digest()
    proof = hmac.new(ntowf, challenge + nt[16:], "md5").digest()
    return name, hmac.compare_digest(proof, nt[:16])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, status, user="-"):
        cfg = self.server.cfg
        with open(cfg.log, "a") if cfg.log else sys.stderr as f:
            f.write("%.3f %s %s %d %s\n" % (time.time(), self.command, self.path, status, user))

    def deny(self, extra=None):
        body = b"401 authentication required\n"
        self.send_response(401)
        self.send_header("WWW-Authenticate", extra or "NTLM")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        cfg = self.server.cfg
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("NTLM "):
            self.note(401)
            return self.deny()
        try:
            msg = base64.b64decode(auth[5:])
        except ValueError:
            self.note(400)
            return self.deny()
        kind = struct.unpack("<I", msg[8:12])[0] if len(msg) >= 12 else 0
        if kind == 1:
            self.challenge = os.urandom(8)
            return self.deny("NTLM " + base64.b64encode(
                challenge_message(self.challenge, cfg.domain)).decode())
        try:
            user, ok = verify(msg, getattr(self, "challenge", b""), cfg.users)
        except (ValueError, struct.error, UnicodeDecodeError):
            user, ok = None, False
        if not ok:
            self.note(401, user or "-")
            return self.deny()
        rel = self.path.split("?")[0].lstrip("/")
        path = os.path.realpath(os.path.join(cfg.root, rel))
        if not path.startswith(os.path.realpath(cfg.root) + os.sep) or not os.path.isfile(path):
            self.note(404, user)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        size = os.path.getsize(path)
        self.note(200, user)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        with open(path, "rb") as f:
            while True:
                chunk = f.read(1 << 16)
                if not chunk:
                    break
                self.wfile.write(chunk)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    a = ap.parse_args()
    a.domain = a.user.split("\\")[0] if "\\" in a.user else ""
    a.users = {a.user.lower(): a.password}
    srv = ThreadingHTTPServer((a.bind, a.port), Handler)
    srv.daemon_threads = True
    srv.cfg = a
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
