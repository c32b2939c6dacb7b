#!/bin/sh
# referral end to end: two pxehubd in network namespaces, A referring
# clients to B, real clients in a third namespace, and web-service
# stand-ins (python http.server, one over TLS with a test CA) beside A:
#
#   [cl 10.71.0.77] ---+
#   [a  10.71.0.1 ] ---+-- br0 (namespace br)   A: referral, web services on A's loopback
#   [b  10.71.0.2 ] ---+                        B: the other pxehub (+ a static boot.ipxe on :8080)
#
# DHCP phase: a scapy PXE client's DISCOVER and 4011 REQUEST are answered
# by A with next-server B; the loader is then fetched by TFTP from B; iPXE's
# DHCP gets B's boot.ipxe, and following the chain ends in B's client list.
# iPXE phase: curl A's /boot.ipxe, follow the chain like iPXE: B answers and
# lists the MAC.  Web services: script, JSON, DHCP-phase JSON, a slow answer
# (deadline -> default + event), 5xx (failover), TLS verified with the test
# CA (a name the certificate lacks is refused), the first service dying
# (failover) and coming back (health check), all down (default + event).
# Upstream boot scripts: B dies -> the chain and iPXE's DHCP skip it; B back
# -> health check restores it.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_referral # python3-scapy missing"; exit 77; }
[ -x "$PXHD" ] && [ -f "$PXH_PLUGINS/referral.so" ] ||
	{ echo "skip test_referral # pxehubd or referral.so not built"; exit 77; }
for t in curl openssl tftp; do
	command -v $t >/dev/null || { echo "skip test_referral # $t missing"; exit 77; }
done

BR=$(pxh_netns br) A=$(pxh_netns a) BN=$(pxh_netns b) CL=$(pxh_netns cl)
ip -n "$BR" link add br0 type bridge
ip -n "$BR" link set br0 up
for x in "$A a0 10.71.0.1/24 pa" "$BN b0 10.71.0.2/24 pb" "$CL c0 10.71.0.77/24 pc"; do
	set -- $x
	pxh_veth "$1" "$2" "$3" "$BR" "$4" ""
	ip -n "$BR" link set "$4" master br0
done
ip -n "$CL" link set c0 address 52:54:00:71:00:01

# ---- the test CA and the web services' certificate ------------------------
P=$T/pki
mkdir -p "$P"
(
	cd "$P" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=pxehub referral test CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout ws.key -out ws.csr -subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ws.ext &&
	openssl x509 -req -in ws.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out ws.pem \
		-days 2 -extfile ws.ext
) >"$T/pki.log" 2>&1 || { not_ok test_ca "$(tail -3 "$T/pki.log")"; exit 1; }
chmod 755 "$P" && chmod 644 "$P/ca.pem"

# ---- the web services (in A's namespace, loopback) ------------------------
WS=$PXH_TOP/tests/integration/referral_ws.py
WSLOG=$T/ws.log
start_ws() { # NAME ARGS...: background, PID in WS_PID
	_n=$1; shift
	ip netns exec "$A" $PY "$WS" "$@" >"$T/ws_$_n.out" 2>&1 &
	WS_PID=$!
	pxh_track $WS_PID
	wait_for grep -q listening "$T/ws_$_n.out"
}
start_ws primary 8443 primary "$WSLOG" --tls "$P/ws.pem" "$P/ws.key" --down-flag "$T/primary.down"
PRIMARY=$WS_PID
start_ws backup 8082 backup "$WSLOG" --backup
BACKUP=$WS_PID

# ---- B: the other pxehub ----------------------------------------------------
mkdir -p "$T/b"
( T=$T/b; pxh_conf "$T/../b.conf" )
cat >>"$T/b.conf" <<EOF
[dhcp]
enabled = no
[boot]
loader_bios = undionly.kpxe
EOF
printf 'loader from B\n' >"$T/b/tftp/undionly.kpxe"
chmod 644 "$T/b/tftp/undionly.kpxe"
start_b() { PXH_LOG=$1 pxh_daemon "$T/b.conf" "$BN" && B_PID=$PXH_PID; }
start_b "$T/b.log" || { not_ok b_start "$(tail -3 "$T/b.log")"; exit 1; }
# a static upstream boot.ipxe beside B, second in A's failover order
mkdir -p "$T/static"
printf '#!ipxe\necho static upstream\nexit\n' >"$T/static/boot.ipxe"
ip netns exec "$BN" $PY -m http.server 8080 --bind 10.71.0.2 --directory "$T/static" \
	>"$T/static.log" 2>&1 &
