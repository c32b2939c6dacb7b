#!/bin/sh
# syslog_stifler against a real rsyslog, in a private network namespace:
# UDP (RFC 5426), TCP with octet counting (RFC 6587), TLS (RFC 5425) with and
# without a client certificate.  rsyslog parses each message (RFC 5424
# parser, mmpstrucdata for the structured data) into JSON, which is compared
# event by event with what the test did: HTTP /boot.ipxe, a progress report
# whose values carry '"', '\' and ']', an HTTP download, a TFTP download and
# a PXE request on 4011.  The octet-counted framing is checked on the wire
# with tshark; TLS refusals (wrong CA, missing client certificate) are
# checked in the log and the counters.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/syslog_lib.sh"
pxh_init
sl_need test_syslog_stifler
NS=$(pxh_netns sl)
TOOLS=$SL_TOOLS
PY=$SL_PY

sl_pki && ok "test certificates made" || { not_ok "test certificates made"; exit 1; }

# ---- rsyslog: one ruleset (and output file) per listener ------------------------
RC=$T/rsyslog.conf
sl_rsyslog_conf "$RC"
sl_listener "$RC" udp 'type="imudp" address="127.0.0.1" port="5514"'
sl_listener "$RC" tcp 'type="imtcp" address="127.0.0.1" port="5515"'
sl_listener "$RC" filter 'type="imtcp" address="127.0.0.1" port="5516"'
sl_listener "$RC" tls 'type="imtcp" address="127.0.0.1" port="6514" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"'
sl_listener "$RC" mtls 'type="imtcp" address="127.0.0.1" port="6515" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid"'
if ! rsyslogd -N1 -f "$RC" >"$T/rs-check.log" 2>&1; then
	not_ok "rsyslog config valid" "$(tail -3 "$T/rs-check.log")"; exit 1
fi
if sl_rsyslog "$RC" main 6515 && wait_for sl_listening 5515; then
	ok "rsyslog listens (udp, tcp, tls, tls with client certificates)"
else not_ok "rsyslog listens" "$(tail -3 "$T/rsyslog-main.log")"; exit 1; fi

# wire capture of the plain TCP target, for the framing check
pxh_tshark "$NS" "$T/tcp.pcap" -q -i lo -f "tcp port 5515 or udp dst port 5514" || { not_ok capture "tshark"; exit 1; }

# ---- pxehubd with the plugin ------------------------------------------------------
sl_pxh_conf "$T/pxehub.conf"
cat >"$T/plugins.d/syslog_stifler.conf" <<EOF
[syslog_stifler]
enabled = yes
hostname = pxe1.example.org
[syslog_stifler.u]
host = 127.0.0.1
port = 5514
[syslog_stifler.t]
host = 127.0.0.1
port = 5515
transport = tcp
[syslog_stifler.f]
host = 127.0.0.1
port = 5516
transport = tcp
events = report
facility = daemon
[syslog_stifler.s]
host = 127.0.0.1
port = 6514
transport = tls
ca = $P/ca.pem
[syslog_stifler.m]
host = localhost
port = 6515
transport = tls
ca = $P/ca.pem
cert = $P/cli.pem
key = $P/cli.key
[syslog_stifler.wrongca]
host = 127.0.0.1
port = 6514
transport = tls
ca = $P/other.pem
[syslog_stifler.nocert]
host = 127.0.0.1
port = 6515
transport = tls
ca = $P/ca.pem
EOF
out=$("$PXHD" -t -c "$T/pxehub.conf" 2>&1) && ok "pxehubd -t accepts the plugin config" \
	|| not_ok "pxehubd -t accepts the plugin config" "$out"
# The shipped config: every example line uncommented passes -t, and each of
# its keys is in the documentation.
mkdir -p "$T/shipped"
sed 's/^enabled = no/enabled = yes/; s/^#\([a-z_[]\)/\1/' "$PXH_TOP/etc/plugins.d/syslog_stifler.conf" \
	>"$T/shipped/syslog_stifler.conf"
sed "s|^conf_dir = .*|conf_dir = $T/shipped|" "$T/pxehub.conf" >"$T/shipped.conf"
out=$("$PXHD" -t -c "$T/shipped.conf" 2>&1) && ok "shipped syslog_stifler.conf, examples enabled, passes -t" \
	|| not_ok "shipped syslog_stifler.conf passes -t" "$out"
undoc=$(sed -n 's/^\([a-z_]*\) = .*/\1/p' "$T/shipped/syslog_stifler.conf" | sort -u | while read -r k; do
	[ "$k" = enabled ] || [ "$k" = priority ] || grep -q "\`$k\`" "$PXH_TOP/docs/plugins/syslog_stifler.md" || echo "$k"; done)
