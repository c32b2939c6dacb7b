#!/usr/bin/python3
"""A small TDS 7.x server for tests: it speaks the wire protocol FreeTDS,
tsql and pymssql use ([MS-TDS]: PRELOGIN with encryption negotiation and
TLS, LOGIN7, SQL batch, RPC, ATTENTION; COLMETADATA, ROW, DONE*, ERROR,
INFO, ENVCHANGE, LOGINACK, RETURNSTATUS tokens) and runs the SQL it receives
on an SQLite database.  T-SQL is translated only lexically (N'..' literals,
dbo. prefixes, TOP n, SET/USE as no-ops); EXEC and RPC calls run the SQL
file procs/NAME.sql with the call's parameters bound by position or by the
name the file declares (every one required, as the site's procedures have
no defaults).  Nothing is matched against canned query strings.

Column types come from the SQLite declared type of the source column
(INT, BIGINT, BIT, NVARCHAR, UNIQUEIDENTIFIER, DATETIME, FLOAT), through
sqlite3 converters, or from the column's name in the schema when every
value is NULL, or else from the Python value.

Usage: tds_server.py --schema schema.sql [--data data.sql] --procs DIR
       [--port N | --port-file F] [--login user:password ...]
       [--cert C --key K] [--delay SECONDS] [--refuse-logins] [--fixture F]
--fixture F replays a sanitized exchange recorded by "pxehubctl sccm check
--save F": each recorded statement gets its recorded result, any other
statement an error (the schema is still loaded for SET/USE).
"""
import argparse
import datetime
import os
import re
import socket
import socketserver
import sqlite3
import ssl
import struct
import sys
import threading
import time
import uuid

# ---- packet and token constants ([MS-TDS] 2.2.3.1.1, 2.2.7) -------------
PKT_SQL_BATCH, PKT_RPC, PKT_REPLY, PKT_ATTENTION = 0x01, 0x03, 0x04, 0x06
PKT_TRANSACTION, PKT_LOGIN7, PKT_PRELOGIN = 0x0E, 0x10, 0x12
ST_EOM = 0x01

TOK_COLMETADATA, TOK_ROW, TOK_DONE, TOK_DONEPROC = 0x81, 0xD1, 0xFD, 0xFE
TOK_DONEINPROC, TOK_ERROR, TOK_INFO, TOK_LOGINACK = 0xFF, 0xAA, 0xAB, 0xAD
TOK_ENVCHANGE, TOK_RETURNSTATUS = 0xE3, 0x79
DONE_FINAL, DONE_MORE, DONE_ERROR, DONE_COUNT, DONE_ATTN = 0, 1, 2, 0x10, 0x20

# data types ([MS-TDS] 2.2.5.4)
T_NULL, T_INT1, T_BIT, T_INT2, T_INT4, T_INT8 = 0x1F, 0x30, 0x32, 0x34, 0x38, 0x7F
T_FLT4, T_FLT8, T_DATETIM4, T_DATETIME = 0x3B, 0x3E, 0x3A, 0x3D
T_MONEY, T_MONEY4 = 0x3C, 0x7A
T_GUID, T_INTN, T_BITN, T_FLTN, T_DATETIMN, T_MONEYN = 0x24, 0x26, 0x68, 0x6D, 0x6F, 0x6E
T_DECIMALN, T_NUMERICN = 0x6A, 0x6C
T_BIGVARBIN, T_BIGVARCHR, T_BIGBINARY, T_BIGCHAR = 0xA5, 0xA7, 0xAD, 0xAF
T_NVARCHAR, T_NCHAR, T_TEXT, T_NTEXT = 0xE7, 0xEF, 0x23, 0x63

COLLATION = bytes([0x09, 0x04, 0xD0, 0x00, 0x34])  # Latin1_General_CI_AS
DB_NAME = "CM_PS1"
SERVER_NAME = "CMSQL"
TDS74 = 0x74000004


class Guid(str):
    pass


class Bit(int):
    pass


class DateTime(str):
    pass


def _conv_guid(b):
    return Guid(str(uuid.UUID(b.decode())).upper())


def _conv_dt(b):
    return DateTime(b.decode())


sqlite3.register_converter("UNIQUEIDENTIFIER", _conv_guid)
sqlite3.register_converter("BIT", lambda b: Bit(int(b)))
sqlite3.register_converter("DATETIME", _conv_dt)


class ProtocolError(Exception):
    pass


class SqlError(Exception):
    def __init__(self, number, msg, cls=16, proc=""):
        super().__init__(msg)
        self.number, self.msg, self.cls, self.proc = number, msg, cls, proc