pxh_track $!
wait_for ip netns exec "$CL" curl -sf -o /dev/null http://10.71.0.2:8080/boot.ipxe

# ---- A: the referring pxehub --------------------------------------------------
pxh_conf "$T/a.conf"
cat >>"$T/a.conf" <<EOF
[dhcp]
rate_per_mac = 0
duplicate_window = 0
[boot]
loader_bios = undionly.kpxe
decision_timeout = 3s
EOF
printf 'loader from A\n' >"$T/tftp/undionly.kpxe"
cat >"$T/plugins.d/referral.conf" <<EOF
[referral]
enabled = yes
timeout = 5s
connect_timeout = 2s
health_interval = 1s
retry_after = 1h
ca_file = $P/ca.pem

[referral.ws_dhcp]
match = 52:54:00:72:00:05
phase = dhcp
webservice = https://127.0.0.1:8443/answer

[referral.ws]
match = 52:54:00:72
phase = ipxe
webservice = https://127.0.0.1:8443/answer http://127.0.0.1:8082/answer

[referral.badname]
match = 52:54:00:74
phase = ipxe
webservice = https://localhost:8443/answer

[referral.site_b]
match = 52:54:00:71
next_server = 10.71.0.2
loader = undionly.kpxe
script_url = http://10.71.0.2/boot.ipxe http://10.71.0.2:8080/boot.ipxe
EOF
PXH_LOG=$T/a.log pxh_daemon "$T/a.conf" "$A" || { not_ok a_start "$(tail -3 "$T/a.log")"; exit 1; }
A_PID=$PXH_PID
sleep 1.5 # the first health round

