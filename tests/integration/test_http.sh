#!/bin/sh
# HTTP server: /boot.ipxe flow, static files (keep-alive, Range, HEAD, 304,
# sendfile), traversal, limits (slow and oversized requests, connection
# cap), the JSON API, reports, /metrics and the API token, with curl, wget,
# jq and raw sockets, against pxehubd in a private network namespace.
. "$(dirname "$0")/../lib.sh"
pxh_init
for t in curl wget jq; do
	command -v $t >/dev/null || { echo "skip test_http # $t missing"; exit 77; }
done
PY=/usr/bin/python3
NS=$(pxh_netns web) || exit 1
IN="ip netns exec $NS"
U=http://127.0.0.1

pxh_conf "$T/c.conf"
cat >>"$T/c.conf" <<EOF
[dhcp]
enabled = no
[tftp]
port = 0
[http]
port = 80
https_port = 0
header_timeout = 1s
idle_timeout = 2s
max_connections = 8
report_rate = 5
report_max_size = 2048
EOF
sed -i 's/^\[server\]$/[server]\nlisten = 127.0.0.1/' "$T/c.conf"
echo "hello pxehub" >"$T/http/hello.txt"
mkdir -p "$T/http/boot"
head -c 3000000 /dev/urandom >"$T/http/boot/big.bin"
echo "loader" >"$T/tftp/undionly.kpxe"
echo "secret" >"$T/secret.txt"

pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon_start "see log"; exit 1; }
ok daemon_start

code() { $IN curl -s -o /dev/null -w '%{http_code}' "$@"; }

# ---- /boot.ipxe ---------------------------------------------------------
s1=$($IN curl -s "$U/boot.ipxe")
case $s1 in
"#!ipxe"*"chain http://127.0.0.1/boot.ipxe?mac=\${net0/mac:hexhyp}"*"&serial=\${serial:uristring}"*) ok boot_stage_one ;;
*) not_ok boot_stage_one "got: $s1" ;;
esac
FACTS="mac=52%3A54%3A00%3A12%3A34%3A56&uuid=01234567-89ab-cdef-0123-456789abcdef&arch=x86_64&platform=pcbios&manufacturer=QEMU&product=Standard%20PC&serial=SER-4711&asset="
s2=$($IN curl -s "$U/boot.ipxe?$FACTS")
if printf '%s' "$s2" | head -1 | grep -qx '#!ipxe' &&
   printf '%s' "$s2" | grep -q '^menu ' && printf '%s' "$s2" | grep -q '^item local ' &&
   printf '%s' "$s2" | grep -q '^choose '; then
	ok boot_default_menu
else
	not_ok boot_default_menu "got: $(printf '%s' "$s2" | head -5)"
fi
s3=$($IN curl -s --data "$FACTS" "$U/boot.ipxe")
case $s3 in *"item local"*) ok boot_post_form ;; *) not_ok boot_post_form "got: $s3" ;; esac
grep -q 'event=script_served.*mac=52:54:00:12:34:56' "$T/pxehubd.log" &&
	ok event_script_served || not_ok event_script_served "no script_served event in log"

