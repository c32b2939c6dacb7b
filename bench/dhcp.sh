#!/bin/sh
# Benchmark: proxy OFFERs per second, pxehubd vs dnsmasq in proxy mode.
#
# perfdhcp (Kea, package kea-admin) runs in its own namespace as a relay
# (giaddr) with a PXE vendor class, arch 7 and a UUID, DISCOVER/OFFER only
# (-i), single thread, 100000 client MACs so the per-MAC rate limit does not
# decide the figure.  For each server the rate is stepped up; the figure is
# the highest rate answered with under 1% drops (a step that fails is tried
# once more before the search stops: the machine may be shared).
#
# Servers, interleaved in each run (the order rotates from run to run):
#   pxehub   pxehubd, [boot] default decision, no plugin
#   dnsmasq  dnsmasq proxy mode, one pxe-service for x64 UEFI
#   reflect  bench/dhcp_reflect.c: turns each DISCOVER into an OFFER and
#            nothing else; its figure is what perfdhcp itself can drive on
#            this machine (a server near it is limited by the instrument)
# Logging, both ways by default (BENCH_DHCP_LOGGING="quiet shipped"):
#   quiet    no line per request on either side (pxehub [log] level =
#            warning, dnsmasq quiet-dhcp)
#   shipped  each server's default: pxehub level info (one line per event,
#            three events and one offer line per request), dnsmasq one
#            line per request; both to a file
# The server's CPU time per reply (all its threads, /proc schedstat) at
# CPU_RATE (15000/s) shows its cost apart from what perfdhcp can drive.
# Reply latency p50/p99 comes from packet timestamps (tcpdump on the
# server's link, BENCH_LAT_SECONDS at LAT_RATE), since perfdhcp prints no
# percentiles.  Drops are located: the server's and perfdhcp's socket
# receive-buffer overflows (UdpRcvbufErrors of each namespace) are counted.
# perfdhcp gets an 8 MiB receive buffer (bench/dhcp_rcvbuf.c, preloaded;
# BENCH_PERFDHCP_RCVBUF=0 leaves its default): with the default, replies a
# fast server sends while perfdhcp is busy sending are dropped by perfdhcp
# and counted as the server's loss.  When perfdhcp cannot send the rate it
# is asked for, the search stops there: the figure is then the instrument's
# limit ("perfdhcp saturated"), the server's own limit is higher.
#
#   sh bench/dhcp.sh    (root; B=build dir; BENCH_RUNS=3; SECONDS_PER_STEP=4)
# Prints "dhcp: ..." lines, per-run figures, medians with their range, and a
# final "dhcp ratio" line; raw figures in $B/bench/dhcp-DATE/.
set -u
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PXHD=$TOP/$B/sbin/pxehubd
STEP=${SECONDS_PER_STEP:-4}
RUNS=${BENCH_RUNS:-3}
RATES=${RATES:-10000 20000 30000 40000 50000 60000 80000 100000}
LAT_RATE=${LAT_RATE:-5000}
CPU_RATE=${CPU_RATE:-15000}
LAT_SECS=${BENCH_LAT_SECONDS:-3}
LOGGING=${BENCH_DHCP_LOGGING:-quiet shipped}
for t in perfdhcp dnsmasq tcpdump tshark cc; do
	command -v $t >/dev/null 2>&1 || { echo "dhcp: skipped ($t missing; perfdhcp is in kea-admin)"; exit 0; }