dhcp() { ip netns exec "$CL" $PY "$PXH_TOP/tests/integration/dhcp_client.py" "$@" 2>>"$T/client.err"; }
jget() { $PY -c "import json,sys; r=json.loads(sys.stdin.readline() or '{}'); print(r.get('$1',''))"; }
b_clients() { ip netns exec "$CL" curl -s --max-time 5 http://10.71.0.2/api/v1/clients; }
# follow_chain URL: fetch like iPXE does: the first "chain" line's URL,
# ${net0/mac...} filled in, until a script has no chain; prints the last
follow_chain() {
	_u=$1 _i=0
	while [ $_i -lt 5 ]; do
		_s=$(ip netns exec "$CL" curl -s --max-time 5 "$_u")
		_n=$(printf '%s\n' "$_s" | sed -n 's/^chain \(--autofree \)\{0,1\}\([^ ]*\).*/\2/p' | head -1)
		[ -z "$_n" ] && { printf '%s\n' "$_s"; return 0; }
		_u=$(printf '%s' "$_n" | sed "s/\${net0\/mac:hexhyp}/$MAC/; s/\${[^}]*}//g")
		echo "$_u" >>"$T/chain.log"
		_i=$((_i + 1))
	done
	return 1
}

# ---- DHCP phase: firmware sent to B ---------------------------------------------
MAC=52:54:00:71:00:01
j=$(dhcp discover c0 $MAC 0 PXEClient:Arch:00000:UNDI:002001 --from 10.71.0.1 | head -1)
if [ "$(echo "$j" | jget siaddr)" = 10.71.0.2 ] && [ "$(echo "$j" | jget file)" = undionly.kpxe ]; then
	ok dhcp_offer_next_server_is_b
else not_ok dhcp_offer_next_server_is_b "offer '$j'"; fi
j=$(dhcp request 10.71.0.1 $MAC 0 PXEClient:Arch:00000:UNDI:002001 --ciaddr 10.71.0.77)
if [ "$(echo "$j" | jget siaddr)" = 10.71.0.2 ] && [ "$(echo "$j" | jget file)" = undionly.kpxe ]; then
	ok dhcp_4011_ack_next_server_is_b
else not_ok dhcp_4011_ack_next_server_is_b "ack '$j'"; fi
# the firmware's next step: TFTP from siaddr
rm -f "$T/got.kpxe"
(cd "$T" && ip netns exec "$CL" tftp 10.71.0.2 -c get undionly.kpxe got.kpxe) >/dev/null 2>&1
if [ "$(cat "$T/got.kpxe" 2>/dev/null)" = "loader from B" ]; then ok tftp_loader_from_b
else not_ok tftp_loader_from_b "got '$(cat "$T/got.kpxe" 2>/dev/null)'"; fi

# iPXE's DHCP: B's boot.ipxe; the chain ends at B, which lists the MAC
j=$(dhcp discover c0 $MAC 0 PXEClient:Arch:00000:UNDI:002001 --user-class raw --from 10.71.0.1 | head -1)
f=$(echo "$j" | jget file)
if [ "$f" = http://10.71.0.2/boot.ipxe ]; then ok ipxe_dhcp_gets_b_script_url
else not_ok ipxe_dhcp_gets_b_script_url "file '$f'"; fi
s=$(follow_chain "$f")
if printf '%s' "$s" | grep -q '^menu ' && b_clients | grep -q "$MAC"; then
	ok ipxe_dhcp_chain_ends_at_b
else not_ok ipxe_dhcp_chain_ends_at_b "last script '$(printf '%s' "$s" | head -2 | tr '\n' '|')'"; fi

# ---- iPXE phase: an HTTP client at A ends at B ----------------------------------
MAC=52:54:00:71:00:09
s=$(ip netns exec "$CL" curl -s --max-time 5 "http://10.71.0.1/boot.ipxe?mac=$MAC&arch=x86_64&platform=efi&serial=S%201")
if printf '%s\n' "$s" | grep -qx "chain --autofree http://10.71.0.2/boot.ipxe?mac=$MAC&arch=x86_64&platform=efi&serial=S%201 || chain --autofree http://10.71.0.2:8080/boot.ipxe?mac=$MAC&arch=x86_64&platform=efi&serial=S%201 || goto referral_failed"; then
	ok ipxe_script_chains_b_then_static
else not_ok ipxe_script_chains_b_then_static "script '$(printf '%s' "$s" | tr '\n' '|')'"; fi
s=$(follow_chain "http://10.71.0.1/boot.ipxe?mac=$MAC&arch=x86_64&platform=efi")
if printf '%s' "$s" | grep -q '^menu ' && b_clients | grep -q "$MAC"; then ok http_client_ends_at_b
else not_ok http_client_ends_at_b "last '$(printf '%s' "$s" | head -2 | tr '\n' '|')'"; fi

# ---- web services -------------------------------------------------------------------
boot() { ip netns exec "$CL" curl -s --max-time 10 "http://10.71.0.1/boot.ipxe?mac=$1&platform=efi"; }
s=$(boot 52:54:00:72:00:01)
if [ "$s" = "$(printf '#!ipxe\necho ws-script primary ipxe')" ]; then ok ws_tls_script
else not_ok ws_tls_script "got '$(printf '%s' "$s" | tr '\n' '|')'"; fi
# 100 clients at once through the TLS web service: all answered, in time
mkdir -p "$T/par"
seq 1 100 | awk -v d="$T/par" '{printf "url = \"http://10.71.0.1/boot.ipxe?mac=52:54:00:72:%02x:01\"\noutput = \"%s/%d\"\n", $1, d, $1}' >"$T/par.cfg"
t0=$(date +%s%N)
ip netns exec "$CL" curl -s --max-time 20 --parallel --parallel-max 100 --parallel-immediate -K "$T/par.cfg" >/dev/null 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
good=$(grep -l '^echo ws-script primary ipxe$' "$T"/par/* 2>/dev/null | wc -l)
backup=$(grep -l '^echo from-backup backup$' "$T"/par/* 2>/dev/null | wc -l)
echo "# 100 parallel clients through the TLS web service: $good answered by it, $backup by the backup, in $ms ms"
# a loaded machine may push the TLS service past connect_timeout: the
# backup then answers; nobody gets the default
if [ $((good + backup)) = 100 ] && [ "$good" -ge 50 ] && [ $ms -lt 10000 ]; then ok ws_100_parallel_clients
else not_ok ws_100_parallel_clients "$good of 100 in $ms ms"; fi
s=$(boot 52:54:00:72:00:02)
if printf '%s\n' "$s" | grep -qx 'chain http://10.71.0.2/boot.ipxe?mac=52:54:00:72:00:02'; then ok ws_json_chain
else not_ok ws_json_chain "got '$(printf '%s' "$s" | tr '\n' '|')'"; fi
j=$(dhcp discover c0 52:54:00:72:00:05 7 PXEClient:Arch:00007:UNDI:003000 --from 10.71.0.1 | head -1)
if [ "$(echo "$j" | jget siaddr)" = 10.71.0.2 ] && [ "$(echo "$j" | jget file)" = from-ws.efi ]; then
	ok ws_dhcp_json_answer
else not_ok ws_dhcp_json_answer "offer '$j'"; fi

# slow: past the 3 s decision deadline, the default menu and an event
t0=$(date +%s%N)
s=$(boot 52:54:00:72:00:03)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if printf '%s' "$s" | grep -q '^menu ' && [ $ms -ge 2800 ] && [ $ms -lt 4500 ] &&
   grep -q 'plugin referral did not answer within 3000 ms' "$T/a.log"; then
	ok ws_slow_deadline_default_and_event
else not_ok ws_slow_deadline_default_and_event "${ms} ms, '$(printf '%s' "$s" | head -1)'"; fi

# 5xx: the backup answers, the primary is marked down, then back by health check
s=$(boot 52:54:00:72:00:04)
if [ "$s" = "$(printf '#!ipxe\necho from-backup backup')" ] &&
   grep -q 'upstream https://127.0.0.1:8443/answer is down: HTTP 500' "$T/a.log"; then
	ok ws_5xx_failover
else not_ok ws_5xx_failover "got '$(printf '%s' "$s" | tr '\n' '|')'"; fi
if wait_for grep -q 'upstream https://127.0.0.1:8443/answer is back' "$T/a.log"; then
	ok ws_health_check_restores_primary
else not_ok ws_health_check_restores_primary; fi

# TLS: a name the certificate does not carry is refused (not verified)
s=$(boot 52:54:00:74:00:01)
if printf '%s' "$s" | grep -q '^menu ' &&
   grep -q 'rule badname: every web service is down' "$T/a.log" &&
   grep 'upstream https://localhost:8443/answer is down' "$T/a.log" | grep -qi 'certificate\|SSL\|TLS'; then
	ok ws_tls_name_mismatch_refused
else not_ok ws_tls_name_mismatch_refused "$(grep localhost "$T/a.log" | tail -1)"; fi

# the first service dies: failover; it comes back: the health check notices
kill "$PRIMARY"; wait "$PRIMARY" 2>/dev/null
s=$(boot 52:54:00:72:00:01)
if [ "$s" = "$(printf '#!ipxe\necho from-backup backup')" ]; then ok ws_primary_dies_failover
else not_ok ws_primary_dies_failover "got '$(printf '%s' "$s" | tr '\n' '|')'"; fi
n0=$(grep -c 'https://127.0.0.1:8443/answer is back' "$T/a.log")
start_ws primary2 8443 primary "$WSLOG" --tls "$P/ws.pem" "$P/ws.key"
PRIMARY=$WS_PID
wait_for sh -c "[ \$(grep -c 'https://127.0.0.1:8443/answer is back' '$T/a.log') -gt $n0 ]"
s=$(boot 52:54:00:72:00:01)
if [ "$s" = "$(printf '#!ipxe\necho ws-script primary ipxe')" ]; then ok ws_primary_back_by_health_check
else not_ok ws_primary_back_by_health_check "got '$(printf '%s' "$s" | tr '\n' '|')'"; fi

# all down: the default, and an event that says why
kill "$PRIMARY" "$BACKUP"; wait "$PRIMARY" "$BACKUP" 2>/dev/null
sleep 0.5
boot 52:54:00:72:00:01 >/dev/null
s=$(boot 52:54:00:72:00:11)
if printf '%s' "$s" | grep -q '^menu ' &&
   grep -q 'mac=52:54:00:72:00:11.*action=next plugin=referral msg="rule ws: every web service is down' "$T/a.log"; then
	ok ws_all_down_default_and_event
else not_ok ws_all_down_default_and_event "$(grep 52:54:00:72:00:11 "$T/a.log" | tail -2)"; fi

# every service marked down and no health checks: a real request asks them
# anyway, so a service that starts a moment after pxehub answers at once
# (not after retry_after, 30 s).  A second pxehub C beside A (port 8091).
mkdir -p "$T/c/plugins.d"
( T=$T/c; pxh_conf "$T/../c.conf" )
printf '[dhcp]\nenabled = no\n[tftp]\nport = 0\n[http]\nport = 8091\nhttps_port = 0\n' >>"$T/c.conf"
printf '[referral]\nenabled = yes\ntimeout = 1s\nhealth_interval = 0\n[referral.late]\nmatch = 52:54:00:72\nphase = ipxe\nwebservice = http://127.0.0.1:8093/answer\n' \
	>"$T/c/plugins.d/referral.conf"
if PXH_LOG=$T/c.log pxh_daemon "$T/c.conf" "$A"; then
	cboot() { ip netns exec "$A" curl -s --max-time 10 "http://127.0.0.1:8091/boot.ipxe?mac=$1&platform=efi"; }
	s1=$(cboot 52:54:00:72:00:01)
	start_ws late 8093 late "$WSLOG"
	LATE=$WS_PID
	s2=$(cboot 52:54:00:72:00:01)
	if printf '%s' "$s1" | grep -q '^menu ' && grep -q 'upstream http://127.0.0.1:8093/answer is down' "$T/c.log" &&
	   [ "$s2" = "$(printf '#!ipxe\necho ws-script late ipxe')" ]; then
		ok ws_all_down_still_asked_on_a_real_request
	else not_ok ws_all_down_still_asked_on_a_real_request "before '$(printf '%s' "$s1" | head -1)', after '$(printf '%s' "$s2" | tr '\n' '|')'"; fi
	kill "$LATE" "$PXH_PID"; wait "$LATE" "$PXH_PID" 2>/dev/null
else not_ok ws_all_down_still_asked_on_a_real_request "C did not start: $(tail -3 "$T/c.log")"; fi

# ---- upstream boot scripts: B dies, B comes back --------------------------------------
kill "$B_PID"; wait "$B_PID" 2>/dev/null
if wait_for grep -q 'upstream http://10.71.0.2/boot.ipxe is down' "$T/a.log"; then
	s=$(boot 52:54:00:71:00:21)
	j=$(dhcp discover c0 52:54:00:71:00:21 0 PXEClient:Arch:00000:UNDI:002001 --user-class raw --from 10.71.0.1 | head -1)
	if printf '%s\n' "$s" | grep -q '^chain --autofree http://10.71.0.2:8080/boot.ipxe?mac=52:54:00:71:00:21&platform=efi || goto' &&
	   [ "$(echo "$j" | jget file)" = http://10.71.0.2:8080/boot.ipxe ] &&
	   [ "$(follow_chain "http://10.71.0.1/boot.ipxe?mac=52:54:00:71:00:21")" = "$(printf '#!ipxe\necho static upstream\nexit')" ]; then
		ok b_dies_clients_go_to_second_upstream
	else not_ok b_dies_clients_go_to_second_upstream "script '$(printf '%s' "$s" | tr '\n' '|')', dhcp file '$(echo "$j" | jget file)'"; fi
else not_ok b_dies_clients_go_to_second_upstream "B not found down"; fi
start_b "$T/b2.log" || not_ok b_restart "$(tail -3 "$T/b2.log")"
if wait_for grep -q 'upstream http://10.71.0.2/boot.ipxe is back' "$T/a.log"; then
	s=$(boot 52:54:00:71:00:22)
	if printf '%s\n' "$s" | grep -q '^chain --autofree http://10.71.0.2/boot.ipxe?mac=52:54:00:71:00:22'; then
		ok b_back_by_health_check
	else not_ok b_back_by_health_check "script '$(printf '%s' "$s" | tr '\n' '|')'"; fi
else not_ok b_back_by_health_check "not back"; fi

# figures
m=$(ip netns exec "$A" curl -s --max-time 5 http://127.0.0.1/metrics)
if printf '%s\n' "$m" | grep -q '^pxehub_plugin_referral_failovers [1-9]' &&
   printf '%s\n' "$m" | grep -q '^pxehub_plugin_referral_all_down [1-9]' &&
   printf '%s\n' "$m" | grep -q '^pxehub_plugin_referral_referred_dhcp [1-9]'; then
	ok metrics
else not_ok metrics "$(printf '%s\n' "$m" | grep referral | tr '\n' ' ')"; fi
# a reload (SIGHUP) keeps referring
kill -HUP "$A_PID"
wait_for grep -q 'reload' "$T/a.log"
sleep 0.5
s=$(boot 52:54:00:71:00:23)
if kill -0 "$A_PID" 2>/dev/null &&
   printf '%s\n' "$s" | grep -q '^chain --autofree http://10.71.0.2/boot.ipxe?mac=52:54:00:71:00:23'; then
	ok reload_keeps_referring
else not_ok reload_keeps_referring "script '$(printf '%s' "$s" | tr '\n' '|')'; $(tail -2 "$T/a.log")"; fi
# a reload while a web-service ask is in flight (the slow stand-in answers
# after 4 s): the old plugin set goes when that ask ends, from the loop,
# never from inside the answer's own callback
n=$(grep -c 'server: reloaded' "$T/a.log")
boot 52:54:00:72:00:03 >/dev/null &
SLOW=$!
sleep 0.5
kill -HUP "$A_PID"
wait $SLOW
sleep 2
s=$(boot 52:54:00:71:00:23)
if kill -0 "$A_PID" 2>/dev/null && [ "$(grep -c 'server: reloaded' "$T/a.log")" -gt "$n" ] &&
   printf '%s\n' "$s" | grep -q '^chain --autofree http://10.71.0.2/boot.ipxe?mac=52:54:00:71:00:23'; then
	ok reload_during_slow_ask
else not_ok reload_during_slow_ask "script '$(printf '%s' "$s" | tr '\n' '|')'; $(tail -2 "$T/a.log")"; fi
exit $_pxh_failed