[ -z "$undoc" ] && ok "every shipped key is in docs/plugins/syslog_stifler.md" \
	|| not_ok "every shipped key is documented" "$undoc"

T0=$(date +%s)
pxh_daemon "$T/pxehub.conf" "$NS" || { not_ok "pxehubd starts with syslog_stifler"; exit 1; }
ok "pxehubd starts with syslog_stifler"
metric() { sl_metric "$@"; }
up_all() { for x in u t f s m; do [ "$(metric ${x}_up)" = 1 ] || return 1; done; }
wait_for up_all && ok "all good targets up" || not_ok "all good targets up" "$(grep syslog_stifler "$T/pxehubd.log" | tail -5)"

wait_lines() { sl_wait_lines "$@"; }

# ---- the clients ------------------------------------------------------------------
MAC=52:54:00:12:34:56
UUID=01234567-89AB-CDEF-0123-456789ABCDEF
inns curl -s -o /dev/null "http://127.0.0.1:8080/boot.ipxe?mac=$MAC&uuid=$UUID"
wait_lines "$T/out-tcp.json" 2
cat >"$T/report.json" <<'EOF'
{"mac": "52:54:00:12:34:56", "uuid": "01234567-89AB-CDEF-0123-456789ABCDEF",
 "status": "a\"b\\c]d", "step": "C:\\x]y\"z é", "message": "says \"hi\" ]\\ ok", "progress": 40}
EOF
code=$(inns curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$T/report.json" http://127.0.0.1:8080/api/v1/report)
[ "$code" = 202 ] || not_ok "report accepted" "HTTP $code"
wait_lines "$T/out-tcp.json" 3
printf 'hi\n' >"$T/http/h.bin"
inns curl -s -o /dev/null http://127.0.0.1:8080/files/h.bin
wait_lines "$T/out-tcp.json" 5
printf 'hello\n' >"$T/tftp/t.bin"
(cd "$T" && inns tftp -m binary 127.0.0.1 -c get t.bin got.bin)
wait_lines "$T/out-tcp.json" 7
inns $PY "$PXH_TOP/tests/integration/dhcp_client.py" request 127.0.0.1 52:54:00:aa:bb:01 7 \
	PXEClient:Arch:00007:UNDI:003000 --timeout 2 >"$T/dhcp.out"
grep -q snponly.efi "$T/dhcp.out" || not_ok "PXE request answered" "$(cat "$T/dhcp.out")"
N=10
for f in udp tcp tls mtls; do wait_lines "$T/out-$f.json" $N; done
wait_lines "$T/out-filter.json" 1
sleep 0.3

# What the test did, as the collector must see it ("?": may be there, "*": any value).
cat >"$T/expect.json" <<EOF
{"msgid": "decision", "sd": {"mac": "$MAC", "uuid": "$UUID", "ip": "127.0.0.1", "arch": "?", "action": "boot", "plugin": "default", "duration": "?"}, "msg": ["decision for $MAC"]}
{"msgid": "script_served", "sd": {"mac": "$MAC", "uuid": "$UUID", "ip": "127.0.0.1", "arch": "?", "action": "boot", "file": "/boot.ipxe", "bytes": "*", "plugin": "default"}, "msg": ["iPXE script for $MAC"]}
{"msgid": "report", "sd": {"mac": "$MAC", "uuid": "$UUID", "ip": "127.0.0.1", "arch": "?", "action": "a\\"b\\\\c]d", "file": "C:\\\\x]y\\"z é", "progress": "40"}, "msg": ["says \\"hi\\" ]\\\\ ok", "(40%)"]}
{"msgid": "download_start", "sd": {"mac": "?", "uuid": "?", "arch": "?", "ip": "127.0.0.1", "action": "start", "file": "/files/h.bin", "bytes": "3"}, "msg": ["/files/h.bin"]}
{"msgid": "download_end", "sd": {"mac": "?", "uuid": "?", "arch": "?", "ip": "127.0.0.1", "action": "end", "file": "/files/h.bin", "bytes": "3", "duration": "*"}, "msg": ["3 bytes"]}
{"msgid": "tftp_start", "sd": {"mac": "?", "uuid": "?", "arch": "?", "ip": "127.0.0.1", "action": "start", "file": "t.bin", "bytes": "6"}, "msg": ["TFTP start t.bin"]}
{"msgid": "tftp_end", "sd": {"mac": "?", "uuid": "?", "arch": "?", "ip": "127.0.0.1", "action": "end", "file": "t.bin", "bytes": "6", "duration": "*"}, "msg": ["TFTP end t.bin"]}
{"msgid": "dhcp_request", "sd": {"mac": "52:54:00:aa:bb:01", "uuid": "$UUID", "ip": "127.0.0.1", "arch": "efi-x64", "action": "request"}, "msg": ["DHCP request from 52:54:00:aa:bb:01 (efi-x64)"]}
{"msgid": "decision", "sd": {"mac": "52:54:00:aa:bb:01", "uuid": "$UUID", "ip": "127.0.0.1", "arch": "efi-x64", "action": "boot", "plugin": "default", "file": "?", "duration": "?"}, "msg": ["decision for 52:54:00:aa:bb:01"]}
{"msgid": "dhcp_decision", "sd": {"mac": "52:54:00:aa:bb:01", "uuid": "$UUID", "ip": "127.0.0.1", "arch": "efi-x64", "action": "boot", "plugin": "default", "file": "snponly.efi"}, "msg": ["DHCP answer to 52:54:00:aa:bb:01: boot snponly.efi by default"]}
EOF
grep '"report"' "$T/expect.json" | sed 's/"msgid": "report"/"pri": 30, &/' >"$T/expect-filter.json"

