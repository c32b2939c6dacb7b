#!/usr/bin/python3
"""A Configuration Manager management point stand-in for the sccm_mp_http
tests (HTTP or HTTPS, optionally demanding a client certificate).

What it checks and answers is from public material (tests/mp/README cites
each rule); the PXE request bodies are not public, so the stand-in reads
the ClientIDRequest / PXEBootActionRequest shape of pxehub's templates.
Endpoints:
  GET /SMS_MP/.sms_aut?MPKEYINFORMATIONMEDIA  site code, unknown-machine
      GUIDs (UTF-8 XML; --site-utf16: UTF-16LE with a byte order mark)
  CCM_POST /ccm_system/request  multipart/mixed: part 1 the message header
      (UTF-16LE XML), part 2 the payload (UTF-16LE XML, zlib-compressed or
      not).  The reply is multipart/mixed too: a header part and the
      ClientIDReply payload, UTF-16LE with BOM, zlib-compressed when the
      request header says ReplyCompression="zlib".
A lookup naming an identifier that several machines share is answered
Unknown="1" with the Duplicate* flag (the caller is to ask again without
it).  Each request is logged as one line for the tests.

Usage: mp_server.py (--port N | --port-file F) [--cert C --key K [--client-ca CA]]
       [--delay S] [--status N] [--site-utf16] [--registered FILE]
       [--fixture FILE] [--log F] [--name NAME]
--registered FILE: lines "GUID:<client id> <PUBLICKEYBLOB hex>" of the
clients the site registered; with it every CCM_POST must carry valid
client authentication from one of them (403 otherwise).
--fixture FILE: replay a site recorded by "pxehubctl sccm check --mp --save
FILE" instead of the built-in devices: the site facts as recorded, and each
CCM_POST (framing still checked) answered as the site answered the recorded
request of the same kind naming the same machine (MACAddress, SMBIOSGUID,
ClientID, ItemKey); a request the fixture does not hold is logged "replay:
not in the fixture" and refused (400).
"""
import argparse
import hashlib
import json
import struct
import os
import re
import ssl
import sys
import time
import zlib
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SITE = {"code": "PS1",
        "x86": "2a4e09ce-0001-4c18-bd7d-f8d32f4e3b58",
        "x64": "2a4e09ce-0002-4c18-bd7d-f8d32f4e3b58"}
UNKNOWN = {SITE["x86"]: 2046820352, SITE["x64"]: 2046820353}

# name, item key, MAC, SMBIOS GUID
DEVICES = [
    ("PC-KNOWN", 16777220, "52:54:00:00:00:01", "01234567-89AB-CDEF-0123-456789ABCDEF"),
    ("PC-NODEPLOY", 16777221, "52:54:00:00:00:02", ""),
    ("PC-AVAIL", 16777222, "52:54:00:00:00:03", ""),
    ("PC-RAN", 16777223, "52:54:00:00:00:04", ""),
    ("PC-DUP-A", 16777230, "52:54:00:00:00:0D", "11111111-1111-1111-1111-111111111111"),
    ("PC-DUP-B", 16777231, "52:54:00:00:00:0D", "22222222-2222-2222-2222-222222222222"),
    ("PC-CLONE-1", 16777240, "52:54:00:00:00:21", "33333333-3333-3333-3333-333333333333"),
    ("PC-CLONE-2", 16777241, "52:54:00:00:00:22", "33333333-3333-3333-3333-333333333333"),
]

NO_ACTION = {}
ACTIONS = {
    16777220: {"OfferID": "PS120001", "PkgID": "PS100005", "BootImageID": "PS100004",
               "Mandatory": "1", "PackagePath": "http://dp01.corp.example/SMS_DP_SMSPKG$/PS100004"},
    16777222: {"OfferID": "PS120002", "PkgID": "PS100007", "BootImageID": "PS100004",
               "Mandatory": "0", "PackagePath": "\\\\dp01\\SMSPKGC$\\PS100004"},
    16777223: {"OfferID": "PS120003", "PkgID": "PS100005", "BootImageID": "PS100004",
               "Mandatory": "1", "LastPXEAdvertisementID": "PS120003",
               "PackagePath": "http://dp01.corp.example/SMS_DP_SMSPKG$/PS100004"},
    16777230: {"OfferID": "PS120004", "PkgID": "PS100005", "BootImageID": "PS100004",
               "Mandatory": "1", "PackagePath": ""},
    16777241: {"OfferID": "PS120005", "PkgID": "PS100005", "BootImageID": "PS100004",
               "Mandatory": "1", "PackagePath": ""},
    2046820353: {"OfferID": "PS120009", "PkgID": "PS100009", "BootImageID": "PS100006",
                 "Mandatory": "0", "PackagePath": ""},
}
BOUNDARY = "aAbBcCdDv1234567890VxXyYzZ"