done
[ -x "$PXHD" ] || { echo "dhcp: skipped (build pxehubd first)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "dhcp: skipped (needs root)"; exit 0; }

T=$(mktemp -d /tmp/pxh-bench-dhcp.XXXXXX)
chmod 755 "$T"
OUT=$TOP/$B/bench/dhcp-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RAW=$OUT/raw.csv
LAT=$OUT/latency.csv
echo "run,server,rate,sent,received,loss_permille,server_rcvbuf_drops,client_rcvbuf_drops" >"$RAW"
echo "run,server,replies,p50_us,p99_us" >"$LAT"
CPU=$OUT/cpu.csv
echo "run,server,rate,sent,received,cpu_us_per_reply" >"$CPU"
S=pxhb$$s C=pxhb$$c
SRV_PID=""
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	sleep 0.3
	ip netns del $S 2>/dev/null
	ip netns del $C 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cc -O2 -o "$T/dhcp_reflect" "$TOP/bench/dhcp_reflect.c" || { echo "dhcp: reflector does not build"; exit 1; }
ip netns add $S
ip netns add $C
ip -n $S link set lo up
ip -n $C link set lo up
ip link add bs0 netns $S type veth peer name bc0 netns $C
ip -n $S addr add 10.70.0.1/24 dev bs0
ip -n $C addr add 10.70.0.2/24 dev bc0
ip -n $S link set bs0 up
ip -n $C link set bc0 up

VC=$(printf 'PXEClient:Arch:00007:UNDI:003000' | od -An -tx1 | tr -d ' \n')
UUID=0067452301ab89efcd0123456789abcdef
PERF="perfdhcp -4 -i -g single -R 100000 -l 10.70.0.2 -o 60,$VC -o 93,0007 -o 97,$UUID"
# perfdhcp's socket receive buffer (bench/dhcp_rcvbuf.c); 0 = its default
RCVBUF=${BENCH_PERFDHCP_RCVBUF:-8388608}
PRE=""
if [ "$RCVBUF" -gt 0 ]; then
	cc -shared -fPIC -O2 -o "$T/dhcp_rcvbuf.so" "$TOP/bench/dhcp_rcvbuf.c" -ldl ||
		{ echo "dhcp: bench/dhcp_rcvbuf.c does not build"; exit 1; }
	PRE="env PXH_RCVBUF=$RCVBUF LD_PRELOAD=$T/dhcp_rcvbuf.so"
fi

# rcvbuf_drops NETNS: UDP datagrams dropped for a full socket buffer so far
rcvbuf_drops() {
	ip netns exec "$1" cat /proc/net/snmp | awk '
		$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next }
		$1 == "Udp:" && h { print $c + 0; exit }'
}

# perfdhcp_run RATE SECONDS -> "sent received"
perfdhcp_run() {
	ip netns exec $C timeout $(($2 + 10)) $PRE $PERF -r "$1" -p "$2" -W 200000 10.70.0.1 \
		>"$T/perf.out" 2>&1
	sent=$(sed -n 's/^ *sent packets: *\([0-9]*\).*/\1/p' "$T/perf.out" | head -1)
	recv=$(sed -n 's/^ *received packets: *\([0-9]*\).*/\1/p' "$T/perf.out" | head -1)
	echo "${sent:-0} ${recv:-0}"
}

# start_server NAME (pxehub-MODE, dnsmasq-MODE, reflect)
start_server() {
	case $1 in
	pxehub-*)
		level=warning
		[ "$1" = pxehub-shipped ] && level=info
		mkdir -p "$T/tftp" "$T/http" "$T/state" "$T/plugins.d"
		chown nobody "$T/state"
		cat >"$T/pxehub.conf" <<EOF
[server]
user = nobody
state_dir = $T/state
[log]
level = $level
[plugins]
dir = $TOP/$B/lib/pxehub/plugins
conf_dir = $T/plugins.d
[tftp]
root = $T/tftp
[http]
root = $T/http
port = 0
https_port = 0
[access]
allow = all
[boot]
loader_efi_x64 = snponly.efi
EOF
		ip netns exec $S "$PXHD" -f -c "$T/pxehub.conf" >"$T/pxehubd.log" 2>&1 &
		SRV_PID=$! ;;
	dnsmasq-*)
		cat >"$T/dnsmasq.conf" <<EOF
port=0
interface=bs0
bind-interfaces
dhcp-range=10.70.0.0,proxy
pxe-service=X86-64_EFI,"boot",snponly.efi
log-facility=$T/dnsmasq.log
EOF
		[ "$1" = dnsmasq-quiet ] && echo quiet-dhcp >>"$T/dnsmasq.conf"
		ip netns exec $S dnsmasq -k -u root -C "$T/dnsmasq.conf" >"$T/dnsmasq.out" 2>&1 &
		SRV_PID=$! ;;
	reflect)
		ip netns exec $S "$T/dhcp_reflect" &
		SRV_PID=$! ;;
	esac
	i=0
	while [ $i -lt 300 ] && ! ip netns exec $S ss -Huln 'sport = :67' | grep -q .; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
}

