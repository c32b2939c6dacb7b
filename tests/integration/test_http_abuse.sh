#!/bin/sh
# HTTP under abuse (issue 20, item 6), with real sockets against pxehubd:
# a request body trickled one byte at a time is cut at body_timeout (408),
# however often a byte comes; one address holds at most max_per_client
# connections (the next gets 503 and is closed), another address is not
# affected, and a closed connection frees its place.
set -u
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
NS=$(pxh_netns habuse)
pxh_conf "$T/c.conf"
printf '[dhcp]\nenabled = no\n[tftp]\nport = 0\n' >>"$T/c.conf"
sed -i 's/^\[http\]$/[http]\nhttps_port = 0\nbody_timeout = 2s\nmax_per_client = 4/' "$T/c.conf"
pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon "did not start"; exit 1; }

cat >"$T/abuse.py" <<'EOP'
import socket, sys, time

def conn(src="127.0.0.1"):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", 80))
    return s

def trickle():
    # a report body of 100 bytes, one byte every 0.5 s: cut at 2 s
    s = conn()
    s.sendall(b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n")
    t0 = time.time()
    got = b""
    s.settimeout(0.5)
    while time.time() - t0 < 8:
        try:
            s.send(b" ")
        except OSError:
            break
        try:
            d = s.recv(4096)
            if not d:
                break
            got += d
        except socket.timeout:
            continue
        except OSError:
            break
    print("%.1f %s" % (time.time() - t0, got.split(b"\r\n")[0].decode(errors="replace") or "-"))

def status(s):
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    return s.recv(4096).split(b"\r\n")[0].decode()

def cap():
    held = [conn() for _ in range(4)]
    out = [status(held[0])]
    fifth = conn()
    try:
        # the 503 comes at once, before any request (one sent now could
        # meet the closed socket and its reset)
        r = fifth.recv(4096).split(b"\r\n")[0].decode()
        closed = fifth.recv(4096) == b""
    except OSError as e:
        r, closed = "reset", True
    out.append(r + (" closed" if closed else " open"))
    out.append(status(conn("127.0.0.2")))  # another address: its own share
    held.pop().close()
    time.sleep(0.3)
    out.append(status(conn()))  # a place came free
    print("|".join(out))

{"trickle": trickle, "cap": cap}[sys.argv[1]]()
EOP
out=$(ip netns exec "$NS" $PY "$T/abuse.py" trickle 2>&1)
secs=${out%% *}
case "$out" in
*"408 Request Timeout"*) awk -v s="$secs" 'BEGIN { exit !(s >= 1.5 && s <= 4) }' &&
	ok "a body trickled one byte every 0.5 s is cut at body_timeout = 2s (408 after $secs s)" ||
	not_ok "trickled body cut at body_timeout" "$out" ;;
*) not_ok "trickled body cut at body_timeout" "$out" ;;
esac
out=$(ip netns exec "$NS" $PY "$T/abuse.py" cap 2>&1)
if [ "$out" = "HTTP/1.1 200 OK|HTTP/1.1 503 Service Unavailable closed|HTTP/1.1 200 OK|HTTP/1.1 200 OK" ]; then
	ok "max_per_client = 4: the 5th connection gets 503 and is closed, another address and a freed place are served"
else not_ok "max_per_client = 4" "$out"; fi
m=$(ip netns exec "$NS" curl -s http://127.0.0.1/metrics)
echo "$m" | grep -q 'pxehub_http_rejected_total{reason="max_per_client"} 1' &&
	ok "refusals counted in /metrics" || not_ok "refusals counted" "$(echo "$m" | grep rejected | tr '\n' ' ')"
exit $_pxh_failed