def log(args, line):
    if args.log:
        with open(args.log, "a") as f:
            f.write("%s %s\n" % (args.name, line))


def utf16(text):
    return b"\xff\xfe" + text.encode("utf-16-le")


def parts(body, ctype):
    m = re.search(r'boundary="?([^";]+)"?', ctype or "")
    if not m:
        raise ValueError("no boundary")
    delim = b"--" + m.group(1).encode()
    out = []
    for chunk in body.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        out.append(content)
    return out


def text_of(data):
    """(text for the XML parser, the decompressed bytes as they came)."""
    if data[:1] == b"\x78":
        data = zlib.decompress(data)
    raw = data
    if data[:2] == b"\xff\xfe":
        data = data[2:]
    if data.endswith(b"\r\n"):
        data = data[:-2]
    if len(data) % 2:
        raise ValueError("odd UTF-16 length")
    return data.decode("utf-16-le").rstrip("\x00"), raw


# ---- client authentication ([MS-MQQB]-style PUBLICKEYBLOB, RSA PKCS#1 v1.5
# SHA-256 with the signature bytes reversed: sccmwtf CryptoTools) ---------
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def blob_key(hexblob):
    b = bytes.fromhex(hexblob)
    if len(b) < 20 or b[:2] != b"\x06\x02" or b[8:12] != b"RSA1":
        raise ValueError("not a PUBLICKEYBLOB")
    bits, e = struct.unpack("<II", b[12:20])
    mod = b[20:20 + bits // 8]
    if len(mod) != bits // 8:
        raise ValueError("short modulus")
    return int.from_bytes(mod, "little"), e, bits // 8


def verify_rev(key, data, sighex):
    n, e, k = key
    sig = bytes.fromhex(sighex)[::-1]
    if len(sig) != k:
        return False
    m = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    t = SHA256_PREFIX + hashlib.sha256(data).digest()
    return m == b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def check_request(args, h, hdr_part, payload_part, raw):
    """Refuse what a management point refuses (tests/mp/README)."""
    if hdr_part[:2] != b"\xff\xfe":
        return 400, "header without UTF-16 byte order mark"
    hooks = h.find("Hooks")
    zhook = hooks is not None and any(x.get("Name") == "zlib-compress" for x in hooks)
    compressed = payload_part[:1] == b"\x78"
    if compressed and not zhook:
        return 400, "compressed body without Hook3 zlib-compress"
    if zhook and not compressed:
        return 400, "Hook3 zlib-compress on a body that is not a zlib stream"
    if not raw.endswith(b"\x00\x00\r\n"):
        return 400, "body without its terminator (UTF-16 NUL, CRLF)"
    declared = int(h.find("Body").get("Length"))
    if declared != len(raw) - 2:
        return 400, "bad length %d (body is %d without CRLF)" % (declared, len(raw) - 2)
    if not args.registered:
        return None
    props = {}
    for hook in (hooks if hooks is not None else []):
        if hook.get("Name") == "clientauth":
            props = {x.get("Name"): (x.text or "") for x in hook.iter("Property")}
    need = ("PublicKey", "ClientIDSignature", "PayloadSignature")
    if not all(props.get(k) for k in need):
        return 403, "no client authentication"
    if props.get("HashAlgorithm") != "1.2.840.113549.1.1.11":
        return 403, "hash algorithm not SHA-256 RSA"
    source = (h.findtext("SourceID") or "").strip()
    reg = args.registered_keys.get(source.upper())
    if reg is None or reg != props["PublicKey"].upper():
        return 403, "client %s not registered with this key" % (source or "-")
    try:
        key = blob_key(props["PublicKey"])
    except ValueError as e:
        return 403, "bad public key: %s" % e
    if not verify_rev(key, source.encode("utf-16-le") + b"\x00\x00", props["ClientIDSignature"]):
        return 403, "bad ClientIDSignature"
    if not verify_rev(key, payload_part, props["PayloadSignature"]):
        return 403, "bad PayloadSignature (over the body as sent)"
    return None


def lookup(mac, guid):
    by_mac = [d for d in DEVICES if mac and d[2] == mac.upper()]
    by_guid = [d for d in DEVICES if guid and d[3] == guid.upper()]
    dup_mac, dup_guid = len(by_mac) > 1, len(by_guid) > 1
    hit = None
    if not dup_mac and not dup_guid:
        hit = by_guid[0] if len(by_guid) == 1 else by_mac[0] if len(by_mac) == 1 else None
    return hit, dup_mac, dup_guid


def ident_xml(hit, dup_mac, dup_guid, key=None):
    name, item, client = (hit[0], hit[1], "GUID:%08X-0000-0000-0000-000000000000" % hit[1]) \
        if hit else ("", key or 0, "")
    return ('<Identification Unknown="%d" ItemKey="%d" ServerName="" ServerRemoteName="" '
            'DatabaseName="" CSPName="" Protocol="" DomainName="" DuplicateSMBIOS="%d" '
            'DuplicateMACAddress="%d"><Machine><ClientID>%s</ClientID><NetbiosName>%s'
            '</NetbiosName></Machine></Identification>'
            % (0 if hit else 1, item, dup_guid, dup_mac, client, name))


def action_xml(item):
    a = ACTIONS.get(item, NO_ACTION)
    attrs = ["LastPXEAdvertisementID", "LastPXEAdvertisementTime", "OfferID", "OfferIDTime",
             "PkgID", "PackageVersion", "PackagePath", "BootImageID", "Mandatory"]
    return "<PXEBootAction %s/>" % " ".join('%s="%s"' % (k, a.get(k, "")) for k in attrs)


# ---- --fixture: a recorded site -----------------------------------------
KINDS = {"ClientIDRequest": "lookup", "PXEBootActionRequest": "boot_action"}


def request_key(p):
    """What names the machine in a request: its kind and identifiers."""
    m = p.find(".//Machine")
    ident = p.find("Identification")
    vals = [KINDS.get(p.tag, p.tag)]
    for tag in ("MACAddress", "SMBIOSGUID", "ClientID"):
        vals.append(((m.findtext(tag) if m is not None else "") or "").upper())
    vals.append((ident.get("ItemKey") if ident is not None else "") or "")
    return tuple(vals)


def load_fixture(path):
    with open(path) as f:
        fx = json.load(f)
    if fx.get("plugin") != "sccm_mp_http" or fx.get("version") != 1:
        raise ValueError("%s: not a sccm_mp_http fixture (version 1)" % path)
    recorded = []
    for x in fx["exchanges"]:
        text = x["payload"]  # as pxehubctl shows it: after the XML, the terminator
        key = request_key(ET.fromstring(text[:text.rindex(">") + 1]))
        recorded.append((key, x))
    return fx, recorded


def replay(args, p):
    """(status, reply text or error) for request P as the recorded site."""
    key = request_key(p)
    for k, x in args.recorded:
        if k == key:
            if x.get("status") != 200:
                return x.get("status") or 503, x.get("error") or "recorded failure"
            return 200, x.get("reply", "")
    return None, None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def gate(self, what):
        args = self.server.args
        if args.delay:
            time.sleep(args.delay)
        if args.status != 200:
            log(args, "%s %d" % (what, args.status))
            self.answer(args.status, b"busy\r\n", "text/plain")
            return False
        return True

    def do_GET(self):
        args = self.server.args
        if self.path != "/SMS_MP/.sms_aut?MPKEYINFORMATIONMEDIA":
            self.answer(404, b"", "text/plain")
            return
        if not self.gate("GET keyinfo"):
            return
        site = SITE
        if args.fx:
            fs = args.fx["site"]
            if not fs.get("ok"):
                log(args, "GET keyinfo 503 (recorded: not read)")
                self.answer(503, b"recorded: site facts not read\r\n", "text/plain")
                return
            site = {"code": fs["site_code"], "x86": fs["unknown_x86"], "x64": fs["unknown_x64"]}
        xml = ('<MPKEYINFORMATIONMEDIA><SITECODE>%s</SITECODE><SITENAME>Stand-in</SITENAME>'
               '<UNKNOWNMACHINES x86UnknownMachineGUID="%s" x64UnknownMachineGUID="%s"/>'
               '</MPKEYINFORMATIONMEDIA>' % (site["code"], site["x86"], site["x64"]))
        body = utf16(xml) if args.site_utf16 else xml.encode()
        log(args, "GET keyinfo 200")
        self.answer(200, body, "text/xml")

    def do_CCM_POST(self):
        args = self.server.args
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/ccm_system/request":
            self.answer(404, b"", "text/plain")
            return
        if not self.gate("CCM_POST"):
            return
        try:
            hdr_part, payload_part = parts(body, self.headers.get("Content-Type"))[:2]
            hdr, _ = text_of(hdr_part)
            payload, raw16 = text_of(payload_part)
            h = ET.fromstring(hdr)
            p = ET.fromstring(payload)
        except Exception as e:  # noqa: BLE001 - any malformed request is a 400
            log(args, "CCM_POST bad %s" % e)
            self.answer(400, b"bad request\r\n", "text/plain")
            return
        err = check_request(args, h, hdr_part, payload_part, raw16)
        if err:
            status, why = err
            log(args, "CCM_POST refused %d %s" % (status, why))
            self.answer(status, (why + "\r\n").encode(), "text/plain")
            return
        m = p.find(".//Machine")
        mac = (m.findtext("MACAddress") or "") if m is not None else ""
        guid = (m.findtext("SMBIOSGUID") or "") if m is not None else ""
        if args.fx:
            status, reply = replay(args, p)
            if status is None:
                log(args, "CCM_POST replay: not in the fixture %s" % "|".join(request_key(p)))
                self.answer(400, b"replay: request not in the fixture\r\n", "text/plain")
                return
            log(args, "CCM_POST replay %s %d" % ("|".join(request_key(p)), status))
            if status != 200:
                self.answer(status, (reply + "\r\n").encode(), "text/plain")
                return
        elif p.tag == "ClientIDRequest":
            hit, dm, dg = lookup(mac, guid)
            reply = "<ClientIDReply>%s</ClientIDReply>" % ident_xml(hit, dm, dg)
            log(args, "CCM_POST lookup mac=%s guid=%s -> %s dup_mac=%d dup_guid=%d"
                % (mac or "-", guid or "-", hit[0] if hit else "unknown", dm, dg))
        elif p.tag == "PXEBootActionRequest":
            item = int(p.find("Identification").get("ItemKey") or 0)
            client = (m.findtext("ClientID") or "") if m is not None else ""
            if client in UNKNOWN:
                item = UNKNOWN[client]
            hit = next((d for d in DEVICES if d[1] == item), None)
            reply = "<ClientIDReply>%s%s</ClientIDReply>" % (
                ident_xml(hit, 0, 0, item), action_xml(item))
            log(args, "CCM_POST action item=%d client=%s -> %s" % (
                item, client or "-", ACTIONS.get(item, {}).get("OfferID", "none")))
        else:
            log(args, "CCM_POST unknown request %s" % p.tag)
            self.answer(400, b"unknown request\r\n", "text/plain")
            return
        data = utf16(reply)
        if h.get("ReplyCompression") == "zlib":
            data = zlib.compress(data)
        rhdr = utf16('<Msg SchemaVersion="1.1"><ID>{%s}</ID><Body Type="ByteRange" '
                     'Length="%d" Offset="0"/><Payload Type="inline"/></Msg>'
                     % ("11111111-2222-3333-4444-555555555555", len(data)))
        out = (b"--" + BOUNDARY.encode() + b"\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n"
               + rhdr + b"\r\n--" + BOUNDARY.encode()
               + b"\r\ncontent-type: application/octet-stream\r\n\r\n" + data
               + b"\r\n--" + BOUNDARY.encode() + b"--\r\n")
        self.answer(200, out, 'multipart/mixed; boundary="%s"' % BOUNDARY)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="bind a free port and write it here")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca")
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--site-utf16", action="store_true")
    ap.add_argument("--registered", help="registered clients: GUID:id PUBLICKEYBLOB-hex lines")
    ap.add_argument("--fixture", help="replay a pxehubctl sccm check --mp --save fixture")
    ap.add_argument("--log")
    ap.add_argument("--name", default="mp")
    args = ap.parse_args()
    args.fx, args.recorded = load_fixture(args.fixture) if args.fixture else (None, [])
    args.registered_keys = {}
    if args.registered:
        with open(args.registered) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    cid, blob = line.split()
                    args.registered_keys[cid.upper()] = blob.upper()
    srv = ThreadingHTTPServer((args.bind, args.port), Handler)
    srv.daemon_threads = True
    srv.args = args
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    log(args, "listening %d" % port)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