for f in udp tcp tls mtls; do
	if $TOOLS compare "$T/out-$f.json" "$T/expect.json" --host pxe1.example.org \
		--procid "$PXH_PID" --since "$T0" >"$T/cmp-$f.log" 2>&1; then
		ok "$f: rsyslog got the $N events as sent (header, structured data, escapes, MSG)"
	else not_ok "$f: rsyslog got the $N events as sent" "$(head -5 "$T/cmp-$f.log" | tr '\n' ';')"; fi
done
if $TOOLS compare "$T/out-filter.json" "$T/expect-filter.json" --host pxe1.example.org >"$T/cmp-filter.log" 2>&1; then
	ok "events filter and per-target facility (only report, PRI daemon.info = 30)"
else not_ok "events filter and per-target facility" "$(head -3 "$T/cmp-filter.log" | tr '\n' ';')"; fi

pxh_tshark_stop
# UDP: the probe for an ICMP unreachable is the first message itself, so
# the collector's port sees exactly the N messages, none empty (rsyslog
# skips an empty datagram silently, so only the wire can tell)
udp=$(tshark -r "$T/tcp.pcap" -Y "udp.dstport == 5514" -T fields -e udp.length 2>/dev/null)
n_udp=$(printf '%s\n' "$udp" | grep -c .) n_empty=$(printf '%s\n' "$udp" | grep -cx 8)
[ "$n_udp" = "$N" ] && [ "$n_empty" = 0 ] && ok "udp: $N datagrams on the wire, no empty probe (tshark)" ||
	not_ok "udp: $N datagrams on the wire, no empty probe" "$n_udp datagrams, $n_empty empty"
frames=$($TOOLS octets "$T/tcp.pcap" 5515 2>&1)
[ "$frames" = "$N" ] && ok "tcp: the stream is $N octet-counted frames (RFC 6587), decoded by tshark" \
	|| not_ok "tcp: octet-counted frames on the wire" "$frames"

# ---- counters and TLS refusals ------------------------------------------------------
for x in u t s m; do
	s=$(metric ${x}_sent) d=$(metric ${x}_dropped)
	[ "$s" = $N ] && [ "$d" = 0 ] || not_ok "/metrics: target $x sent $N, dropped 0" "sent=$s dropped=$d"
done
[ "$(metric f_sent)" = 1 ] && ok "/metrics: per-target sent and dropped" || not_ok "/metrics: target f sent 1" "$(metric f_sent)"
[ "$(metric wrongca_up)" = 0 ] && [ "$(metric wrongca_sent)" = 0 ] && [ "$(metric wrongca_queued)" = $N ] \
	&& ok "tls: a collector whose certificate the CA did not sign gets nothing (queued)" \
	|| not_ok "tls: wrong CA refused" "up=$(metric wrongca_up) sent=$(metric wrongca_sent) queued=$(metric wrongca_queued)"
grep -q "target wrongca .*certificate not trusted" "$T/pxehubd.log" \
	&& ok "tls: the log says the certificate is not trusted" \
	|| not_ok "tls: the log says the certificate is not trusted" "$(grep wrongca "$T/pxehubd.log" | tail -2)"
grep -q "target nocert .*client certificate" "$T/pxehubd.log" \
	&& ok "tls: a collector that wants a client certificate: the log says so" \
	|| not_ok "tls: missing client certificate explained" "$(grep nocert "$T/pxehubd.log" | tail -2)"
[ "$(grep -c 'target nocert .*warn\|warn.*target nocert' "$T/pxehubd.log")" -le 2 ] \
	&& ok "tls: a refused target does not flood the log" \
	|| not_ok "tls: a refused target does not flood the log" "$(grep -c nocert "$T/pxehubd.log") lines"
kill -0 $PXH_PID && ok "pxehubd still running" || not_ok "pxehubd still running"
exit $_pxh_failed