stop_server() {
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=""
	rm -f "$T/dnsmasq.log" "$T/pxehubd.log"
}

# try_rate RATE: one step (a failed one is tried once more); sets OK (1 when
# under 1% was lost), GOT (replies per second) and SAT (1 when perfdhcp
# could not send 95% of the rate asked: the instrument is the limit)
try_rate() {
	OK=0 GOT=0 SAT=0 rate=$1
	for try in 1 2; do
		s0=$(rcvbuf_drops $S) c0=$(rcvbuf_drops $C)
		set -- $(perfdhcp_run "$rate" "$STEP")
		sent=$1 recv=$2
		sd=$(($(rcvbuf_drops $S) - s0)) cd=$(($(rcvbuf_drops $C) - c0))
		[ "$sent" -gt 0 ] || return
		lost=$(( (sent - recv) * 1000 / sent ))
		echo "$RUN,$NAME,$rate,$sent,$recv,$lost,$sd,$cd" >>"$RAW"
		echo "dhcp: run $RUN $NAME rate=$rate/s sent=$sent received=$recv ($((recv / STEP))/s) loss=$((lost / 10)).$((lost % 10))% (full socket buffer: server $sd, perfdhcp $cd)"
		if [ "$lost" -lt 10 ]; then
			OK=1 GOT=$((recv / STEP))
			[ $((sent * 100)) -lt $((rate * STEP * 95)) ] && SAT=1
			return
		fi
	done
}

# max_rate: step the rate up through RATES, then halve the interval between
# the last rate passed and the first failed twice; the best rate answered
# with < 1% drops, and "sat" when perfdhcp could send no faster
max_rate() {
	best=0 lo=0 hi=0 sat=
	for r in $RATES; do
		try_rate $r
		if [ $OK = 1 ]; then
			[ $GOT -gt $best ] && best=$GOT
			lo=$r
			if [ $SAT = 1 ]; then
				sat=sat
				break
			fi
		else
			hi=$r
			break
		fi
	done
	for i in 1 2; do
		[ $hi -gt 0 ] || break
		r=$(( (lo + hi) / 2 ))
		try_rate $r
		if [ $OK = 1 ]; then
			[ $GOT -gt $best ] && best=$GOT
			lo=$r
		else
			hi=$r
		fi
	done
	echo "$best" >"$T/best.$RUN.$NAME"
	[ -n "$sat" ] && echo "$RUN" >>"$T/sat.$NAME"
}

# cpu_ns PID: CPU time of all its threads so far, nanoseconds
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f\n", t }'
}

# cpu_per_reply: the server's CPU time per reply at CPU_RATE, a rate every
# server sustains: its cost, whatever perfdhcp can drive
cpu_per_reply() {
	c0=$(cpu_ns $SRV_PID)
	set -- $(perfdhcp_run "$CPU_RATE" "$STEP")
	c1=$(cpu_ns $SRV_PID)
	us=$(awk -v a="$c0" -v b="$c1" -v n="$2" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / n / 1000; else print 0 }')
	echo "$RUN,$NAME,$CPU_RATE,$1,$2,$us" >>"$CPU"
	echo "dhcp: run $RUN $NAME cpu=${us}us per reply at $CPU_RATE/s (sent=$1 received=$2)"
}

