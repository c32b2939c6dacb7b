#!/bin/sh
# Benchmark: proxy OFFERs per second, pxehubd vs dnsmasq in proxy mode.
#
# perfdhcp (Kea, package kea-admin) runs in its own namespace as a relay
# (giaddr) with a PXE vendor class, arch 7 and a UUID, DISCOVER/OFFER only
# (-i), single thread, 100000 client MACs so the per-MAC rate limit does not
# decide the figure.  Each server has its own namespace and link to
# perfdhcp's, all run at once (idle while another is measured), and they
# are measured in turn at each rate of a ladder (the order rotates from run
# to run): a slow spell of the shared machine hits them alike.  A server's
# figure is the highest rate answered with under 1% drops; a step that
# fails is tried once more, then the interval between the last rate passed
# and the failed one is halved twice.
#
# Servers:
#   pxehub   pxehubd, [boot] default decision, no plugin
#   dnsmasq  dnsmasq proxy mode, one pxe-service for x64 UEFI
#   reflect  bench/dhcp_reflect.c: turns each DISCOVER into an OFFER and
#            nothing else; its figure is what perfdhcp itself can drive on
#            this machine (a server near it is limited by the instrument)
# Logging, both ways by default (BENCH_DHCP_LOGGING="quiet shipped"):
#   quiet    no line per request on either side (pxehub [log] level =
#            warning, dnsmasq quiet-dhcp)
#   shipped  each server's default: pxehub level info (a line per event,
#            three events and one offer line per request), dnsmasq one
#            line per request; both to a file
# perfdhcp gets an 8 MiB receive buffer (bench/dhcp_rcvbuf.c, preloaded;
# BENCH_PERFDHCP_RCVBUF=0 leaves its default): with the default, replies a
# fast server sends while perfdhcp is busy sending are dropped by perfdhcp
# and counted as the server's loss.  Drops are located: the server's and
# perfdhcp's socket buffer overflows (UdpRcvbufErrors of each namespace).
# A step where perfdhcp could not send 95% of the rate asked is marked
# "perfdhcp saturated": there the instrument, not the server, is the limit.
# The server's CPU time per reply (all threads, /proc schedstat) at CPU_RATE
# (30000/s, where pxehubd takes requests in batches) is its cost apart from
# what perfdhcp can drive.  Reply latency p50/p99 comes from packet
# timestamps (tcpdump on the server's link, BENCH_LAT_SECONDS at LAT_RATE),
# since perfdhcp prints no percentiles; the reflector's p99 is the share of
# the machine (scheduling on a shared host) in everyone's.
# Event-stream subscribers (BENCH_DHCP_STREAMS, default 10; 0 = off): the
# server pxehub-streams is pxehub-quiet with that many slow subscribers on
# GET /api/v1/events (tests/integration/console_tools.py trickle: 64 KiB
# read every 100 ms, a 4 KiB receive buffer: 640 KB/s, a twentieth of
# what 10000 offers/s make), so every event is formatted and queued for
# them and most are dropped; its figure beside pxehub-quiet's is what the
# live stream costs the DHCP path.  The subscribers still connected are
# counted after each run (one cut off for taking nothing in send_timeout
# would no longer cost anything).
# dnsmasq keeps the default socket receive buffer (~200 KiB), pxehubd asks
# for 4 MiB: a server descheduled for a few ms on a busy host drops or
# queues accordingly, which is part of what is measured.
#
#   sh bench/dhcp.sh    (root; B=build dir; BENCH_RUNS=3; SECONDS_PER_STEP=4)
#   BASE=/path/to/pxehubd   also run another build (e.g. the previous
#                           commit's) as server base-LOGGING, interleaved
#                           with the others: "before/after" in one run
# Prints "dhcp: ..." lines, medians with their range, and "dhcp ratio"
# lines; raw figures in $B/bench/dhcp-DATE/.
set -u
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PXHD=$TOP/$B/sbin/pxehubd
BASE=${BASE:-}
STEP=${SECONDS_PER_STEP:-4}
RUNS=${BENCH_RUNS:-3}
RATES=${RATES:-10000 20000 30000 40000 50000 60000 80000 100000}
LAT_RATE=${LAT_RATE:-5000}
LAT_SECS=${BENCH_LAT_SECONDS:-3}
CPU_RATE=${CPU_RATE:-30000}
NSTREAMS=${BENCH_DHCP_STREAMS:-10}
LOGGING=${BENCH_DHCP_LOGGING:-quiet shipped}
for t in perfdhcp dnsmasq tcpdump tshark cc; do
	command -v $t >/dev/null 2>&1 || { echo "dhcp: skipped ($t missing; perfdhcp is in kea-admin)"; exit 0; }
