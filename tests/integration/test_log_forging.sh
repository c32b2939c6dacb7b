#!/bin/sh
# Log forging (issue 20, item 3): "\n<0>" sent through every path a client
# reaches (TFTP RRQ file name, HTTP path, HTTP query, report body, DHCP
# vendor and user class) must stay inside one line: in pxehubd's stderr
# log (what journald reads, "<N>" at a line start being a priority) and at
# a real rsyslog collector fed by syslog_stifler over UDP.  Each hostile
# value carries a marker; every line holding a marker must hold it escaped
# ("\x0a<0>MARK"), and no line may start with "<0>".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/syslog_lib.sh"
pxh_init
sl_need test_log_forging
NS=$(pxh_netns lf)
PY=$SL_PY

sl_pki >/dev/null 2>&1 || true
RC=$T/rsyslog.conf
sl_rsyslog_conf "$RC"
sl_listener "$RC" udp 'type="imudp" address="127.0.0.1" port="5514"'
sl_listener "$RC" tcp 'type="imtcp" address="127.0.0.1" port="5515"'
if sl_rsyslog "$RC" main 5515; then ok "rsyslog collector listens"
else not_ok "rsyslog collector listens" "$(tail -3 "$T/rsyslog-main.log")"; exit 1; fi

sl_pxh_conf "$T/pxehub.conf"
cat >"$T/plugins.d/syslog_stifler.conf" <<EOF
[syslog_stifler]
enabled = yes
[syslog_stifler.u]
host = 127.0.0.1
port = 5514
EOF
pxh_daemon "$T/pxehub.conf" "$NS" || { not_ok "pxehubd starts"; exit 1; }
ok "pxehubd starts with syslog_stifler (udp)"
up() { [ "$(sl_metric u_up)" = 1 ]; }
wait_for up || not_ok "udp target up"

printf 'x\n' >"$T/tftp/ok.bin"
printf 'x\n' >"$T/http/ok.bin"
MAC=52:54:00:66:00:01

# TFTP: an RRQ whose file name is "M1\n<0>M1forged" (a raw datagram: no
# client would send it)
ip netns exec "$NS" $PY - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(b"\x00\x01tftp1\n<0>TFTPFORGED\x00octet\x00", ("127.0.0.1", 69))
try:
    s.recvfrom(600)
except OSError:
    pass
EOF
# HTTP: a path and a query with a newline, a report whose members have one
ip netns exec "$NS" curl -s -o /dev/null "http://127.0.0.1:8080/files/http1%0a<0>PATHFORGED"
ip netns exec "$NS" curl -s -o /dev/null "http://127.0.0.1:8080/boot.ipxe?mac=$MAC&serial=q%0a<0>QUERYFORGED&product=p%0d%0a<0>QUERYFORGED"
ip netns exec "$NS" curl -s -o /dev/null "http://127.0.0.1:8080/files/ok.bin?mac=$MAC%0a<0>QUERYFORGED"
code=$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary '{"mac": "52:54:00:66:00:01", "status": "s\n<0>x", "step": "t\n<0>REPORTFORGED", "message": "m\r\n<0>REPORTFORGED"}' \
	http://127.0.0.1:8080/api/v1/report)
[ "$code" = 202 ] && ok "hostile report accepted (202)" || not_ok "hostile report accepted" "HTTP $code"
# DHCP: a PXE request to 4011 whose vendor and user class carry "\n<0>"
ip netns exec "$NS" $PY - "$PXH_TOP/tests/integration" <<'EOF'
import socket, sys
sys.path.insert(0, sys.argv[1])
from dhcp_client import request_bytes, opt
p = request_bytes("52:54:00:66:00:02", 0x6601, 3, 7, "PXEClient:Arch:00007\n<0>DHCPFORGED")
p = p[:-1] + opt(77, b"u\n<0>DHCPFORGED") + b"\xff"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(p, ("127.0.0.1", 4011))
try:
    s.recvfrom(1500)
except OSError:
    pass
EOF
# every hostile request left at least one event at the collector
wait_marks() { for m in REPORTFORGED; do grep -q "$m" "$T/out-udp.json" || return 1; done; }
wait_for wait_marks || not_ok "events reach the collector" "$(cat "$T/out-udp.json" 2>/dev/null | tail -3)"
sleep 0.3

# ---- the daemon's own log (stderr, what journald reads) ----------------------------
L=$T/pxehubd.log
for m in TFTPFORGED PATHFORGED QUERYFORGED REPORTFORGED DHCPFORGED; do
	n=$(grep -c "$m" "$L")
	# escaped by the log, or still percent-encoded as the client sent it
	bad=$(grep "$m" "$L" | grep -v -e '\\x0[ad]<0>'"$m" -e '%0[ad]<0>'"$m" | head -2)
	if [ "$n" -gt 0 ] && [ -z "$bad" ]; then ok "log: every line with $m has it escaped ($n lines)"
	elif [ "$m" = DHCPFORGED ] && [ "$n" = 0 ]; then
		# the DHCP facts reader turns control characters into '?' before any log
		grep -q '?<0>DHCPFORGED\|<0>DHCPFORGED' "$L" && not_ok "log: $m" "raw" || ok "log: $m never reaches the log raw"
	else not_ok "log: $m escaped" "n=$n: $bad"; fi
done
bad=$(grep -n '^<0>[A-Z]*FORGED\|^[A-Z]*FORGED' "$L" | head -3)
[ -z "$bad" ] && ok "log: no line starts with a forged priority" || not_ok "log: forged line start" "$bad"

# ---- the collector: one message per event, nothing raw ----------------------------
out=$($PY - "$T/out-udp.json" <<'EOF'
import json, sys
bad = []
n = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        d = json.loads(line)
    except ValueError:
        bad.append("not JSON: " + line[:80]); continue
    text = d.get("msg", "") + json.dumps(d.get("sd", {}))
    if "FORGED" not in text:
        continue
    n += 1
    if "\n" in text or "\r" in text or "#012" in text or "#015" in text:
        bad.append("raw control: " + text[:120])
    if d.get("msg", "").startswith("<0>") or "\\x0a<0>" not in text:
        bad.append("unescaped: " + text[:120])
print("%d %s" % (n, " | ".join(bad[:3])))
EOF
)
case $out in
[1-9]*" ") ok "collector: every event with a marker has it escaped (${out% })" ;;
*) not_ok "collector: events escaped" "$out" ;;
esac
exit $_pxh_failed