# latency RUN NAME: p50/p99 DISCOVER->OFFER from packet timestamps
latency() {
	ip netns exec $S tcpdump -Z root -i bs0 -n -s 0 -U -w "$T/lat.pcap" udp port 67 >/dev/null 2>&1 &
	td=$!
	sleep 1
	perfdhcp_run "$LAT_RATE" "$LAT_SECS" >/dev/null
	sleep 0.5
	kill $td 2>/dev/null
	wait $td 2>/dev/null
	set -- $(tshark -r "$T/lat.pcap" -T fields -e frame.time_epoch -e dhcp.id -e dhcp.option.dhcp \
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
	echo "$RUN,$NAME,$1,$2,$3" >>"$LAT"
	echo "dhcp: run $RUN $NAME latency n=$1 p50=${2}us p99=${3}us at $LAT_RATE/s"
}

SERVERS=reflect
for m in $LOGGING; do SERVERS="$SERVERS pxehub-$m dnsmasq-$m"; done
RUN=1
while [ $RUN -le "$RUNS" ]; do
	# rotate the order so that a slow spell of the machine hits each
	set -- $SERVERS
	k=1
	while [ $k -lt $RUN ] && [ $# -gt 1 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		k=$((k + 1))
	done
	for NAME in "$@"; do
		start_server $NAME
		cpu_per_reply
		max_rate
		latency
		stop_server
	done
	RUN=$((RUN + 1))
done

# --- summary ---------------------------------------------------------------
# stats FILE...: "median min max" of the numbers in the files
stats() {
	cat "$@" | sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "0 0 0"; exit }
		print v[int((NR + 1) / 2)], v[1], v[NR] }'
}
# latcol NAME COL: "median min max" of a latency.csv column
latcol() {
	awk -F, -v n="$1" -v c="$2" '$2 == n { print $c }' "$LAT" | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) { print "0 0 0"; exit }
			print v[int((NR + 1) / 2)], v[1], v[NR] }'
}
set -- $(stats "$T"/best.*.reflect)
CEIL=$1
echo "dhcp: reflect (perfdhcp's ceiling) median $1/s (range $2-$3) over $RUNS runs"
[ "$RCVBUF" -gt 0 ] && echo "dhcp: perfdhcp's receive buffer set to $RCVBUF bytes (BENCH_PERFDHCP_RCVBUF=0: its default)"
for m in $LOGGING; do
	for n in pxehub-$m dnsmasq-$m; do
		set -- $(stats "$T"/best.*.$n)
		rate="$1/s (range $2-$3)"
		[ -f "$T/sat.$n" ] && rate="$rate, perfdhcp saturated in $(wc -l <"$T/sat.$n") of $RUNS runs"
		set -- $(latcol $n 4)
		p50="$1us ($2-$3)"
		set -- $(latcol $n 5)
		p99="$1us ($2-$3)"
		set -- $(awk -F, -v n="$n" '$2 == n { print $6 }' "$CPU" | sort -n |
			awk '{ v[NR] = $1 } END { if (!NR) { print "0 0 0"; exit }
				print v[int((NR + 1) / 2)], v[1], v[NR] }')
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
	set -- $(stats "$T/ratios.$m")
	ratio="$1x (runs $(tr '\n' ' ' <"$T/ratios.$m" | sed 's/ $//'))"
	set -- $(stats "$T"/best.*.pxehub-$m)
	p=$1
	set -- $(stats "$T"/best.*.dnsmasq-$m)
	d=$1
	set -- $(latcol pxehub-$m 4)
	p50=$1
	set -- $(latcol pxehub-$m 5)
	p99=$1
	ceil=$(awk -v p="$p" -v c="$CEIL" 'BEGIN { if (c > 0) printf "%d%%", 100 * p / c; else print "n/a" }')
	cpu_med() {
		awk -F, -v n="$1" '$2 == n { print $6 }' "$CPU" | sort -n |
			awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
	}
	pc=$(cpu_med pxehub-$m) dc=$(cpu_med dnsmasq-$m)
	eff=$(awk -v p="$pc" -v d="$dc" 'BEGIN { if (p > 0) printf "%.2f", d / p; else print "n/a" }')
	echo "dhcp ratio ($m logging): pxehub ${p}/s vs dnsmasq ${d}/s = $ratio; pxehub p50 ${p50}us p99 ${p99}us at $LAT_RATE/s; pxehub at $ceil of perfdhcp's ceiling ${CEIL}/s; CPU per reply at $CPU_RATE/s pxehub ${pc}us dnsmasq ${dc}us (${eff}x) (medians of $RUNS runs; perfdhcp -i -g single -R 100000, <1% loss)"
done
echo "dhcp: raw figures in $OUT"