done
[ -x "$PXHD" ] || { echo "dhcp: skipped (build pxehubd first)"; exit 0; }
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "dhcp: BASE $BASE is not a program"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "dhcp: skipped (needs root)"; exit 0; }

T=$(mktemp -d /tmp/pxh-bench-dhcp.XXXXXX)
chmod 755 "$T"
OUT=$TOP/$B/bench/dhcp-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RAW=$OUT/raw.csv
LAT=$OUT/latency.csv
CPU=$OUT/cpu.csv
echo "run,server,rate,sent,received,loss_permille,server_rcvbuf_drops,client_rcvbuf_drops" >"$RAW"
echo "run,server,replies,p50_us,p99_us" >"$LAT"
echo "run,server,rate,sent,received,cpu_us_per_reply" >"$CPU"
C=pxhb$$c
PIDS=""
NSS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for n in $NSS; do ip netns del "$n" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cc -O2 -o "$T/dhcp_reflect" "$TOP/bench/dhcp_reflect.c" || { echo "dhcp: reflector does not build"; exit 1; }
# perfdhcp's socket receive buffer (bench/dhcp_rcvbuf.c); 0 = its default
RCVBUF=${BENCH_PERFDHCP_RCVBUF:-8388608}
PRE=""
if [ "$RCVBUF" -gt 0 ]; then
	cc -shared -fPIC -O2 -o "$T/dhcp_rcvbuf.so" "$TOP/bench/dhcp_rcvbuf.c" -ldl ||
		{ echo "dhcp: bench/dhcp_rcvbuf.c does not build"; exit 1; }
	PRE="env PXH_RCVBUF=$RCVBUF LD_PRELOAD=$T/dhcp_rcvbuf.so"
fi
ip netns add $C
NSS=$C
ip -n $C link set lo up

VC=$(printf 'PXEClient:Arch:00007:UNDI:003000' | od -An -tx1 | tr -d ' \n')
UUID=0067452301ab89efcd0123456789abcdef

# per server K (1, 2, ...): namespace pxhb$$sK, link bsK (10.70.K.1) to
# bcK (10.70.K.2) in perfdhcp's namespace
SERVERS=reflect
for m in $LOGGING; do
	SERVERS="$SERVERS pxehub-$m dnsmasq-$m"
	[ -n "$BASE" ] && SERVERS="$SERVERS base-$m"
done
[ "$NSTREAMS" -gt 0 ] && SERVERS="$SERVERS pxehub-streams"
index_of() {
	k=1
	for n in $SERVERS; do
		[ "$n" = "$1" ] && { echo $k; return; }
		k=$((k + 1))
	done
}

# rcvbuf_drops NETNS: UDP datagrams dropped for a full socket buffer so far
rcvbuf_drops() {
	ip netns exec "$1" cat /proc/net/snmp | awk '
		$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next }
		$1 == "Udp:" && h { print $c + 0; exit }'
}

# perfdhcp_run K RATE SECONDS -> "sent received"
perfdhcp_run() {
	ip netns exec $C timeout $(($3 + 10)) $PRE perfdhcp -4 -i -g single -R 100000 \
		-l 10.70.$1.2 -o 60,$VC -o 93,0007 -o 97,$UUID -r "$2" -p "$3" -W 200000 \
		10.70.$1.1 >"$T/perf.out" 2>&1
	sent=$(sed -n 's/^ *sent packets: *\([0-9]*\).*/\1/p' "$T/perf.out" | head -1)
	recv=$(sed -n 's/^ *received packets: *\([0-9]*\).*/\1/p' "$T/perf.out" | head -1)
	echo "${sent:-0} ${recv:-0}"
}

# start_server NAME: its namespace, link and daemon; the PID in $T/pid.NAME
start_server() {
	k=$(index_of $1) ns=pxhb$$s$k d=$T/$1
	ip netns add $ns
	NSS="$NSS $ns"
	ip -n $ns link set lo up
	ip link add bs$k netns $ns type veth peer name bc$k netns $C
	ip -n $ns addr add 10.70.$k.1/24 dev bs$k
	ip -n $C addr add 10.70.$k.2/24 dev bc$k
	ip -n $ns link set bs$k up
	ip -n $C link set bc$k up
	mkdir -p "$d"
	case $1 in
	pxehub-*|base-*)
		bin=$PXHD
		[ "${1%%-*}" = base ] && bin=$BASE
		level=warning
		[ "${1#*-}" = shipped ] && level=info
		hport=0
		[ "$1" = pxehub-streams ] && hport=8080
		mkdir -p "$d/tftp" "$d/http" "$d/state" "$d/plugins.d"
		chown nobody "$d/state"
		cat >"$d/pxehub.conf" <<EOF
