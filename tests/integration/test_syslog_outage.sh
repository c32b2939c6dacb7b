#!/bin/sh
# syslog_stifler when collectors go away or stall (real rsyslog, private
# network namespace):
# - rsyslog stopped mid-run and started again: TCP and TLS targets lose
#   nothing within their queue bound, in order, and pxehubd keeps answering
#   clients meanwhile;
# - a collector that is away longer than the queue holds: exactly the bound
#   arrives (drop-oldest keeps the newest, drop-newest the oldest) and the
#   rest is counted as dropped;
# - a collector that accepts TCP but never reads: PXE (DHCP port 4011)
#   reply latency stays what it is without it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/syslog_lib.sh"
pxh_init
sl_need test_syslog_outage
NS=$(pxh_netns so)
sl_pki || { not_ok "test certificates made"; exit 1; }

RC=$T/rsyslog.conf
sl_rsyslog_conf "$RC"
sl_listener "$RC" tcp 'type="imtcp" address="127.0.0.1" port="5515"'
sl_listener "$RC" tls 'type="imtcp" address="127.0.0.1" port="6514" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"'
RC2=$T/rsyslog-late.conf
sl_rsyslog_conf "$RC2"
sl_listener "$RC2" qold 'type="imtcp" address="127.0.0.1" port="5517"'
sl_listener "$RC2" qnew 'type="imtcp" address="127.0.0.1" port="5518"'
sl_rsyslog "$RC" main 6514 || { not_ok "rsyslog starts" "$(tail -3 "$T/rsyslog-main.log")"; exit 1; }
RS1=$RS_PID

sl_pxh_conf "$T/pxehub.conf"
cat >"$T/plugins.d/syslog_stifler.conf" <<EOF
[syslog_stifler]
enabled = yes
[syslog_stifler.t]
host = 127.0.0.1
port = 5515
transport = tcp
queue_size = 1000
reconnect_min = 100ms
reconnect_max = 400ms
[syslog_stifler.s]
host = 127.0.0.1
port = 6514
transport = tls
ca = $P/ca.pem
queue_size = 1000
reconnect_min = 100ms
reconnect_max = 400ms
[syslog_stifler.qold]
host = 127.0.0.1
port = 5517
transport = tcp
events = report
queue_size = 5
overflow = drop-oldest
reconnect_max = 300ms
[syslog_stifler.qnew]
host = 127.0.0.1
port = 5518
transport = tcp
events = report
queue_size = 5
overflow = drop-newest
reconnect_max = 300ms
[syslog_stifler.stall]
host = 127.0.0.1
port = 5519
transport = tcp
queue_size = 50
reconnect_min = 100ms
reconnect_max = 300ms
[syslog_stifler.uaway]
host = 127.0.0.1
port = 5530
transport = udp
queue_size = 300
overflow = drop-oldest
reconnect_min = 100ms
reconnect_max = 300ms
[syslog_stifler.tstall]
host = 127.0.0.1
port = 5520
transport = tls
ca = $P/ca.pem
queue_size = 20
overflow = drop-oldest
reconnect_min = 100ms
reconnect_max = 300ms
EOF
pxh_daemon "$T/pxehub.conf" "$NS" || { not_ok "pxehubd starts"; exit 1; }
up() { [ "$(sl_metric ${1}_up)" = 1 ]; }
wait_for up t && wait_for up s || not_ok "targets up" "$(grep syslog_stifler "$T/pxehubd.log" | tail -3)"

boot() { # N: GET /boot.ipxe for MAC ...:N; prints the HTTP status
	inns curl -s -o /dev/null -m 5 -w '%{http_code}' \
		"http://127.0.0.1:8080/boot.ipxe?mac=52:54:00:00:00:$(printf %02x "$1")"
}
# the MACs of the script_served events in FILE, one a line
served() { grep '"msgid":"script_served"' "$1" | sed 's/.*"mac": "\([^"]*\)".*/\1/'; }

# ---- 1. collector stopped and restarted ------------------------------------
for i in 1 2 3 4 5; do boot $i >/dev/null; done
sl_wait_lines "$T/out-tcp.json" 10 && sl_wait_lines "$T/out-tls.json" 10 \
	|| not_ok "events before the outage arrive" "tcp $(sl_lines "$T/out-tcp.json") tls $(sl_lines "$T/out-tls.json")"
sl_stop $RS1 && ok "rsyslog stopped" || not_ok "rsyslog stopped"
# No waiting for the plugin to notice: the clients come at once.
codes="" slow=0
for i in $(seq 6 25); do
	t0=$(date +%s%N)
	codes="$codes$(boot $i)"
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ] || slow=$((slow + 1))
done
[ "$codes" = "$(printf '200%.0s' $(seq 6 25))" ] && [ $slow = 0 ] \
	&& ok "pxehubd keeps serving while the collector is away (20 scripts, each < 1 s)" \
	|| not_ok "pxehubd keeps serving while the collector is away" "codes=$codes slow=$slow"