# ---- static files ---------------------------------------------------------
[ "$($IN curl -s "$U/files/hello.txt")" = "hello pxehub" ] && ok files_get || not_ok files_get
[ "$($IN curl -s "$U/tftp/undionly.kpxe")" = "loader" ] && ok tftp_root_over_http || not_ok tftp_root_over_http
conns=$($IN curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "$U/files/hello.txt" "$U/files/hello.txt" | tr '\n' ' ')
[ "$conns" = "1 0 " ] && ok keep_alive || not_ok keep_alive "connects per request: $conns"
$IN curl -s -r 1000-1999 -o "$T/part" -w '%{http_code}' "$U/files/boot/big.bin" >"$T/st"
dd if="$T/http/boot/big.bin" of="$T/want" bs=1000 skip=1 count=1 2>/dev/null
[ "$(cat "$T/st")" = 206 ] && cmp -s "$T/part" "$T/want" && ok range_206 || not_ok range_206 "status $(cat "$T/st")"
cr=$($IN curl -s -r 1000-1999 -D - -o /dev/null "$U/files/boot/big.bin" | tr -d '\r' | grep -i '^content-range:')
[ "$cr" = "Content-Range: bytes 1000-1999/3000000" ] && ok content_range || not_ok content_range "got $cr"
$IN curl -s -r -100 -o "$T/tail" "$U/files/boot/big.bin"
tail -c 100 "$T/http/boot/big.bin" >"$T/want"
cmp -s "$T/tail" "$T/want" && ok range_suffix || not_ok range_suffix
[ "$(code -r 5000000- "$U/files/boot/big.bin")" = 416 ] && ok range_416 || not_ok range_416
# HEAD: headers only, and the connection still serves the next request
$IN $PY - >"$T/head.out" 2>&1 <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", 80), timeout=5)
s.sendall(b"HEAD /files/hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /files/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
end = time.time() + 5
while time.time() < end and data.count(b"hello pxehub") < 1:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
heads = data.split(b"HTTP/1.1 200 OK")
print(len(heads) - 1, data.count(b"hello pxehub"), b"Content-Length: 13" in heads[1])
EOF
[ "$(cat "$T/head.out")" = "2 1 True" ] && ok head_then_get_pipelined || not_ok head_then_get_pipelined "$(cat "$T/head.out")"
# 600 pipelined requests in one send: all answered, in order (the server
# answers a few per callback and comes back for the rest)
$IN $PY - >"$T/pipe.out" 2>&1 <<'EOF'
import socket, time
n = 600
s = socket.create_connection(("127.0.0.1", 80), timeout=10)
s.sendall(b"".join(b"GET /files/hello.txt?i=%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(n)))
data = b""
end = time.time() + 10
while time.time() < end and data.count(b"hello pxehub") < n:
    d = s.recv(1 << 20)
    if not d:
        break
    data += d
print(data.count(b"HTTP/1.1 200 OK"), data.count(b"hello pxehub"))
EOF
[ "$(cat "$T/pipe.out")" = "600 600" ] && ok pipelined_600 || not_ok pipelined_600 "$(cat "$T/pipe.out")"
# HEAD, then a request the server refuses: the error after it carries the
# body its Content-Length announces (the HEAD must not strip it)
$IN $PY - >"$T/head400.out" 2>&1 <<'EOF'
import re, socket, time
s = socket.create_connection(("127.0.0.1", 80), timeout=5)
s.sendall(b"HEAD /files/hello.txt HTTP/1.1\r\nHost: x\r\n\r\nBOGUS\x01 / HTTP/1.1\r\n\r\n")
data = b""
end = time.time() + 5
while time.time() < end:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
i = data.find(b"HTTP/1.1 ", 1)  # the answer after the HEAD's (4xx or 501)
head, _, body = data[i:].partition(b"\r\n\r\n")
m = re.search(rb"Content-Length: (\d+)", head)
print(i > 0, m is not None and int(m.group(1)) == len(body) and len(body) > 0)
EOF
[ "$(cat "$T/head400.out")" = "True True" ] && ok head_then_bad_request_has_body ||
	not_ok head_then_bad_request_has_body "$(cat "$T/head400.out")"
len=$($IN curl -sI "$U/files/boot/big.bin" | tr -d '\r' | sed -n 's/^Content-Length: //p')
[ "$len" = 3000000 ] && ok head_content_length || not_ok head_content_length "got $len"
ctype=$($IN curl -sI "$U/files/hello.txt" | tr -d '\r' | sed -n 's/^Content-Type: //p')
[ -n "$ctype" ] && ok content_type || not_ok content_type
etag=$($IN curl -sI "$U/files/hello.txt" | tr -d '\r' | sed -n 's/^ETag: //p')
[ "$(code -H "If-None-Match: $etag" "$U/files/hello.txt")" = 304 ] && ok etag_304 || not_ok etag_304 "etag $etag"
lm=$($IN curl -sI "$U/files/hello.txt" | tr -d '\r' | sed -n 's/^Last-Modified: //p')
[ "$(code -H "If-Modified-Since: $lm" "$U/files/hello.txt")" = 304 ] && ok if_modified_since_304 || not_ok if_modified_since_304
[ "$(code -H 'If-None-Match: "other"' "$U/files/hello.txt")" = 200 ] && ok etag_mismatch_200 || not_ok etag_mismatch_200
$IN wget -q -O "$T/wget.bin" "$U/files/boot/big.bin" && cmp -s "$T/wget.bin" "$T/http/boot/big.bin" &&
	ok wget_download || not_ok wget_download
# wget -c resumes with a Range request
head -c 1234567 "$T/http/boot/big.bin" >"$T/resume.bin"
$IN wget -q -c -O "$T/resume.bin" "$U/files/boot/big.bin" && cmp -s "$T/resume.bin" "$T/http/boot/big.bin" &&
	ok wget_resume || not_ok wget_resume
head -c 67108864 /dev/urandom >"$T/http/boot/64m.bin"
$IN curl -s -o "$T/64m" "$U/files/boot/64m.bin" && cmp -s "$T/64m" "$T/http/boot/64m.bin" &&
	ok large_file_sendfile || not_ok large_file_sendfile
rm -f "$T/64m" "$T/http/boot/64m.bin"
grep -q 'event=download_end.*file=/files/boot/big.bin' "$T/pxehubd.log" &&
	ok event_download_end || not_ok event_download_end

# ---- refusals ---------------------------------------------------------------
for p in "/files/../secret.txt" "/files/%2e%2e/secret.txt" "/files/boot/../../secret.txt" \
         "/files//etc/passwd" "/tftp/../secret.txt" "/files/%2e%2e%2fsecret.txt"; do
	c=$(code --path-as-is "$U$p")
	case $c in 4??) ;; *) not_ok "traversal $p" "status $c"; continue ;; esac
	body=$($IN curl -s --path-as-is "$U$p")
	case $body in *secret*|*root:*) not_ok "traversal $p" "leaked" ;; *) ok "traversal_refused $p" ;; esac
