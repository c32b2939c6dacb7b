#!/bin/sh
# The live event stream (GET /api/v1/events), pxehubctl watch/history and
# the console's JSON routes, against a pxehubd that real clients use: scapy
# DHCP, tftp-hpa, curl.  A subscriber gets every event in order; a filter
# by MAC keeps one machine's; a slow subscriber loses events with a count
# (and is told), one that reads nothing is cut off, and neither holds up
# DHCP or TFTP; every new route obeys the auth settings (anonymous, token,
# client certificate).
#
#   [c 10.53.0.77] -- veth -- [srv 10.53.0.1] pxehubd
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
CL="$PY $PXH_TOP/tests/integration/dhcp_client.py"
CT="$PY $PXH_TOP/tests/integration/console_tools.py"
for t in curl tftp certtool bc; do
	command -v $t >/dev/null 2>&1 || { echo "skip test_events # $t missing"; exit 77; }
done
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_events # python3-scapy missing"; exit 77; }

SRV=$(pxh_netns srv) C=$(pxh_netns c)
pxh_veth "$SRV" s0 10.53.0.1/24 "$C" c0 10.53.0.77/24
INC="ip netns exec $C"
U=http://10.53.0.1
TOK=s3cret-token
M1=52:54:00:53:00:01 M2=52:54:00:53:00:02
ip -n "$C" link set c0 address $M1

# a client certificate from a site CA
P=$T/pki
mkdir -p "$P"
printf 'cn = pxe test CA\nca\ncert_signing_key\nexpiration_days = 30\n' >"$P/ca.tmpl"
printf 'cn = admin\ntls_www_client\nsigning_key\nexpiration_days = 30\n' >"$P/cli.tmpl"
for k in ca cli; do certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$P/$k.key" >/dev/null 2>&1; done
certtool --generate-self-signed --load-privkey "$P/ca.key" --template "$P/ca.tmpl" --outfile "$P/ca.pem" >/dev/null 2>&1
certtool --generate-certificate --load-privkey "$P/cli.key" --load-ca-certificate "$P/ca.pem" \
	--load-ca-privkey "$P/ca.key" --template "$P/cli.tmpl" --outfile "$P/cli.pem" >/dev/null 2>&1