[server]
user = nobody
state_dir = $d/state
[log]
level = $level
[plugins]
dir = $TOP/$B/lib/pxehub/plugins
conf_dir = $d/plugins.d
[tftp]
root = $d/tftp
[http]
root = $d/http
port = $hport
https_port = 0
max_event_streams = $((NSTREAMS + 1))
[access]
allow = all
[boot]
loader_efi_x64 = snponly.efi
[dhcp]
# perfdhcp is one relay: the per-destination reply cap would measure itself
replies_per_destination = 0
EOF
		ip netns exec $ns "$bin" -f -c "$d/pxehub.conf" >"$d/pxehubd.log" 2>&1 &
		pid=$! ;;
	dnsmasq-*)
		cat >"$d/dnsmasq.conf" <<EOF
port=0
interface=bs$k
bind-interfaces
dhcp-range=10.70.$k.0,proxy
pxe-service=X86-64_EFI,"boot",snponly.efi
log-facility=$d/dnsmasq.log
EOF
		[ "$1" = dnsmasq-quiet ] && echo quiet-dhcp >>"$d/dnsmasq.conf"
		ip netns exec $ns dnsmasq -k -u root -C "$d/dnsmasq.conf" >"$d/dnsmasq.out" 2>&1 &
		pid=$! ;;
	reflect)
		ip netns exec $ns "$T/dhcp_reflect" &
		pid=$! ;;
	esac
	PIDS="$PIDS $pid"
	echo $pid >"$T/pid.$1"
	i=0
	while [ $i -lt 300 ] && ! ip netns exec $ns ss -Huln 'sport = :67' | grep -q .; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$1" = pxehub-streams ]; then
		j=0
		while [ $j -lt "$NSTREAMS" ]; do
			ip netns exec $ns /usr/bin/python3 "$TOP/tests/integration/console_tools.py" \
				trickle 127.0.0.1 8080 /api/v1/events &
			PIDS="$PIDS $!"
			j=$((j + 1))
		done
		sleep 1
		n=$(ip netns exec $ns ss -Htn state established 'sport = :8080' | wc -l)
		echo "dhcp: pxehub-streams: $n event-stream subscribers connected"
	fi
}

# try_rate NAME RATE: one step (a failed one is tried once more); sets OK
# (1 when under 1% was lost), GOT (replies per second), SAT (perfdhcp sent
# under 95% of the rate)
try_rate() {
	OK=0 GOT=0 SAT=0 name=$1 rate=$2 k=$(index_of $1)
	for try in 1 2; do
		s0=$(rcvbuf_drops pxhb$$s$k) c0=$(rcvbuf_drops $C)
		set -- $(perfdhcp_run $k "$rate" "$STEP")
		sent=$1 recv=$2
		sd=$(($(rcvbuf_drops pxhb$$s$k) - s0)) cd=$(($(rcvbuf_drops $C) - c0))
		[ "$sent" -gt 0 ] || return
		lost=$(( (sent - recv) * 1000 / sent ))
		[ $((sent * 100)) -lt $((rate * STEP * 95)) ] && SAT=1
		echo "$RUN,$name,$rate,$sent,$recv,$lost,$sd,$cd" >>"$RAW"
		echo "dhcp: run $RUN $name rate=$rate/s sent=$sent received=$recv ($((recv / STEP))/s) loss=$((lost / 10)).$((lost % 10))% (full socket buffer: server $sd, perfdhcp $cd)$([ $SAT = 1 ] && echo ' perfdhcp saturated')"
		if [ "$lost" -lt 10 ]; then
			OK=1 GOT=$((recv / STEP))
			return
		fi
	done
}

# the figures of NAME in this run: best, last rate passed, first failed
record() {
	if [ $OK = 1 ]; then
		[ $GOT -gt "$(cat "$T/best.$RUN.$1")" ] && echo $GOT >"$T/best.$RUN.$1"
		echo $2 >"$T/lo.$1"
	else
		echo $2 >"$T/hi.$1"
	fi
	[ $SAT = 1 ] && echo "$RUN" >>"$T/sat.$RUN.$1"
}

# cpu_ns PID: CPU time of all its threads so far, nanoseconds
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f\n", t }'
}

