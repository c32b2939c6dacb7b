#!/usr/bin/python3
"""Raw TFTP exchanges for tests, decoded here independently of pxehub.

  tftp_probe.py SERVER req FILE [--wrq] [--mode M] [--opt NAME VALUE]...
      print the first reply: "ERROR code message" | "OACK k=v ... port=P"
      | "DATA block len port=P"
  tftp_probe.py SERVER probe FILE       EDK2: tsize probe, then error 8
  tftp_probe.py SERVER dupack FILE      lock-step: ACK 1 twice, count DATA 2
  tftp_probe.py SERVER earlyack FILE W  window W: ACK an earlier block 3 times
  tftp_probe.py SERVER hold N FILE [S] [MODE] [--ack]  N requests (mode
      octet, or MODE) left unanswered S seconds; --ack: each client ACKs
      its first DATA once (a transfer that started), then goes silent
  tftp_probe.py SERVER latedup FILE     RRQ, ACK the OACK, the same RRQ
      again (a late duplicate): print every reply's opcode and port
  tftp_probe.py SERVER silent FILE T S  request with "timeout T", never
      answer; print when each OACK came (s after the request) over S s
Names may contain \\0 written as the two characters backslash zero.
"""
import socket
import struct
import sys
import time


def rrq(name, mode="octet", opts=(), op=1):
    name = name.encode("latin-1").replace(b"\\0", b"\0")
    p = struct.pack("!H", op) + name + b"\0" + mode.encode() + b"\0"
    for k, v in opts:
        p += k.encode() + b"\0" + str(v).encode() + b"\0"
    return p


def decode(p):
    if len(p) < 4:
        return "SHORT %d" % len(p)
    op = struct.unpack("!H", p[:2])[0]
    if op == 5:
        code = struct.unpack("!H", p[2:4])[0]
        return "ERROR %d %s" % (code, p[4:].split(b"\0")[0].decode("latin-1"))
    if op == 6:
        f = p[2:].split(b"\0")
        return "OACK " + " ".join("%s=%s" % (f[i].decode(), f[i + 1].decode())
                                 for i in range(0, len(f) - 1, 2))
    if op == 3:
        return "DATA %d %d" % (struct.unpack("!H", p[2:4])[0], len(p) - 4)
    return "OP %d" % op


def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    return s


def ack(s, addr, blk):
    s.sendto(struct.pack("!HH", 4, blk & 0xFFFF), addr)


def collect(s, secs):
    out = []
    end = time.time() + secs
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            p, a = s.recvfrom(70000)
        except socket.timeout:
            break
        out.append((p, a))
    return out


def main():
    srv, cmd = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    s = sock()
    dst = (srv, 69)
    if cmd == "req":
        name, mode, opts, op = args[0], "octet", [], 1
        i = 1
        while i < len(args):
            if args[i] == "--wrq":
                op = 2
            elif args[i] == "--mode":
                mode = args[i + 1]; i += 1
            elif args[i] == "--opt":
                opts.append((args[i + 1], args[i + 2])); i += 2
            i += 1
        s.sendto(rrq(name, mode, opts, op), dst)
        try:
            p, a = s.recvfrom(70000)
        except socket.timeout:
            print("TIMEOUT")
            return
        print("%s port=%d" % (decode(p), a[1]))
        if p[:2] != b"\0\5":
            s.sendto(struct.pack("!HH", 5, 0) + b"done\0", a)
    elif cmd == "probe":
        s.sendto(rrq(args[0], opts=[("tsize", 0), ("blksize", 1468)]), dst)
        p, a = s.recvfrom(70000)
        print("%s port=%d" % (decode(p), a[1]))
        s.sendto(struct.pack("!HH", 5, 8) + b"tsize probe\0", a)
    elif cmd == "dupack":
        s.sendto(rrq(args[0]), dst)
        p, a = s.recvfrom(70000)
        assert decode(p).startswith("DATA 1 "), decode(p)
        ack(s, a, 1)
        ack(s, a, 1)
        got = [decode(q) for q, _ in collect(s, 0.2)]
        print("DATA2=%d %s" % (sum(1 for g in got if g.startswith("DATA 2 ")),
                               " ".join(g.split()[1] for g in got)))
        s.sendto(struct.pack("!HH", 5, 0) + b"done\0", a)
    elif cmd == "earlyack":
        w = int(args[1])
        s.sendto(rrq(args[0], opts=[("windowsize", w), ("blksize", 512)]), dst)
        p, a = s.recvfrom(70000)
        assert decode(p).startswith("OACK"), decode(p)
        ack(s, a, 0)
        first = [decode(q).split()[1] for q, _ in collect(s, 0.15)]
        for _ in range(3):
            ack(s, a, 2)
        again = [decode(q).split()[1] for q, _ in collect(s, 0.2)]
        print("first=%s again=%s" % (",".join(first), ",".join(again)))
        s.sendto(struct.pack("!HH", 5, 0) + b"done\0", a)
    elif cmd == "latedup":
        req = rrq(args[0], opts=[("tsize", 0)])
        s.sendto(req, dst)
        p, a = s.recvfrom(70000)
        seen = ["%s:%d" % (decode(p).split()[0], a[1])]
        s.sendto(struct.pack("!HH", 4, 0), a)
        s.sendto(req, dst)
        for q, qa in collect(s, 0.5):
            seen.append("%s:%d" % (decode(q).split()[0], qa[1]))
        print(" ".join(seen))
        s.sendto(struct.pack("!HH", 5, 0) + b"done\0", a)
    elif cmd == "silent":
        name, tmo, secs = args[0], args[1], float(args[2])
        t0 = time.time()
        s.sendto(rrq(name, opts=[("timeout", tmo)]), dst)
        s.settimeout(0.05)
        seen = []
        while time.time() - t0 < secs:
            try:
                p, a = s.recvfrom(70000)
            except socket.timeout:
                continue
            seen.append("%s@%.2f" % (decode(p).split()[0], time.time() - t0))
        print(" ".join(seen))
    elif cmd == "hold":
        do_ack = "--ack" in args
        args = [x for x in args if x != "--ack"]
        n, name = int(args[0]), args[1]
        keep = float(args[2]) if len(args) > 2 else 0
        mode = args[3] if len(args) > 3 else "octet"
        socks = [sock() for _ in range(n)]
        if not do_ack:
            for q in socks:
                q.sendto(rrq(name, mode), dst)
        for i, q in enumerate(socks):
            if do_ack:  # one after the other: each started before the next
                q.sendto(rrq(name, mode), dst)
            try:
                p, a = q.recvfrom(70000)
                print("%d %s" % (i, decode(p)))
                if do_ack and p[:2] == b"\0\3":
                    ack(q, a, 1)
                    q.recvfrom(70000)  # DATA 2: the server saw the ACK
            except socket.timeout:
                print("%d TIMEOUT" % i)
        sys.stdout.flush()
        time.sleep(keep)  # let the server time out, not see a closed port


main()