qt=$(sl_metric t_queued) qs=$(sl_metric s_queued)
[ "$qt" = 40 ] && [ "$qs" = 40 ] && ok "tcp and tls: the 40 events wait in the queue" \
	|| not_ok "tcp and tls: the 40 events wait in the queue" "t_queued=$qt s_queued=$qs"
sleep 1 # a few reconnect attempts fail meanwhile
sl_rsyslog "$RC" main 6514 || not_ok "rsyslog restarts"
RS1=$RS_PID
for f in tcp tls; do
	sl_wait_lines "$T/out-$f.json" 50
	want=$(for i in $(seq 1 25); do printf '52:54:00:00:00:%02x\n' $i; done)
	got=$(served "$T/out-$f.json")
	n=$(sl_lines "$T/out-$f.json")
	if [ "$got" = "$want" ] && [ "$n" = 50 ]; then
		ok "$f: after the restart all 50 events arrived once, in order"
	else not_ok "$f: after the restart all 50 events arrived once, in order" "$n lines; $(echo $got | tr ' ' ,)"; fi
done
r=$(sl_metric t_reconnects) d=$(sl_metric t_dropped) q=$(sl_metric t_queued)
[ "$r" = 1 ] && [ "$d" = 0 ] && [ "$q" = 0 ] && [ "$(sl_metric s_reconnects)" = 1 ] \
	&& ok "/metrics: reconnects 1, dropped 0, queued 0" \
	|| not_ok "/metrics after the restart" "reconnects=$r dropped=$d queued=$q"
grep -q "target t: connected to 127.0.0.1:5515 again" "$T/pxehubd.log" \
	&& ok "the log says the target is back" || not_ok "the log says the target is back"

# ---- 2. away longer than the queue holds -----------------------------------------
for i in 1 2 3 4 5 6 7 8; do
	printf '{"mac": "52:54:00:00:01:%02x", "status": "step", "step": "r%d"}' $i $i >"$T/r.json"
	inns curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$T/r.json" \
		http://127.0.0.1:8080/api/v1/report
done
sl_rsyslog "$RC2" late 5518 || not_ok "second rsyslog starts"
sl_wait_lines "$T/out-qold.json" 5; sl_wait_lines "$T/out-qnew.json" 5
sleep 0.5
steps() { sed 's/.*"file": "\([^"]*\)".*/\1/' "$1" | tr '\n' ' '; }
[ "$(steps "$T/out-qold.json")" = "r4 r5 r6 r7 r8 " ] && [ "$(sl_metric qold_dropped)" = 3 ] \
	&& ok "queue of 5, drop-oldest: the newest 5 of 8 arrive, 3 counted dropped" \
	|| not_ok "queue of 5, drop-oldest" "got: $(steps "$T/out-qold.json") dropped=$(sl_metric qold_dropped)"
[ "$(steps "$T/out-qnew.json")" = "r1 r2 r3 r4 r5 " ] && [ "$(sl_metric qnew_dropped)" = 3 ] \
	&& ok "queue of 5, drop-newest: the oldest 5 of 8 arrive, 3 counted dropped" \
	|| not_ok "queue of 5, drop-newest" "got: $(steps "$T/out-qnew.json") dropped=$(sl_metric qnew_dropped)"
[ "$(sl_metric dropped)" -ge 6 ] && ok "/metrics: the total dropped counts every target" \
	|| not_ok "/metrics: total dropped" "$(sl_metric dropped)"

# ---- 3. a collector that accepts TCP and never reads ---------------------------
# Baseline: no collector on the stall port (connections refused).
base=$(inns $SL_PY "$PXH_TOP/tests/integration/syslog_tools.py" dhcp_rtt 127.0.0.1 40)
ip netns exec "$NS" $SL_TOOLS stall 5519 60 "$T/stall.ready" &
ST_PID=$!
pxh_track $ST_PID
wait_for test -f "$T/stall.ready"
wait_for up stall || not_ok "stall target connects" "$(sl_metric stall_state)"
# Events until the socket buffers and the queue of 50 are full (bounded:
# 10 rounds of 500 scripts).
sd0=$(sl_metric stall_dropped) served_n=0 i=0 t0=$(date +%s)
while [ $i -lt 10 ]; do
	served_n=$((served_n + $(inns $SL_TOOLS boot_load 127.0.0.1 8080 500 20)))
	i=$((i + 1))
	[ "$(sl_metric stall_queued)" = 50 ] && [ "$(sl_metric stall_dropped)" -gt "$sd0" ] && break
done
sd=$(sl_metric stall_dropped) sq=$(sl_metric stall_queued)
if [ "$sq" = 50 ] && [ "$sd" -gt "$sd0" ] && [ "$served_n" = $((i * 500)) ]; then
	ok "stalled collector: $served_n scripts served in $(( $(date +%s) - t0 )) s, its queue full (50), $((sd - sd0)) events dropped"