done
[ "$(code "$U/files/hello%00.txt")" = 400 ] && ok nul_refused || not_ok nul_refused
[ "$(code "$U/files/nothere")" = 404 ] && ok not_found || not_ok not_found
[ "$(code -X DELETE "$U/files/hello.txt")" = 405 ] && ok method_405 || not_ok method_405
big=$(head -c 20000 /dev/zero | tr '\0' a)
[ "$(code -H "X-Big: $big" "$U/files/hello.txt")" = 431 ] && ok header_too_large_431 || not_ok header_too_large_431
[ "$(code "$U/files/$(head -c 5000 /dev/zero | tr '\0' b)")" = 414 ] && ok uri_too_long_414 || not_ok uri_too_long_414

# slowloris: a head trickled byte by byte is cut off after header_timeout (1 s)
$IN $PY - >"$T/slow.out" 2>&1 <<'EOF'
import socket, time
s = socket.create_connection(("127.0.0.1", 80), timeout=10)
t0 = time.time()
req = b"GET /files/hello.txt HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
closed = None
for b in req:
    try:
        s.sendall(bytes([b]))
        s.setblocking(False)
        try:
            d = s.recv(4096)
            if d == b"" or d.startswith(b"HTTP/1.1 408"):
                closed = time.time() - t0
                break
        except BlockingIOError:
            pass
        s.setblocking(True)
    except OSError:
        closed = time.time() - t0
        break
    time.sleep(0.1)