chmod 644 "$P"/*

pxh_conf "$T/pxehub.conf"
sed -i '/^\[http\]/d; /^root = .*http$/d' "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOC
[boot]
loader_bios = undionly.kpxe
[dhcp]
rate_per_mac = 0
[http]
root = $T/http
api_token = $TOK
client_ca = $P/ca.pem
send_timeout = 3s
max_event_streams = 8
EOC
head -c 300000 /dev/urandom >"$T/tftp/undionly.kpxe"
head -c 200000 /dev/urandom >"$T/http/image.bin"
LONG=$(printf 'n%.0s' $(seq 1 180))
echo x >"$T/http/$LONG"
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start "see log"; exit 1; }
ctl() { ip netns exec "$C" "$PXHCTL" -c /dev/null "$@"; }
streams() {
	ip netns exec "$SRV" curl -s -H "Authorization: Bearer $TOK" "$U/metrics" |
		awk '$1 == "pxehub_event_streams" {print $2}'
}
# wait_streams N: until N subscribers are in (5 s at most)
wait_streams() {
	_i=0
	while [ $_i -lt 50 ]; do [ "$(streams)" = "$1" ] && return 0; sleep 0.1; _i=$((_i + 1)); done
	return 1
}

# ---- one boot, watched by five subscribers -------------------------------------
$INC curl -sN -H "Authorization: Bearer $TOK" "$U/api/v1/events" >"$T/all.sse" 2>/dev/null &
pxh_track $!
$INC curl -sN -H "Authorization: Bearer $TOK" "$U/api/v1/events?mac=$M1" >"$T/m1.sse" 2>/dev/null &
pxh_track $!
$INC curl -sN "$U/api/v1/events?kind=tftp_start,tftp_end" >"$T/anon.sse" 2>/dev/null &
pxh_track $!
ctl watch --url "$U" --token "$TOK" --mac $M1 --count 12 --for 30 >"$T/watch.txt" 2>"$T/watch.err" &
WATCH=$!
ctl watch --url "$U" --token "$TOK" --json --count 3 >"$T/watch.json" 2>&1 &
WATCHJ=$!
pxh_track $WATCH
pxh_track $WATCHJ
wait_streams 5 || not_ok subscribers_up "$(streams)"

$INC $CL discover c0 $M1 0 PXEClient:Arch:00000:UNDI:002001 --from 10.53.0.1 >"$T/offer.json" 2>>"$T/client.err"
[ -s "$T/offer.json" ] && ok dhcp_offer || not_ok dhcp_offer "no reply $(tail -3 "$T/client.err")"
# the boot server request on 4011 (ciaddr: the address the site's server gave)
$INC $CL request 10.53.0.1 $M1 0 PXEClient:Arch:00000:UNDI:002001 --ciaddr 10.53.0.77 >"$T/ack.json" 2>>"$T/client.err"
[ -s "$T/ack.json" ] && ok dhcp_4011_ack || not_ok dhcp_4011_ack "no reply $(tail -3 "$T/client.err")"
(cd "$T" && $INC tftp -m binary 10.53.0.1 -c get undionly.kpxe got.kpxe)
cmp -s "$T/got.kpxe" "$T/tftp/undionly.kpxe" && ok tftp_download || not_ok tftp_download "tftp-hpa got $(wc -c <"$T/got.kpxe" 2>/dev/null)"
SERIAL='<img src=x onerror=alert(1)>'
$INC curl -s -G "$U/boot.ipxe" --data-urlencode "mac=$M1" --data-urlencode "serial=$SERIAL" \
	--data-urlencode "uuid=01234567-89ab-cdef-0123-456789abcdef" -o "$T/script.ipxe"
$INC curl -s "$U/files/image.bin?mac=$M1" -o "$T/image.bin"
cmp -s "$T/image.bin" "$T/http/image.bin" && ok http_download || not_ok http_download
$INC $CL discover c0 $M2 7 PXEClient:Arch:00007:UNDI:003016 --from 10.53.0.1 >/dev/null 2>>"$T/client.err"
sleep 1

$CT sse-check "$T/all.sse" >"$T/all.json" 2>"$T/all.err" || not_ok stream_is_json "$(cat "$T/all.err")"
# every event once, in order, and one boot's events in the order they happen
out=$($PY - "$T/all.json" $M1 <<'EOP'
import json, sys
evs = [e["data"] for e in json.load(open(sys.argv[1])) if e["event"] == "message"]
seqs = [e["seq"] for e in evs]
assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "gaps or disorder: %s" % seqs
times = [e["time"] for e in evs]
assert times == sorted(times), "times go back"
m1 = [e["event"] for e in evs if e.get("mac") == sys.argv[2]]
want = ["dhcp_request", "dhcp_decision", "tftp_start", "tftp_end", "script_served",
        "download_start", "download_end"]
pos = [m1.index(w) for w in want]
assert pos == sorted(pos), "order %s" % m1
t = [e for e in evs if e["event"] == "tftp_end"][0]
assert t["bytes"] == 300000 and t["file"] == "undionly.kpxe", t
assert any(e.get("uuid") for e in evs), "authenticated subscriber sees UUIDs"
print(len(evs))
EOP
) && ok "stream_in_order ($out events)" || not_ok stream_in_order "$out"
out=$($CT sse-check "$T/m1.sse" | $PY -c 'import json,sys
e=[x["data"] for x in json.load(sys.stdin)]
macs=set(x.get("mac") for x in e)
assert macs=={sys.argv[1]}, macs
assert len(e)>=7, len(e)
print(len(e))' $M1 2>&1) && ok "mac_filter ($out events, one machine)" || not_ok mac_filter "$out"
out=$($CT sse-check "$T/anon.sse" | $PY -c 'import json,sys
e=[x["data"] for x in json.load(sys.stdin)]
assert [x["event"] for x in e]==["tftp_start","tftp_end"], e
assert not any("uuid" in x for x in e), "uuid shown to anonymous"
print("ok")' 2>&1) && ok kind_filter_and_anonymous_facts_hidden || not_ok kind_filter_and_anonymous_facts_hidden "$out"
# the hostile serial: never raw in the stream (a page could show it)
if grep -q '<img' "$T/all.sse"; then not_ok stream_escapes_markup "$(grep -m1 '<img' "$T/all.sse")"
else ok stream_escapes_markup; fi

wait $WATCH
rc=$?
[ $rc = 0 ] && grep -q "$M1 .*tftp_end .*undionly.kpxe 293.0 KiB" "$T/watch.txt" &&
	grep -q "$M1 .*dhcp_request" "$T/watch.txt" && ! grep -qv " $M1 " "$T/watch.txt" && ok ctl_watch_plain ||
	not_ok ctl_watch_plain "rc=$rc $(cat "$T/watch.txt" "$T/watch.err" | head -20)"
wait $WATCHJ
rc=$?
n=$($PY -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["event"]))' "$T/watch.json" 2>&1)
[ $rc = 0 ] && [ "$n" = 3 ] && ok ctl_watch_json_count || not_ok ctl_watch_json_count "rc=$rc n=$n $(head -3 "$T/watch.json")"

# ---- one machine's story ---------------------------------------------------------
ctl history --url "$U" --token "$TOK" --json $M1 >"$T/story.json"
rc=$?
out=$($PY - "$T/story.json" "$T/all.json" $M1 <<'EOP'
import json, sys
s = json.load(open(sys.argv[1]))
evs = [e["data"] for e in json.load(open(sys.argv[2])) if e["event"] == "message"]
assert s["serial"] == "<img src=x onerror=alert(1)>", s.get("serial")
b = s["boots"][-1]
steps = [x["event"] for x in b["steps"]]
stream = [e["event"] for e in evs if e.get("mac") == sys.argv[3]]
assert steps == stream, "story %s != stream %s" % (steps, stream)
assert b["decision"]["verdict"], b
assert [d["file"] for d in b["downloads"]] == ["undionly.kpxe", "/files/image.bin"], b["downloads"]
assert b["downloads"][0]["bytes"] == 300000 and b["downloads"][1]["bytes"] == 200000
ph = [p["phase"] for p in b["phases"]]
assert ph[0] == "dhcp" and "loader" in ph and "image" in ph, ph
print(len(steps))
EOP
)
[ $rc = 0 ] && [ -n "$out" ] && ok "history_json ($out steps, same order as the stream)" || not_ok history_json "rc=$rc $out"
ctl history --url "$U" --token "$TOK" $M1 >"$T/story.txt"
rc=$?
[ $rc = 0 ] && grep -q '^  decision: ' "$T/story.txt" && grep -q 'download: tftp undionly.kpxe 293.0 KiB' "$T/story.txt" &&
	grep -q 'serial  *<img src=x onerror=alert(1)>' "$T/story.txt" && ok history_plain ||
	not_ok history_plain "rc=$rc $(head -20 "$T/story.txt")"
ctl history --url "$U" --token "$TOK" 52:54:00:99:99:99 >/dev/null 2>"$T/h404.err"
rc=$?
[ $rc = 1 ] && grep -q 'HTTP 404' "$T/h404.err" && ok history_unknown_machine || not_ok history_unknown_machine "rc=$rc $(cat "$T/h404.err")"

# ---- a slow subscriber: drops with a count, never holds up DHCP/TFTP -------------
$INC $CT slow 10.53.0.1 80 /api/v1/events 8 "$T/slow.json" &
SLOW=$!
pxh_track $SLOW
$INC $CT hold 10.53.0.1 80 /api/v1/events &
pxh_track $!
wait_streams 5 || not_ok slow_subscribers_up "$(streams)"
$INC $CT flood 10.53.0.1 80 "/files/$LONG" 6000 >"$T/flood.out" &
FLOOD=$!
pxh_track $FLOOD
sleep 1
# while both are stuck and the flood goes on: DHCP and TFTP answer at once
# (the answer to a request on 4011, timed in the client; tftp-hpa's file)
dt=$($INC $CT dhcp-rtt 10.53.0.1 52:54:00:53:00:03 10.53.0.77)
t1=$(date +%s.%N)
(cd "$T" && $INC timeout 5 tftp -m binary 10.53.0.1 -c get undionly.kpxe got2.kpxe)
t2=$(date +%s.%N)
tt=$(echo "$t2 - $t1" | bc)
if [ "$(echo "$dt >= 0 && $dt < 0.5" | bc)" = 1 ] && cmp -s "$T/got2.kpxe" "$T/tftp/undionly.kpxe" &&
   [ "$(echo "$tt < 1.5" | bc)" = 1 ]; then
	ok "dhcp_and_tftp_not_held_by_slow_subscribers (dhcp ${dt}s, tftp ${tt}s)"
else not_ok dhcp_and_tftp_not_held_by_slow_subscribers "dhcp ${dt}s tftp ${tt}s"; fi
wait $FLOOD
wait $SLOW
out=$($PY - "$T/slow.json" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
ids, dropped = r["ids"], r["dropped"]
assert dropped and dropped[0] > 0, "no dropped notice: %d events" % len(ids)
gaps = sum(b - a - 1 for a, b in zip(ids, ids[1:]))
assert gaps > 0, "no gap in %d ids" % len(ids)
print("%d missed, told %s, %d received" % (gaps, dropped[0], len(ids)))
EOP
) && ok "slow_subscriber_drops_and_is_told ($out)" || not_ok slow_subscriber_drops_and_is_told "$out"
d=$($INC curl -s -H "Authorization: Bearer $TOK" "$U/metrics" | awk '$1 == "pxehub_event_stream_dropped_total" {print $2}')
[ "${d:-0}" -gt 0 ] && ok "dropped_counted ($d)" || not_ok dropped_counted "dropped_total=$d"
# the one that never reads is cut off after send_timeout (3 s): all, m1, anon stay
wait_streams 3 && ok never_reading_subscriber_cut_off || not_ok never_reading_subscriber_cut_off "streams=$(streams)"

# ---- the cap on subscribers (8) ----------------------------------------------------
EXTRA=""
for i in 1 2 3 4 5; do
	$INC curl -sN "$U/api/v1/events" >/dev/null 2>&1 &
	EXTRA="$EXTRA $!"
	pxh_track $!
done
wait_streams 8
c=$($INC curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/events")
[ "$c" = 503 ] && ok max_event_streams_503 || not_ok max_event_streams_503 "status $c"
kill $EXTRA 2>/dev/null
wait_streams 3

# ---- auth on every new route ------------------------------------------------------
ROUTES="/api/v1/now /api/v1/series /api/v1/clients/$M1"
code() { $INC curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@"; }
bad=""
for r in $ROUTES; do
	[ "$(code "$U$r")" = 200 ] || bad="$bad anon:$r"
done
$INC curl -s "$U/api/v1/clients/$M1" | grep -q '"serial"' && bad="$bad serial-shown-to-anonymous"
$INC curl -s -H "Authorization: Bearer $TOK" "$U/api/v1/clients/$M1" | grep -q '"serial"' || bad="$bad serial-hidden-from-token"
[ -z "$bad" ] && ok anonymous_reads_without_facts || not_ok anonymous_reads_without_facts "$bad"

echo "require_auth = yes" >>"$T/pxehub.conf"
kill -HUP $PXH_PID
i=0
while [ $i -lt 50 ] && [ "$(code "$U/api/v1/now")" != 401 ]; do sleep 0.1; i=$((i + 1)); done
# the anonymous subscriber is cut off by that reload; all and m1 (token) stay
wait_streams 2 && ok reload_to_require_auth_ends_anonymous_stream ||
	not_ok reload_to_require_auth_ends_anonymous_stream "streams=$(streams)"
bad=""
for r in $ROUTES /api/v1/events /; do
	c=$(code "$U$r"); [ "$c" = 401 ] || bad="$bad anon:$r=$c"
	c=$(code -H "Authorization: Bearer wrong" "$U$r"); [ "$c" = 401 ] || bad="$bad wrong:$r=$c"
	c=$(code -k "https://10.53.0.1:8050$r"); [ "$c" = 401 ] || bad="$bad nocert:$r=$c"
	[ "$r" = /api/v1/events ] && continue
	c=$(code -H "Authorization: Bearer $TOK" "$U$r"); [ "$c" = 200 ] || bad="$bad token:$r=$c"
	c=$(code -k --cert "$P/cli.pem" --key "$P/cli.key" "https://10.53.0.1:8050$r"); [ "$c" = 200 ] || bad="$bad cert:$r=$c"
done
# the stream itself with a token and with a certificate (its head only)
c=$(code --max-time 1 -H "Authorization: Bearer $TOK" "$U/api/v1/events"); [ "$c" = 200 ] || bad="$bad token:events=$c"
c=$(code --max-time 1 -k --cert "$P/cli.pem" --key "$P/cli.key" "https://10.53.0.1:8050/api/v1/events"); [ "$c" = 200 ] || bad="$bad cert:events=$c"
[ -z "$bad" ] && ok require_auth_on_every_new_route || not_ok require_auth_on_every_new_route "$bad"

# a stream over TLS (client certificate): events arrive, and a quiet TLS
# stream costs the daemon nothing (no busy loop on a writable socket)
$INC curl -sN -k --cert "$P/cli.pem" --key "$P/cli.key" "https://10.53.0.1:8050/api/v1/events?kind=download_end" >"$T/tls.sse" 2>/dev/null &
pxh_track $!
wait_streams 3
$INC curl -s "$U/files/image.bin" -o /dev/null
sleep 0.5
ticks() { awk '{print $14 + $15}' /proc/$PXH_PID/stat; }
t0=$(ticks)
sleep 2
t1=$(ticks)
if grep -q '"event":"download_end"' "$T/tls.sse" && [ $((t1 - t0)) -lt 20 ]; then
	ok "tls_stream_delivers_and_idles ($((t1 - t0)) ticks in 2 s)"
else not_ok tls_stream_delivers_and_idles "$((t1 - t0)) ticks in 2 s; $(head -c 300 "$T/tls.sse")"; fi

ctl watch --url "$U" --for 1 >/dev/null 2>"$T/w401.err"
rc=$?
[ $rc = 1 ] && grep -q 'HTTP 401' "$T/w401.err" && ok ctl_watch_needs_token || not_ok ctl_watch_needs_token "rc=$rc $(cat "$T/w401.err")"
kill $PXH_PID
wait $PXH_PID 2>/dev/null
exit $_pxh_failed