else not_ok "stalled collector fills its queue" "served=$served_n of $((i * 500)) queued=$sq dropped=$sd0->$sd"; fi
stalled=$(inns $SL_TOOLS dhcp_rtt 127.0.0.1 40)
echo "# PXE 4011 round trip (median p95 max ms, answered of 40): no collector: $base; stalled collector: $stalled"
set -- $base; bmed=$1
set -- $stalled; smed=$1 sp95=$2 sn=$4
if [ "$sn" = 40 ] && awk -v b="$bmed" -v s="$smed" -v p="$sp95" \
	'BEGIN { exit !(s <= 2 * b + 5 && p <= 100) }'; then
	ok "stalled collector: PXE reply latency unchanged (median $smed ms vs $bmed ms)"
else not_ok "stalled collector: PXE reply latency unchanged" "no collector: $base; stalled: $stalled"; fi
[ "$(sl_metric t_up)" = 1 ] && [ "$(sl_metric t_dropped)" = 0 ] \
	&& ok "other targets unaffected by the stalled one" \
	|| not_ok "other targets unaffected" "t_up=$(sl_metric t_up) t_dropped=$(sl_metric t_dropped)"

# ---- 4. reload: targets are made again from the new config ------------------
n0=$(sl_lines "$T/out-tcp.json")
kill -HUP $PXH_PID
wait_for grep -q "server: reloaded" "$T/pxehubd.log" || not_ok "SIGHUP reloads" "$(tail -3 "$T/pxehubd.log")"
[ "$(boot 200)" = 200 ] && sl_wait_lines "$T/out-tcp.json" $((n0 + 2)) \
	&& [ "$(served "$T/out-tcp.json" | tail -1)" = "52:54:00:00:00:c8" ] \
	&& ok "after a reload (SIGHUP) events still reach the collector" \
	|| not_ok "after a reload events still reach the collector" "$(sl_lines "$T/out-tcp.json") lines, was $n0"

# ---- 5. TLS: a collector that stalls, then reads again ---------------------------
# GnuTLS keeps a record it could not send and sends it on the next call:
# drop-oldest must not free that message meanwhile, or the stream after it
# is broken (MSG-LEN of one message, bytes of another).
ip netns exec "$NS" $SL_TOOLS tlsstall 5520 4 "$T/tstall.ready" "$P/srv.pem" "$P/srv.key" \
	>"$T/tstall.out" 2>&1 &
TS_PID=$!
pxh_track $TS_PID
wait_for test -f "$T/tstall.ready"
wait_for up tstall || not_ok "tls stall target connects" "$(sl_metric tstall_state)"
td0=$(sl_metric tstall_dropped)
inns $SL_TOOLS boot_load 127.0.0.1 8080 1500 3 >/dev/null
td=$(sl_metric tstall_dropped)
wait $TS_PID; rc=$?
if [ $rc = 0 ] && [ "$td" -gt "$td0" ] && kill -0 $PXH_PID; then
	ok "stalled TLS collector, queue overflowing: $(cat "$T/tstall.out") whole frames after it reads again, $((td - td0)) dropped"
else not_ok "stalled TLS collector: whole frames" "rc=$rc dropped $td0->$td: $(tail -2 "$T/tstall.out" | tr '\n' ' ')"; fi

# ---- 6. UDP: a collector that is away, then back ----------------------------------
# connect() on UDP always works: after a failure one datagram goes first,
# and the queue follows only if no ICMP unreachable came back for it: while
# the collector is away nothing counts as sent (each blind datagram would be
# a lost event: on a real network the ICMP is a round trip late)
s0=$(sl_metric uaway_sent)
for i in $(seq 1 30); do
	inns curl -s -o /dev/null -m 5 "http://127.0.0.1:8080/boot.ipxe?mac=52:54:00:00:02:$(printf %02x $i)"
done
sleep 1 # several retries while nobody listens
s1=$(sl_metric uaway_sent)
[ "$s1" = "$s0" ] && ok "udp collector away: nothing sent blind over 1 s of retries" ||
	not_ok "udp collector away: nothing sent blind" "sent $s0 -> $s1"
ip netns exec "$NS" $SL_TOOLS udprecv 5530 4 "$T/urecv.ready" >"$T/urecv.out" 2>&1 &
UR=$!
pxh_track $UR
wait $UR
n=$(grep -c '^52:54:00:00:02:' "$T/urecv.out")
[ "$n" = 30 ] && ok "udp collector away, then back: all 30 machines' events arrived" ||
	not_ok "udp collector away, then back: all events arrive" "$n of 30; queued $(sl_metric uaway_queued) dropped $(sl_metric uaway_dropped)"
kill -0 $PXH_PID && ok "pxehubd still running" || not_ok "pxehubd still running"
exit $_pxh_failed