print("closed" if closed is not None and closed < 3 else "open", closed)
EOF
case $(cat "$T/slow.out") in closed*) ok slowloris_cut_off ;; *) not_ok slowloris_cut_off "$(cat "$T/slow.out")" ;; esac
# an idle keep-alive connection is closed after idle_timeout (2 s)
$IN $PY - >"$T/idle.out" 2>&1 <<'EOF'
import socket, time
s = socket.create_connection(("127.0.0.1", 80), timeout=10)
s.sendall(b"GET /files/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
t0 = time.time()
data = s.recv(4096)
while True:
    d = s.recv(4096)
    if not d:
        break
print("closed %.1f" % (time.time() - t0))
EOF
case $(cat "$T/idle.out") in "closed 1."*|"closed 2."*|"closed 3."*) ok idle_timeout ;; *) not_ok idle_timeout "$(cat "$T/idle.out")" ;; esac
# a report body that arrives in pieces over longer than header_timeout (1 s)
# but keeps moving (gaps under idle_timeout, 2 s) is read whole
$IN $PY - >"$T/slowbody.out" 2>&1 <<'EOF'
import socket, time
body = b'{"mac": "52:54:00:12:34:56", "status": "started", "step": "slow body"}'
s = socket.create_connection(("127.0.0.1", 80), timeout=10)
s.sendall(b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body))
for i in range(0, len(body), len(body) // 4 + 1):
    time.sleep(0.5)
    s.sendall(body[i:i + len(body) // 4 + 1])
print(s.recv(4096).split(b"\r\n")[0].decode())
EOF
case $(cat "$T/slowbody.out") in "HTTP/1.1 2"*) ok slow_moving_body_read ;;
*) not_ok slow_moving_body_read "$(cat "$T/slowbody.out")" ;; esac
# oversized body on the report endpoint: 413 before the body is read
[ "$(code -H 'Content-Type: application/json' --data-binary "@$T/http/boot/big.bin" "$U/api/v1/report")" = 413 ] &&
	ok report_too_large_413 || not_ok report_too_large_413
# connection cap (max_connections = 8): the 9th gets a 503
$IN $PY - >"$T/cap.out" 2>&1 <<'EOF'
import socket, time
held = [socket.create_connection(("127.0.0.1", 80), timeout=5) for _ in range(8)]
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", 80), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
d = b""
try:
    while True:
        c = s.recv(4096)
        if not c:
            break
        d += c
except OSError:
    pass
print(d.split(b"\r\n")[0].decode())
EOF
[ "$(cat "$T/cap.out")" = "HTTP/1.1 503 Service Unavailable" ] && ok connection_cap_503 || not_ok connection_cap_503 "$(cat "$T/cap.out")"
sleep 2.5 # the held connections time out

# ---- API -------------------------------------------------------------------
$IN curl -s "$U/api/v1/status" >"$T/status.json"
$PY -m json.tool "$T/status.json" >/dev/null && jq -e 'type == "object"' "$T/status.json" >/dev/null &&
	ok status_json || not_ok status_json "$(head -c 200 "$T/status.json")"
[ "$($IN curl -s -o /dev/null -w '%{content_type}' "$U/api/v1/status")" = application/json ] &&
	ok status_content_type || not_ok status_content_type
$IN curl -s "$U/api/v1/clients" >"$T/clients.json"
$PY -m json.tool "$T/clients.json" >/dev/null && grep -q 52:54:00:12:34:56 "$T/clients.json" &&
	ok clients_json || not_ok clients_json "$(head -c 200 "$T/clients.json")"
$IN curl -s "$U/metrics" >"$T/metrics"
if grep -q '^pxehub_http_requests_total{route="boot"} [1-9]' "$T/metrics" &&
   ! grep -vE '^(# (HELP|TYPE) [a-z_:]+ .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+(Inf|NaN)?|)$' "$T/metrics" | grep -q .; then
	ok metrics_text
else
	not_ok metrics_text "$(grep -vE '^(#|pxehub)' "$T/metrics" | head -3)"
fi
$IN curl -s "$U/" | grep -q '<title>pxehub console</title>' && ok status_page || not_ok status_page
rep='{"mac":"52:54:00:12:34:56","status":"osd_start","step":"apply image","progress":10}'
[ "$(code -H 'Content-Type: application/json' --data "$rep" "$U/api/v1/report")" = 202 ] &&
	ok report_accepted || not_ok report_accepted
wait_for grep -q 'event=report.*action=osd_start' "$T/pxehubd.log" && ok event_report || not_ok event_report
[ "$(code -H 'Content-Type: application/json' --data '{"mac": ' "$U/api/v1/report")" = 400 ] &&
	ok report_bad_json_400 || not_ok report_bad_json_400
[ "$(code -H 'Content-Type: application/json' --data '{"status":"x"}' "$U/api/v1/report")" = 422 ] &&
	ok report_missing_mac_422 || not_ok report_missing_mac_422
[ "$(code -H 'Content-Type: application/json' --data '[1,2]' "$U/api/v1/report")" = 400 ] &&
	ok report_not_object_400 || not_ok report_not_object_400
n429=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	[ "$(code -H 'Content-Type: application/json' --data "$rep" "$U/api/v1/report")" = 429 ] && n429=$((n429 + 1))
done
[ $n429 -gt 0 ] && ok report_rate_limited || not_ok report_rate_limited "no 429 in 15 quick reports"

# ---- token: a second server with api_token and require_auth ---------------
kill "$PXH_PID"; wait "$PXH_PID" 2>/dev/null
pxh_conf "$T/t.conf"
cat >>"$T/t.conf" <<EOF
[dhcp]
enabled = no
[tftp]
port = 0
[http]
port = 80
https_port = 0
api_token = s3cret-token
require_auth = yes
EOF
PXH_LOG=$T/t.log pxh_daemon "$T/t.conf" "$NS" || { not_ok token_daemon; exit 1; }
$IN curl -s -o /dev/null "$U/boot.ipxe?$FACTS"
[ "$(code "$U/api/v1/status")" = 401 ] && ok token_required || not_ok token_required
[ "$(code -H 'Authorization: Bearer wrong' "$U/api/v1/status")" = 401 ] && ok token_wrong_refused || not_ok token_wrong_refused
[ "$(code -H 'Authorization: Bearer s3cret-token' "$U/api/v1/status")" = 200 ] && ok token_accepted || not_ok token_accepted
[ "$(code -H 'Content-Type: application/json' --data "$rep" "$U/api/v1/report")" = 401 ] && ok report_needs_token || not_ok report_needs_token
[ "$(code "$U/metrics")" = 401 ] && ok metrics_needs_token || not_ok metrics_needs_token
[ "$(code "$U/files/hello.txt")" = 200 ] && ok files_stay_open || not_ok files_stay_open
kill "$PXH_PID"; wait "$PXH_PID" 2>/dev/null
# token set, require_auth off: anonymous callers see no client facts
sed -i 's/^require_auth = yes/require_auth = no/' "$T/t.conf"
PXH_LOG=$T/t2.log pxh_daemon "$T/t.conf" "$NS" || { not_ok token_daemon2; exit 1; }
$IN curl -s -o /dev/null "$U/boot.ipxe?$FACTS"
anon=$($IN curl -s "$U/api/v1/clients")
auth=$($IN curl -s -H 'Authorization: Bearer s3cret-token' "$U/api/v1/clients")
case $anon in *SER-4711*) not_ok facts_hidden_from_anonymous "serial visible" ;; *52:54:00*) ok facts_hidden_from_anonymous ;; *) not_ok facts_hidden_from_anonymous "$anon" ;; esac
case $auth in *SER-4711*) ok facts_shown_with_token ;; *) not_ok facts_shown_with_token "$auth" ;; esac
exit 0