# cpu_per_reply NAME: CPU time per reply at CPU_RATE
cpu_per_reply() {
	pid=$(cat "$T/pid.$1") k=$(index_of $1)
	c0=$(cpu_ns $pid)
	set -- "$1" $(perfdhcp_run $k "$CPU_RATE" "$STEP")
	c1=$(cpu_ns $pid)
	us=$(awk -v a="$c0" -v b="$c1" -v n="$3" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / n / 1000; else print 0 }')
	echo "$RUN,$1,$CPU_RATE,$2,$3,$us" >>"$CPU"
	echo "dhcp: run $RUN $1 cpu=${us}us per reply at $CPU_RATE/s (sent=$2 received=$3)"
}

# latency NAME: p50/p99 DISCOVER->OFFER from packet timestamps
latency() {
	k=$(index_of $1)
	ip netns exec pxhb$$s$k tcpdump -Z root -i bs$k -n -s 0 -U -w "$T/lat.pcap" udp port 67 >/dev/null 2>&1 &
	td=$!
	sleep 1
	perfdhcp_run $k "$LAT_RATE" "$LAT_SECS" >/dev/null
	sleep 0.5
	kill $td 2>/dev/null
	wait $td 2>/dev/null
	set -- "$1" $(tshark -r "$T/lat.pcap" -T fields -e frame.time_epoch -e dhcp.id -e dhcp.option.dhcp \
		2>/dev/null | /usr/bin/python3 -c '
import sys
disc, lat = {}, []
for line in sys.stdin:
    f = line.split("\t")
    if len(f) < 3: continue
    t, xid, ty = float(f[0]), f[1], f[2].strip()
    if ty == "1": disc.setdefault(xid, t)
    elif ty == "2" and xid in disc: lat.append((t - disc.pop(xid)) * 1e6)
lat.sort()
if not lat: print("0 0 0"); sys.exit()
print(len(lat), int(lat[len(lat) // 2]), int(lat[min(len(lat) - 1, len(lat) * 99 // 100)]))')
	rm -f "$T/lat.pcap"
	echo "$RUN,$1,$2,$3,$4" >>"$LAT"
	echo "dhcp: run $RUN $1 latency n=$2 p50=${3}us p99=${4}us at $LAT_RATE/s"
}

for n in $SERVERS; do start_server $n; done
sleep 1
RUN=1
while [ $RUN -le "$RUNS" ]; do
	# rotate the order from run to run
	set -- $SERVERS
	k=1
	while [ $k -lt $RUN ] && [ $# -gt 1 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		k=$((k + 1))
	done
	ORDER="$*"
	for n in $ORDER; do
		echo 0 >"$T/best.$RUN.$n"
		echo 0 >"$T/lo.$n"
		echo 0 >"$T/hi.$n"
		cpu_per_reply $n
	done
	# the ladder: every server still passing takes each rate in turn
	for r in $RATES; do
		for n in $ORDER; do
			[ "$(cat "$T/hi.$n")" = 0 ] || continue
			try_rate $n $r
			record $n $r
		done
	done
	# halve the interval of those that failed, twice, in turn
	for i in 1 2; do
		for n in $ORDER; do
			lo=$(cat "$T/lo.$n") hi=$(cat "$T/hi.$n")
			[ "$hi" -gt 0 ] || continue
			r=$(( (lo + hi) / 2 ))
			try_rate $n $r
			record $n $r
		done
	done
	for n in $ORDER; do latency $n; done
	if [ "$NSTREAMS" -gt 0 ]; then
		k=$(index_of pxehub-streams)
		echo "dhcp: run $RUN pxehub-streams: $(ip netns exec pxhb$$s$k ss -Htn state established 'sport = :8080' | wc -l) of $NSTREAMS subscribers still connected"
	fi
	RUN=$((RUN + 1))
done

# --- summary ---------------------------------------------------------------
# med: "median min max" of numbers on stdin
med() {
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "0 0 0"; exit }
		print v[int((NR + 1) / 2)], v[1], v[NR] }'
}
col() { awk -F, -v n="$2" -v c="$3" '$2 == n { print $c }' "$1" | med; }
set -- $(cat "$T"/best.*.reflect | med)
CEIL=$1
echo "dhcp: reflect (perfdhcp's ceiling) median $1/s (range $2-$3) over $RUNS runs"
set -- $(col "$LAT" reflect 5)
echo "dhcp: reflect latency p99 median $1us (range $2-$3): the machine's own share of the latency"
[ "$RCVBUF" -gt 0 ] && echo "dhcp: perfdhcp's receive buffer set to $RCVBUF bytes (BENCH_PERFDHCP_RCVBUF=0: its default)"
for m in $LOGGING; do
	for n in pxehub-$m dnsmasq-$m $([ -n "$BASE" ] && echo base-$m); do
		set -- $(cat "$T"/best.*.$n | med)
		rate="$1/s (range $2-$3)"
		s=$(cat "$T"/sat.*.$n 2>/dev/null | sort -u | wc -l)
		[ "$s" -gt 0 ] && rate="$rate, perfdhcp saturated in $s of $RUNS runs"
		set -- $(col "$LAT" $n 4)
		p50="$1us ($2-$3)"
		set -- $(col "$LAT" $n 5)
		p99="$1us ($2-$3)"
		set -- $(col "$CPU" $n 6)
		echo "dhcp: $n median $rate; latency p50 $p50 p99 $p99; cpu $1us per reply ($2-$3)"
	done
	# per-run ratios, then their median
	: >"$T/ratios.$m"
	RUN=1
	while [ $RUN -le "$RUNS" ]; do
		p=$(cat "$T/best.$RUN.pxehub-$m") d=$(cat "$T/best.$RUN.dnsmasq-$m")
		[ "$d" -gt 0 ] && awk -v p="$p" -v d="$d" 'BEGIN { printf "%.2f\n", p / d }' >>"$T/ratios.$m"
		RUN=$((RUN + 1))
	done
	set -- $(med <"$T/ratios.$m")
	ratio="$1x (runs $(tr '\n' ' ' <"$T/ratios.$m" | sed 's/ $//'))"
	set -- $(cat "$T"/best.*.pxehub-$m | med)
	p=$1
	set -- $(cat "$T"/best.*.dnsmasq-$m | med)
	d=$1
	set -- $(col "$LAT" pxehub-$m 4)
	p50=$1
	set -- $(col "$LAT" pxehub-$m 5)
	p99=$1
	ceil=$(awk -v p="$p" -v c="$CEIL" 'BEGIN { if (c > 0) printf "%d%%", 100 * p / c; else print "n/a" }')
	set -- $(col "$CPU" pxehub-$m 6)
	pc=$1
	set -- $(col "$CPU" dnsmasq-$m 6)
	dc=$1
	echo "dhcp ratio ($m logging): pxehub ${p}/s vs dnsmasq ${d}/s = $ratio; pxehub p50 ${p50}us p99 ${p99}us at $LAT_RATE/s; pxehub at $ceil of perfdhcp's ceiling ${CEIL}/s; CPU per reply at $CPU_RATE/s pxehub ${pc}us dnsmasq ${dc}us (medians of $RUNS runs; perfdhcp -i -g single -R 100000, <1% loss)"
	if [ -n "$BASE" ]; then
		# this build over BASE, per run: rate, and CPU per reply
		RUN=1 rr="" cr=""
		while [ $RUN -le "$RUNS" ]; do
			rr="$rr $(awk -v p="$(cat "$T/best.$RUN.pxehub-$m")" -v b="$(cat "$T/best.$RUN.base-$m")" \
				'BEGIN { if (b > 0) printf "%.2f", p / b; else print "n/a" }')"
			cr="$cr $(awk -F, -v r=$RUN -v m=$m '$1 == r && $2 == "pxehub-" m { p = $6 } $1 == r && $2 == "base-" m { b = $6 }
				END { if (b > 0) printf "%.2f", p / b; else print "n/a" }' "$CPU")"
			RUN=$((RUN + 1))
		done
		set -- $(cat "$T"/best.*.base-$m | med)
		echo "dhcp before/after ($m logging): pxehub ${p}/s vs base ${1}/s; rate ratio per run$rr; CPU per reply ratio per run$cr (BASE=$BASE)"
	fi
done
if [ "$NSTREAMS" -gt 0 ]; then
	k=$(index_of pxehub-streams)
	ip netns exec pxhb$$s$k curl -s http://127.0.0.1:8080/metrics |
		grep -E '^pxehub_event_stream(s|_dropped_total|s_total) ' | sed 's/^/dhcp streams: /'
	set -- $(cat "$T"/best.*.pxehub-streams | med)
	st="$1/s (range $2-$3)"
	sm=$1
	set -- $(cat "$T"/best.*.pxehub-quiet 2>/dev/null | med)
	set -- $(col "$CPU" pxehub-streams 6) "$1"
	echo "dhcp streams: pxehub with $NSTREAMS slow event-stream subscribers $st vs without (quiet) $4/s; CPU per reply at $CPU_RATE/s ${1}us with them, $(col "$CPU" pxehub-quiet 6 | cut -d' ' -f1)us without (medians of $RUNS runs)"
fi
echo "dhcp: raw figures in $OUT"