# ---- little writers ---------------------------------------------------------
def b_varchar(s):
    e = s.encode("utf-16-le")
    return bytes([len(e) // 2]) + e


def us_varchar(s):
    e = s.encode("utf-16-le")
    return struct.pack("<H", len(e) // 2) + e


def tok_done(kind, status, rows=0, curcmd=0xC1):
    return struct.pack("<BHHQ", kind, status, curcmd, rows)


def tok_msg(kind, number, msg, cls, state=1, proc="", line=1):
    body = (struct.pack("<iBB", number, state, cls) + us_varchar(msg) +
            b_varchar(SERVER_NAME) + b_varchar(proc) + struct.pack("<i", line))
    return struct.pack("<BH", kind, len(body)) + body


def tok_envchange(typ, new, old):
    body = bytes([typ]) + new + old
    return struct.pack("<BH", TOK_ENVCHANGE, len(body)) + body


# ---- the transport: plain TCP, or TLS through memory BIOs ------------------
class Transport:
    def __init__(self, sock):
        self.sock = sock
        self.tls = None
        self.buf = b""

    def _raw_recv(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        return d

    def recv_bytes(self, n):
        while len(self.buf) < n:
            if self.tls:
                try:
                    self.buf += self.tls.read(65536)
                    continue
                except ssl.SSLWantReadError:
                    self.inc.write(self._raw_recv())
                    continue
                except ssl.SSLZeroReturnError:
                    raise EOFError
            self.buf += self._raw_recv()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def send(self, data):
        if self.tls:
            self.tls.write(data)
            self.sock.sendall(self.out.read())
        else:
            self.sock.sendall(data)

    def recv_packet(self):
        """One TDS message (packets up to EOM joined): (type, payload)."""
        payload, typ = b"", None
        for _ in range(100000):
            hdr = self.recv_bytes(8)
            t, status, length = struct.unpack(">BBH", hdr[:4])
            if length < 8:
                raise ProtocolError("bad packet length")
            payload += self.recv_bytes(length - 8)
            typ = t
            if status & ST_EOM:
                return typ, payload
        raise ProtocolError("message too long")

    def send_message(self, typ, payload, size=4096):
        chunks = [payload[i:i + size - 8] for i in range(0, len(payload), size - 8)] or [b""]
        out = b""
        for i, c in enumerate(chunks):
            st = ST_EOM if i == len(chunks) - 1 else 0
            out += struct.pack(">BBHHBB", typ, st, len(c) + 8, 0, (i + 1) & 0xFF, 0) + c
        self.send(out)

    def start_tls(self, ctx):
        """TLS handshake records travel inside PRELOGIN packets
        ([MS-TDS] 3.3.5.2); afterwards TLS runs on the bare socket."""
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(self.inc, self.out, server_side=True)
        for _ in range(64):
            typ, payload = self.recv_packet()
            if typ != PKT_PRELOGIN:
                raise ProtocolError("expected TLS handshake in PRELOGIN")
            self.inc.write(payload)
            log("tls: %d handshake bytes in" % len(payload))
            try:
                obj.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            pending = self.out.read()
            if pending:
                log("tls: %d handshake bytes out" % len(pending))
                self.send_message(PKT_PRELOGIN, pending)
            if done:
                self.tls = obj
                return
        raise ProtocolError("TLS handshake too long")


# ---- T-SQL -> SQLite (lexical only) -----------------------------------------
TOKEN = re.compile(r"""
    (?P<str>[Nn]?'(?:[^']|'')*')
  | (?P<brk>\[[^\]]*\])
  | (?P<cmt>--[^\n]*|/\*.*?\*/)
  | (?P<word>@@?[A-Za-z_][\w$#]*|[A-Za-z_#][\w$#]*)
  | (?P<num>\d+(?:\.\d*)?)
  | (?P<ws>\s+)
  | (?P<op>.)
""", re.X | re.S)


def tokens(sql):
    return [(m.lastgroup, m.group()) for m in TOKEN.finditer(sql)]


def split_statements(sql):
    """Split a batch on ';' and before statement keywords that start a new
    statement at the top level (T-SQL needs no ';')."""
    starts = {"SELECT", "SET", "EXEC", "EXECUTE", "USE", "INSERT", "UPDATE",
              "DELETE", "DECLARE", "CREATE", "IF", "BEGIN", "COMMIT",
              "ROLLBACK", "PRINT", "WITH"}
    out, cur, depth = [], [], 0
    for kind, text in tokens(sql):
        if kind == "cmt":
            continue
        if kind == "op" and text == ";" and depth == 0:
            out.append(cur)
            cur = []
            continue
        if kind == "op" and text == "(":
            depth += 1
        if kind == "op" and text == ")":
            depth = max(0, depth - 1)
        if (kind == "word" and depth == 0 and text.upper() in starts and
                any(k != "ws" for k, _ in cur) and not _continues(cur, text)):
            out.append(cur)
            cur = []
        cur.append((kind, text))
    out.append(cur)
    return [s for s in out if any(k != "ws" for k, _ in s)]


def _continues(cur, word):
    """SELECT after UNION/INSERT/( and SET after UPDATE stay in a statement."""
    sig = [t.upper() for k, t in cur if k != "ws"]
    w = word.upper()
    if w == "SELECT" and sig and sig[-1] in ("UNION", "ALL", "(", "EXCEPT",
                                             "INTERSECT"):
        return True
    if w == "SELECT" and sig and sig[0] in ("INSERT", "WITH"):
        return True
    if w == "SET" and sig and sig[0] == "UPDATE":
        return True
    return False


def to_sqlite(toks):
    out, top = [], None
    sig = [i for i, (k, _) in enumerate(toks) if k != "ws"]
    skip = set()
    # SELECT TOP n / TOP (n)  ->  ... LIMIT n
    if len(sig) > 2 and toks[sig[0]][1].upper() == "SELECT" and \
            toks[sig[1]][1].upper() == "TOP":
        j = 2
        if toks[sig[j]][1] == "(":
            top = toks[sig[j + 1]][1]
            skip.update(sig[1:j + 3])
        else:
            top = toks[sig[j]][1]
            skip.update(sig[1:j + 1])
    for i, (kind, text) in enumerate(toks):
        if i in skip:
            continue
        if kind == "str" and text[0] in "Nn":
            text = text[1:]
        elif kind == "word" and text.lower() == "dbo" and i + 1 < len(toks) and \
                toks[i + 1][1] == ".":
            skip.add(i + 1)
            continue
        elif kind == "brk" and text.lower() == "[dbo]" and i + 1 < len(toks) \
                and toks[i + 1][1] == ".":
            skip.add(i + 1)
            continue
        elif kind == "brk":
            text = '"' + text[1:-1].replace('"', '""') + '"'
        elif kind == "word" and text.upper() == "@@VERSION":
            text = "'pxehub TDS stand-in (SQLite %s)'" % sqlite3.sqlite_version
        elif kind == "word" and text.upper() == "@@SPID":
            text = "53"
        elif kind == "word" and text.startswith("@"):
            text = ":" + text[1:]
        out.append(text)
    s = "".join(out).strip()
    if top is not None:
        s += " LIMIT " + top
    return s


def literal(kind, text):
    if kind == "str":
        return (text[1:] if text[0] in "Nn" else text)[1:-1].replace("''", "'")
    if kind == "num":
        return float(text) if "." in text else int(text)
    if kind == "word" and text.upper() == "NULL":
        return None
    raise SqlError(102, "Incorrect syntax near '%s'." % text)


def parse_exec_args(toks):
    """EXEC name [@p =] value, ...  ->  (name, positional, named)."""
    sig = [(k, t) for k, t in toks if k != "ws"]
    if len(sig) < 2:
        raise SqlError(102, "Incorrect syntax near 'EXEC'.")
    i, name = 1, ""
    # an optional "@ret =" and a dotted, bracketed name
    if sig[i][1].startswith("@") and len(sig) > i + 1 and sig[i + 1][1] == "=":
        i += 2
    while i < len(sig):
        k, t = sig[i]
        if k in ("word", "brk"):
            name = t.strip("[]")
        elif t != ".":
            break
        i += 1
        if i < len(sig) and sig[i][1] == ".":
            continue
        break
    pos, named = [], {}
    args = sig[i:]
    j = 0
    while j < len(args):
        k, t = args[j]
        if k == "op" and t == ",":
            j += 1
            continue
        if k == "word" and t.startswith("@") and j + 2 < len(args) and args[j + 1][1] == "=":
            named[t[1:].lower()] = literal(*args[j + 2])
            j += 3
        elif k == "op" and t == "-" and j + 1 < len(args):
            pos.append(-literal(*args[j + 1]))
            j += 2
        else:
            pos.append(literal(k, t))
            j += 1
        if j < len(args) and args[j][1].upper() == "OUTPUT":
            j += 1
    return name, pos, named


# ---- result encoding ----------------------------------------------------------
def days_ticks(text):
    t = text.strip().replace("T", " ")
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in t else (
        "%Y-%m-%d %H:%M:%S" if ":" in t else "%Y-%m-%d")
    d = datetime.datetime.strptime(t, fmt)
    base = datetime.datetime(1900, 1, 1)
    delta = d - base
    secs = delta.seconds + delta.microseconds / 1e6
    return delta.days, int(round(secs * 300))


class Column:
    def __init__(self, name, kind, size=0):
        self.name, self.kind, self.size = name, kind, size

    def meta(self):
        b = struct.pack("<IH", 0, 0x0001)  # user type, flags: nullable
        if self.kind == "int":
            b += bytes([T_INTN, self.size])
        elif self.kind == "bit":
            b += bytes([T_BITN, 1])
        elif self.kind == "guid":
            b += bytes([T_GUID, 16])
        elif self.kind == "datetime":
            b += bytes([T_DATETIMN, 8])
        elif self.kind == "float":
            b += bytes([T_FLTN, 8])
        elif self.kind == "binary":
            b += bytes([T_BIGVARBIN]) + struct.pack("<H", 8000)
        else:
            b += bytes([T_NVARCHAR]) + struct.pack("<H", 8000) + COLLATION
        return b + b_varchar(self.name)

    def value(self, v):
        if self.kind in ("int", "bit", "guid", "datetime", "float"):
            if v is None:
                return b"\x00"
            if self.kind == "int":
                return bytes([self.size]) + int(v).to_bytes(self.size, "little", signed=True)
            if self.kind == "bit":
                return b"\x01" + bytes([1 if int(v) else 0])
            if self.kind == "guid":
                return b"\x10" + uuid.UUID(str(v)).bytes_le
            if self.kind == "float":
                return b"\x08" + struct.pack("<d", float(v))
            days, ticks = days_ticks(str(v))
            return b"\x08" + struct.pack("<iI", days, ticks)
        if v is None:
            return b"\xff\xff"
        if self.kind == "binary":
            return struct.pack("<H", len(v)) + bytes(v)
        e = str(v).encode("utf-16-le")[:8000]
        return struct.pack("<H", len(e)) + e


KIND_OF_DECL = [("UNIQUEIDENTIFIER", "guid"), ("BIGINT", "int8"), ("BIT", "bit"),
                ("DATETIME", "datetime"), ("INT", "int"), ("FLOAT", "float"),
                ("REAL", "float"), ("BINARY", "binary"), ("BLOB", "binary")]


def kind_of_decl(decl):
    d = (decl or "").upper()
    for k, v in KIND_OF_DECL:
        if k in d:
            return v
    return "str"


def columns_for(names, rows, schema_types):
    cols = []
    for i, n in enumerate(names):
        vals = [r[i] for r in rows if r[i] is not None]
        if vals and isinstance(vals[0], Guid):
            kind = "guid"
        elif vals and isinstance(vals[0], Bit):
            kind = "bit"
        elif vals and isinstance(vals[0], DateTime):
            kind = "datetime"
        elif vals and all(isinstance(v, int) for v in vals):
            kind = "int8" if any(not -2**31 <= v < 2**31 for v in vals) else "int"
        elif vals and all(isinstance(v, (int, float)) for v in vals):
            kind = "float"
        elif vals and isinstance(vals[0], bytes):
            kind = "binary"
        elif vals:
            kind = "str"
        else:
            kind = schema_types.get(n.lower(), "str")
        if kind == "int8":
            cols.append(Column(n, "int", 8))
        else:
            cols.append(Column(n, kind, 4 if kind == "int" else 0))
    return cols


def encode_result(names, rows, schema_types):
    cols = columns_for(names, rows, schema_types)
    out = bytearray(struct.pack("<BH", TOK_COLMETADATA, len(cols)))
    for c in cols:
        out += c.meta()
    for r in rows:
        out.append(TOK_ROW)
        for c, v in zip(cols, r):
            out += c.value(v)
    return bytes(out)


# ---- the database ---------------------------------------------------------------
class Database:
    def __init__(self, files, procs):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(":memory:", check_same_thread=False,
                                  detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
        for f in files:
            with open(f) as fh:
                self.db.executescript(fh.read())
        self.db.create_function("GETDATE", 0, lambda: time.strftime("%Y-%m-%d %H:%M:%S"))
        self.db.create_function("GETUTCDATE", 0, lambda: time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()))
        self.db.create_function("ISNULL", 2, lambda a, b: b if a is None else a)
        self.db.create_function("LEN", 1, lambda a: None if a is None else len(str(a).rstrip()))
        self.db.create_function("NEWID", 0, lambda: str(uuid.uuid4()).upper())
        self.procs = procs
        self.schema_types = {}
        for (t,) in self.db.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')").fetchall():
            for row in self.db.execute('PRAGMA table_info("%s")' % t.replace('"', '""')):
                self.schema_types.setdefault(row[1].lower(), kind_of_decl(row[2]))

    def run_sql(self, sql, params):
        """Run one SQLite statement: (names, rows) or (None, rowcount)."""
        try:
            cur = self.db.execute(sql, params)
            if cur.description is None:
                self.db.commit()
                return None, max(cur.rowcount, 0)
            names = [d[0] for d in cur.description]
            return names, cur.fetchall()
        except sqlite3.Error as e:
            raise sql_error(e)

    def helptext(self, pos, named):
        """sp_helptext: the procedure's text, one row per line (column Text)."""
        args = list(pos) + list(named.values())
        obj = str(args[0]).split(".")[-1].strip("[]") if args else ""
        path = os.path.join(self.procs, os.path.basename(obj) + ".sql")
        try:
            with open(path) as fh:
                lines = fh.read().splitlines(True)
        except OSError:
            raise SqlError(15009, "The object '%s' does not exist in database 'CM_PS1' or is "
                           "invalid for this operation." % obj, proc="sp_helptext")
        return [(["Text"], [(line,) for line in lines])]

    def proc(self, name, pos, named):
        if name.lower() == "sp_helptext":
            return self.helptext(pos, named)
        path = os.path.join(self.procs, os.path.basename(name) + ".sql")
        try:
            with open(path) as fh:
                text = fh.read()
        except OSError:
            raise SqlError(2812, "Could not find stored procedure '%s'." % name, proc=name)
        m = re.search(r"^--\s*params:(.*)$", text, re.M)
        decl = [p.strip().lstrip("@").split()[0].lower() for p in m.group(1).split(",")
                if p.strip()] if m else []
        if len(pos) > len(decl):
            raise SqlError(8144, "Procedure or function %s has too many arguments specified." % name, proc=name)
        params = dict.fromkeys(decl)
        for k, v in zip(decl, pos):
            params[k] = v
        for k, v in named.items():
            if k not in params:
                raise SqlError(8145, "@%s is not a parameter for procedure %s." % (k, name), proc=name)
            params[k] = v
        # the site's procedures have no defaults: every argument is needed
        # (SQL Server's message 201 names the first one missing)
        given = set(decl[:len(pos)]) | set(named)
        for k in decl:
            if k not in given:
                raise SqlError(201, "Procedure or function '%s' expects parameter '@%s', "
                               "which was not supplied." % (name, k), proc=name)
        results = []
        for stmt in split_sqlite(text):
            results.append(self.run_sql(stmt, params))
        return results


def split_sqlite(text):
    out, cur = [], ""
    for line in text.splitlines(True):
        if line.lstrip().startswith("--"):
            continue
        cur += line
        if sqlite3.complete_statement(cur):
            out.append(cur.strip())
            cur = ""
    if cur.strip():
        out.append(cur.strip())
    return out


def sql_error(e):
    m = str(e)
    if "no such table" in m:
        return SqlError(208, "Invalid object name '%s'." % m.split(":")[-1].strip())
    if "no such column" in m:
        return SqlError(207, "Invalid column name '%s'." % m.split(":")[-1].strip())
    if "syntax error" in m or "incomplete input" in m:
        return SqlError(102, "Incorrect syntax: %s." % m)
    return SqlError(50000, m)


# ---- RPC parameters ([MS-TDS] 2.2.6.6) ---------------------------------------------
class Reader:
    def __init__(self, b):
        self.b, self.i = b, 0

    def take(self, n):
        if n < 0 or self.i + n > len(self.b):
            raise ProtocolError("truncated message")
        d = self.b[self.i:self.i + n]
        self.i += n
        return d

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def more(self):
        return self.i < len(self.b)


def skip_all_headers(r):
    total = struct.unpack("<I", r.b[r.i:r.i + 4])[0] if len(r.b) - r.i >= 4 else 0
    if 4 <= total <= len(r.b) - r.i:
        r.take(total)


def read_plp(r):
    total = struct.unpack("<Q", r.take(8))[0]
    if total == 0xFFFFFFFFFFFFFFFF:
        return None
    data = b""
    for _ in range(100000):
        n = r.u32()
        if n == 0:
            return data
        data += r.take(n)
    raise ProtocolError("PLP too long")


def read_param_value(r):
    t = r.u8()
    fixed = {T_INT1: (1, "<B"), T_BIT: (1, "<B"), T_INT2: (2, "<h"), T_INT4: (4, "<i"),
             T_INT8: (8, "<q"), T_FLT4: (4, "<f"), T_FLT8: (8, "<d")}
    if t == T_NULL:
        return None
    if t in fixed:
        n, f = fixed[t]
        return struct.unpack(f, r.take(n))[0]
    if t in (T_DATETIME, T_DATETIM4, T_MONEY, T_MONEY4):
        return decode_misc(t, r.take({T_DATETIME: 8, T_DATETIM4: 4, T_MONEY: 8, T_MONEY4: 4}[t]))
    if t in (T_INTN, T_BITN, T_FLTN, T_DATETIMN, T_GUID, T_MONEYN):
        r.u8()  # max length
        n = r.u8()
        if n == 0:
            return None
        d = r.take(n)
        if t == T_GUID:
            return str(uuid.UUID(bytes_le=d)).upper()
        if t == T_FLTN:
            return struct.unpack("<f" if n == 4 else "<d", d)[0]
        if t == T_DATETIMN:
            return decode_misc(T_DATETIME if n == 8 else T_DATETIM4, d)
        if t == T_MONEYN:
            return decode_misc(T_MONEY if n == 8 else T_MONEY4, d)
        return int.from_bytes(d, "little", signed=(t != T_BITN))
    if t in (T_DECIMALN, T_NUMERICN):
        r.u8()
        r.u8()
        scale = r.u8()
        n = r.u8()
        if n == 0:
            return None
        d = r.take(n)
        v = int.from_bytes(d[1:], "little")
        v = v if d[0] else -v
        return v if scale == 0 else v / 10 ** scale
    if t in (T_BIGVARCHR, T_BIGCHAR, T_NVARCHAR, T_NCHAR, T_BIGVARBIN, T_BIGBINARY):
        maxlen = r.u16()
        if t in (T_BIGVARCHR, T_BIGCHAR, T_NVARCHAR, T_NCHAR):
            r.take(5)
        if maxlen == 0xFFFF:
            d = read_plp(r)
        else:
            n = r.u16()
            d = None if n == 0xFFFF else r.take(n)
        if d is None:
            return None
        if t in (T_NVARCHAR, T_NCHAR):
            return d.decode("utf-16-le")
        if t in (T_BIGVARCHR, T_BIGCHAR):
            return d.decode("latin-1")
        return bytes(d)
    if t in (T_TEXT, T_NTEXT):
        r.u32()
        r.take(5)
        n = r.u32()
        if n == 0xFFFFFFFF:
            return None
        d = r.take(n)
        return d.decode("utf-16-le" if t == T_NTEXT else "latin-1")
    raise SqlError(8016, "The incoming RPC parameter type 0x%02x is not supported "
                   "by the stand-in." % t)


def decode_misc(t, d):
    base = datetime.datetime(1900, 1, 1)
    if t == T_DATETIME:
        days, ticks = struct.unpack("<iI", d)
        return (base + datetime.timedelta(days=days, seconds=ticks / 300)).strftime("%Y-%m-%d %H:%M:%S")
    if t == T_DATETIM4:
        days, mins = struct.unpack("<HH", d)
        return (base + datetime.timedelta(days=days, minutes=mins)).strftime("%Y-%m-%d %H:%M:%S")
    if t == T_MONEY:
        hi, lo = struct.unpack("<iI", d)
        return ((hi << 32) | lo) / 10000
    return struct.unpack("<i", d)[0] / 10000


# ---- one connection ------------------------------------------------------------------
class Session(socketserver.BaseRequestHandler):
    def handle(self):
        cfg = self.server.cfg
        self.tr = Transport(self.request)
        self.request.settimeout(cfg.idle)
        try:
            self.run()
        except (EOFError, ConnectionError, socket.timeout, ssl.SSLError) as e:
            log("connection %s ended: %s" % (self.client_address[0], type(e).__name__))
        except ProtocolError as e:
            log("protocol error: %s" % e)

    def run(self):
        cfg = self.server.cfg
        typ, payload = self.tr.recv_packet()
        if typ != PKT_PRELOGIN:
            raise ProtocolError("expected PRELOGIN, got 0x%02x" % typ)
        enc = prelogin_option(payload, 1)
        client_enc = enc[0] if enc else 2
        # 0 off, 1 on, 2 not supported, 3 required ([MS-TDS] 2.2.6.5)
        if cfg.tls_ctx and client_enc in (1, 3):
            ours = 1
        elif cfg.tls_ctx and cfg.force_tls:
            ours = 3
        else:
            ours = 2
        log("prelogin: client encryption %d, answer %d" % (client_enc, ours))
        self.tr.send_message(PKT_REPLY, prelogin_reply(ours))
        if ours == 2 and client_enc in (1, 3):
            return  # the client requires what we cannot give: it hangs up
        if ours in (1, 3):
            if client_enc == 2:
                return
            self.tr.start_tls(cfg.tls_ctx)
            log("TLS up: %s %s" % (self.tr.tls.version(), self.tr.tls.cipher()[0]))
        typ, payload = self.tr.recv_packet()
        if typ != PKT_LOGIN7:
            raise ProtocolError("expected LOGIN7, got 0x%02x" % typ)
        if not self.login(payload):
            return
        for _ in range(1000000):
            typ, payload = self.tr.recv_packet()
            if typ == PKT_ATTENTION:
                self.tr.send_message(PKT_REPLY, tok_done(TOK_DONE, DONE_ATTN))
                continue
            if cfg.delay:
                time.sleep(cfg.delay)
            if typ == PKT_SQL_BATCH:
                out = self.batch(payload)
            elif typ == PKT_RPC:
                out = self.rpc(payload)
            elif typ == PKT_TRANSACTION:
                out = tok_done(TOK_DONE, DONE_FINAL, curcmd=0)
            else:
                raise ProtocolError("unexpected packet type 0x%02x" % typ)
            self.tr.send_message(PKT_REPLY, out, self.packet_size)

    def login(self, p):
        cfg = self.server.cfg
        if len(p) < 94:
            raise ProtocolError("short LOGIN7")
        version, packet_size = struct.unpack("<II", p[4:12])

        def field(off):
            o, n = struct.unpack("<HH", p[off:off + 4])
            return p[o:o + 2 * n]
        user = field(40).decode("utf-16-le", "replace")
        pw = bytes(((b ^ 0xA5) << 4 & 0xF0) | ((b ^ 0xA5) >> 4) for b in field(44))
        pw = pw.decode("utf-16-le", "replace")
        app = field(48).decode("utf-16-le", "replace")
        sspi_len = struct.unpack("<H", p[80:82])[0]
        self.packet_size = min(max(packet_size, 512), 32767) if packet_size else 4096
        log("login7: tds 0x%08x user %r app %r sspi %d" % (version, user, app, sspi_len))
        ok = (not sspi_len and not cfg.refuse_logins and
              (not cfg.logins or cfg.logins.get(user) == pw))
        if not ok:
            why = ("Login failed. The login is from an untrusted domain and cannot "
                   "be used with Integrated authentication." if sspi_len else
                   "Login failed for user '%s'." % user)
            out = tok_msg(TOK_ERROR, 18452 if sspi_len else 18456, why, 14)
            out += tok_done(TOK_DONE, DONE_ERROR, curcmd=0)
            self.tr.send_message(PKT_REPLY, out)
            return False
        tds = version if version in (0x70000000, 0x71000001, 0x72090002,
                                     0x730A0003, 0x730B0003, TDS74) else TDS74
        out = tok_envchange(1, b_varchar(DB_NAME), b_varchar("master"))
        out += tok_msg(TOK_INFO, 5701, "Changed database context to '%s'." % DB_NAME, 0)
        out += tok_envchange(7, bytes([5]) + COLLATION, b"\x00")
        out += tok_envchange(4, b_varchar(str(self.packet_size)), b_varchar("4096"))
        body = (bytes([1]) + struct.pack(">I", tds) + b_varchar("Microsoft SQL Server") +
                bytes([16, 0, 0x10, 0x00]))
        out += struct.pack("<BH", TOK_LOGINACK, len(body)) + body
        out += tok_done(TOK_DONE, DONE_FINAL, curcmd=0)
        self.tr.send_message(PKT_REPLY, out)
        return True

    def batch(self, payload):
        r = Reader(payload)
        skip_all_headers(r)
        sql = r.b[r.i:].decode("utf-16-le", "replace")
        log("batch: %s" % " ".join(sql.split())[:300])
        if self.server.replay is not None and sql.split() and \
                sql.split()[0].upper() not in ("SET", "USE"):
            return self.replay(sql)
        out = b""
        stmts = split_statements(sql)
        with self.server.db.lock:
            for n, st in enumerate(stmts):
                more = DONE_MORE if n < len(stmts) - 1 else 0
                try:
                    out += self.statement(st, more)
                except SqlError as e:
                    out += tok_msg(TOK_ERROR, e.number, e.msg, e.cls, proc=e.proc)
                    out += tok_done(TOK_DONE, DONE_ERROR | more)
        if not stmts:
            out = tok_done(TOK_DONE, DONE_FINAL)
        return out

    def replay(self, sql):
        """--fixture: answer a statement as the recorded site did (pxehubctl
        sccm check --save); anything else is an error."""
        ex = self.server.replay.get(" ".join(sql.split()))
        if ex is None:
            log("replay: not in the fixture")
            return tok_msg(TOK_ERROR, 50000, "replay: statement not in the fixture", 16) + \
                tok_done(TOK_DONE, DONE_ERROR | DONE_FINAL)
        if "error" in ex:
            return tok_msg(TOK_ERROR, 50000, ex["error"], 16) + \
                tok_done(TOK_DONE, DONE_ERROR | DONE_FINAL)
        res = ex["result"]
        names = [c["name"] for c in res["columns"]]
        ints = [c.get("type") == "int" for c in res["columns"]]
        rows = [tuple(int(v) if v is not None and i else v for v, i in zip(row, ints))
                for row in res["rows"]]
        out = encode_result(names, rows, {}) if names else b""
        return out + tok_done(TOK_DONE, DONE_COUNT | DONE_FINAL, len(rows))

    def statement(self, st, more):
        sig = [t for k, t in st if k != "ws"]
        head = sig[0].upper()
        db = self.server.db
        if head in ("SET", "USE", "BEGIN", "COMMIT", "ROLLBACK", "PRINT", "DECLARE"):
            return tok_done(TOK_DONE, more, curcmd=0)
        if head in ("EXEC", "EXECUTE"):
            name, pos, named = parse_exec_args(st)
            # inside a batch, DONEPROC says more follows: the batch's DONE
            return self.run_proc(name, pos, named, TOK_DONEINPROC, DONE_MORE) + \
                tok_done(TOK_DONE, more)
        names, res = db.run_sql(to_sqlite(st), {})
        if names is None:
            return tok_done(TOK_DONE, DONE_COUNT | more, res)
        return encode_result(names, res, db.schema_types) + \
            tok_done(TOK_DONE, DONE_COUNT | more, len(res))

    def run_proc(self, name, pos, named, inner, last=DONE_FINAL):
        db = self.server.db
        out = b""
        for names, res in db.proc(name, pos, named):
            if names is None:
                out += tok_done(inner, DONE_MORE | DONE_COUNT, res)
            else:
                out += encode_result(names, res, db.schema_types)
                out += tok_done(inner, DONE_MORE | DONE_COUNT, len(res))
        out += struct.pack("<Bi", TOK_RETURNSTATUS, 0)
        out += tok_done(TOK_DONEPROC, last)
        return out

    def rpc(self, payload):
        r = Reader(payload)
        skip_all_headers(r)
        n = r.u16()
        if n == 0xFFFF:
            pid = r.u16()
            return tok_msg(TOK_ERROR, 2812, "The stand-in has no special procedure %d." % pid, 16) + \
                tok_done(TOK_DONEPROC, DONE_ERROR)
        name = r.take(2 * n).decode("utf-16-le")
        r.u16()  # option flags
        pos, named = [], {}
        try:
            while r.more():
                pname = r.take(2 * r.u8()).decode("utf-16-le")
                r.u8()  # status flags
                v = read_param_value(r)
                if pname:
                    named[pname.lstrip("@").lower()] = v
                else:
                    pos.append(v)
            log("rpc: %s %r %r" % (name, pos, named))
            with self.server.db.lock:
                return self.run_proc(name.split(".")[-1].strip("[]"), pos, named, TOK_DONEINPROC)
        except SqlError as e:
            return tok_msg(TOK_ERROR, e.number, e.msg, e.cls, proc=name) + \
                tok_done(TOK_DONEPROC, DONE_ERROR)


def prelogin_option(p, want):
    i = 0
    while i + 5 <= len(p) and p[i] != 0xFF:
        tok, off, ln = struct.unpack(">BHH", p[i:i + 5])
        if tok == want and off + ln <= len(p):
            return p[off:off + ln]
        i += 5
    return None


def prelogin_reply(enc):
    opts = [(0, bytes([16, 0, 0x10, 0x00, 0, 0])), (1, bytes([enc])), (2, b"\x00"),
            (4, b"\x00")]
    off = 5 * len(opts) + 1
    head, data = b"", b""
    for tok, d in opts:
        head += struct.pack(">BHH", tok, off + len(data), len(d))
        data += d
    return head + b"\xff" + data


LOG = None


def log(msg):
    if LOG:
        LOG.write("%.3f %s\n" % (time.time(), msg))
        LOG.flush()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema", action="append", required=True)
    ap.add_argument("--procs", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--login", action="append", default=[])
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--force-tls", action="store_true")
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--refuse-logins", action="store_true")
    ap.add_argument("--idle", type=float, default=120.0)
    ap.add_argument("--log")
    ap.add_argument("--fixture", help="replay a pxehubctl sccm check --save fixture")
    a = ap.parse_args()
    LOG = open(a.log, "a") if a.log else sys.stderr
    a.logins = dict(x.split(":", 1) for x in a.login)
    a.tls_ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        # SQL Server speaks TLS 1.2 inside TDS 7.x (TLS 1.3 only with TDS 8,
        # where TLS comes first); FreeTDS's in-PRELOGIN handshake expects the
        # server to send the last flight.
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        a.tls_ctx = ctx
    srv = Server((a.bind, a.port), Session)
    srv.cfg = a
    srv.db = Database(a.schema, a.procs)
    srv.replay = None
    if a.fixture:
        import json
        with open(a.fixture) as fh:
            fx = json.load(fh)
        srv.replay = {" ".join(e["sql"].split()): e for e in fx["exchanges"]}
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(a.port_file + ".tmp", a.port_file)
    log("listening on %s:%d" % (a.bind, port))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
