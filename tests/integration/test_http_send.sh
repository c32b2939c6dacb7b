#!/bin/sh
# HTTP response path: heads read by Python's http.client, many requests
# pipelined in one write (plain and TLS), parallel and slow downloads
# (sendfile stopping at a full socket), a memory body larger than the head's
# buffer (writev), and the built-in menu (made once per configuration)
# following a reload, with one script_served event per request.
. "$(dirname "$0")/../lib.sh"
pxh_init
for t in curl; do
	command -v $t >/dev/null || { echo "skip test_http_send # $t missing"; exit 77; }
done
PY=/usr/bin/python3
NS=$(pxh_netns snd) || exit 1
IN="ip netns exec $NS"
U=http://127.0.0.1:8080
FACTS="mac=52%3A54%3A00%3A12%3A34%3A56&uuid=01234567-89ab-cdef-0123-456789abcdef&arch=x86_64&platform=efi&manufacturer=QEMU&product=Standard%20PC&serial=S1&asset="

mkdir -p "$T/menu"
pxh_conf "$T/c.conf"
sed -i 's/^\[server\]$/[server]\nlisten = 127.0.0.1/' "$T/c.conf"
cp "$T/c.conf" "$T/base.conf"
cat >>"$T/c.conf" <<EOF
[dhcp]
enabled = no
[tftp]
port = 0
[http]
port = 8080
https_port = 8443
[boot]
menu_dir = $T/menu
EOF
head -c 33554432 /dev/urandom >"$T/http/32m.bin"
head -c 8388608 /dev/urandom >"$T/http/8m.bin"

pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon_start "see log"; exit 1; }
ok daemon_start

# ---- heads, checked by an independent parser ---------------------------------
$IN $PY - >"$T/heads.out" 2>&1 <<'EOF'
import http.client, email.utils
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=5)
out = []
for path, want in (("/files/8m.bin", 200), ("/nope", 404), ("/boot.ipxe", 200)):
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    ok = (r.status == want and r.reason == {200: "OK", 404: "Not Found"}[want]
          and r.getheader("Server", "").startswith("pxehub/")
          and email.utils.parsedate_to_datetime(r.getheader("Date")) is not None
          and int(r.getheader("Content-Length")) == len(body)
          and r.getheader("Content-Type"))
    out.append("%s:%s" % (path, "good" if ok else "bad %d %r" % (r.status, r.getheaders())))
print(" ".join(out))
EOF
case $(cat "$T/heads.out") in
*bad*|*Error*|"") not_ok heads_http_client "$(cat "$T/heads.out")" ;;
*) ok heads_http_client ;;
esac

# ---- pipelining: 20 requests in one write, 20 answers in order ---------------
pipelined() { # SCHEME(http|https) PORT
	$IN $PY - "$1" "$2" "$FACTS" <<'EOF'
import socket, ssl, sys, time
scheme, port, facts = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
if scheme == "https":
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s)
paths = ["/boot.ipxe?" + facts if i % 2 else "/files/8m.bin" if i == 10 else "/nope%d" % i
         for i in range(20)]
req = b"".join(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p).encode() for p in paths)
if scheme == "https":
    # one TLS record per request, all written before any answer is read
    for i in range(20):
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % paths[i]).encode())
else:
    s.sendall(req)
f = s.makefile("rb")
got = []
end = time.time() + 10
for p in paths:
    status = f.readline().split()[1].decode()
    n = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode().partition(":")
        if k.lower() == "content-length":
            n = int(v)
    body = f.read(n)
    kind = "menu" if b"item local" in body else "big" if n == 8388608 and len(body) == n else "404" if status == "404" else "?"
    got.append(kind)
    if time.time() > end:
        break
want = ["menu" if i % 2 else "big" if i == 10 else "404" for i in range(20)]
print("good" if got == want else "got %s" % got)
EOF
}
r=$(pipelined http 8080 2>&1)
[ "$r" = good ] && ok pipelined_20_plain || not_ok pipelined_20_plain "$r"
r=$(pipelined https 8443 2>&1)
[ "$r" = good ] && ok pipelined_20_tls || not_ok pipelined_20_tls "$r"

# ---- downloads: 16 at once, and a slow reader --------------------------------
i=0
set --
while [ $i -lt 16 ]; do set -- "$@" -o "$T/p$i" "$U/files/32m.bin"; i=$((i + 1)); done
$IN curl -s -Z --parallel-max 16 "$@" 2>/dev/null
bad=0
i=0
while [ $i -lt 16 ]; do cmp -s "$T/p$i" "$T/http/32m.bin" || bad=$((bad + 1)); rm -f "$T/p$i"; i=$((i + 1)); done
[ $bad = 0 ] && ok parallel_16_downloads || not_ok parallel_16_downloads "$bad of 16 differ"
# 8 MiB at 4 MB/s: the socket fills again and again
$IN curl -s --limit-rate 4M -o "$T/slow" "$U/files/8m.bin"
cmp -s "$T/slow" "$T/http/8m.bin" && ok slow_reader_download || not_ok slow_reader_download
$IN curl -sk --limit-rate 4M -o "$T/slow" "https://127.0.0.1:8443/files/8m.bin"
cmp -s "$T/slow" "$T/http/8m.bin" && ok slow_reader_download_tls || not_ok slow_reader_download_tls

# ---- a memory body larger than the head's buffer (writev) --------------------
i=0
while [ $i -lt 80 ]; do
	m=$(printf '52%%3A54%%3A00%%3A00%%3A%02x%%3A%02x' $((i / 256)) $((i % 256)))
	$IN curl -s -o /dev/null "$U/boot.ipxe?mac=$m&arch=x86_64&platform=efi&manufacturer=Vendor%20$i&product=Model&serial=SERIAL-$i"
	i=$((i + 1))
done
$IN $PY - >"$T/big.out" 2>&1 <<'EOF'
import http.client, json
c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=5)
res = []
for method in ("GET", "HEAD", "GET"):
    c.request(method, "/api/v1/clients")
    r = c.getresponse()
    body = r.read()
    res.append((r.status, int(r.getheader("Content-Length")), len(body), body))
(s1, l1, n1, b1), (s2, l2, n2, _), (s3, l3, n3, b3) = res
ok = (s1 == s2 == s3 == 200 and l1 == n1 and n1 > 16384 and n2 == 0
      and l2 > 16384 and n3 == l3 and isinstance(json.loads(b1), (dict, list)))
print("good %d" % n1 if ok else "bad %r" % [(a, b, c) for a, b, c, _ in res])
EOF
case $(cat "$T/big.out") in
good*) ok large_memory_body ;;
*) not_ok large_memory_body "$(cat "$T/big.out")" ;;
esac
# the same over HTTP/1.0 and TLS (there the body rides in the head's buffer)
n10=$($IN curl -s -0 -o "$T/c10.json" -w '%{size_download}' "$U/api/v1/clients")
ntls=$($IN curl -sk -o "$T/ctls.json" -w '%{size_download}' "https://127.0.0.1:8443/api/v1/clients")
if [ "$n10" -gt 16384 ] && [ "$ntls" -gt 16384 ] &&
   $PY -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$T/c10.json" "$T/ctls.json" 2>/dev/null; then
	ok large_memory_body_http10_tls
else
	not_ok large_memory_body_http10_tls "sizes $n10 $ntls"
fi

# ---- the built-in menu: the same each time, new after a reload ---------------
$IN curl -s -o "$T/m1" "$U/boot.ipxe?$FACTS"
$IN curl -s -o "$T/m2" "$U/boot.ipxe?$FACTS"
if cmp -s "$T/m1" "$T/m2" && grep -q '^menu pxehub boot menu' "$T/m1"; then
	ok menu_same_twice
else
	not_ok menu_same_twice "$(head -3 "$T/m1")"
fi
before=$(grep -c 'event=script_served.*mac=52:54:00:12:34:56' "$T/pxehubd.log")
i=0
while [ $i -lt 10 ]; do $IN curl -s -o /dev/null "$U/boot.ipxe?$FACTS"; i=$((i + 1)); done
after=$(grep -c 'event=script_served.*mac=52:54:00:12:34:56' "$T/pxehubd.log")
[ $((after - before)) = 10 ] && ok script_served_each_request || not_ok script_served_each_request "$((after - before)) events for 10"
printf '#!ipxe\n# Install Debian\nchain http://example.invalid/debian.ipxe\n' >"$T/menu/debian.ipxe"
sed -i 's/^\[boot\]$/[boot]\nmenu_title = Lab menu/' "$T/c.conf"
kill -HUP $PXH_PID
wait_for grep -q "server: reloaded" "$T/pxehubd.log" || not_ok reload "$(tail -3 "$T/pxehubd.log")"
$IN curl -s -o "$T/m3" "$U/boot.ipxe?$FACTS"
if grep -q '^menu Lab menu' "$T/m3" && grep -q '^item debian Install Debian' "$T/m3" &&
   grep -q 'chain http://example.invalid/debian.ipxe' "$T/m3"; then
	ok menu_follows_reload
else
	not_ok menu_follows_reload "$(head -4 "$T/m3")"
fi
exit $_pxh_failed
