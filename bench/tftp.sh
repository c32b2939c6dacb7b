#!/bin/sh
# TFTP benchmark (not a test): pxehub against tftpd-hpa, atftpd and dnsmasq,
# side by side in one run, same file (page cache warm).
#
#   sh bench/tftp.sh            (as root; make bench runs it)
#   BENCH_RUNS=3 BENCH_TFTP_MB=64 BENCH_SKIP_LOCKSTEP=0
#
# 1. 1 ms RTT through the project's TUN delay line, blksize 1468: each
#    server at windowsize 16 and 1 (servers without RFC 7440 run lock-step);
#    the round trip is measured through the line (lock-step pxehub, 512 B
#    blocks: seconds per block).
# 2. Loopback: server CPU seconds per GiB at windowsize 16, pxehub vs
#    atftpd, with the recvmmsg client tests/tools/tftpfast.
# 3. 200 concurrent curl -Z clients fetching a 75 KB loader, pxehub vs
#    dnsmasq, same limit (200 transfers) for both.
# Peers' settings: bench/peers/tftp-*.  Raw figures: build/bench/tftp-*/.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
. "$TOP/tests/lib.sh"
PXH_TOP=$TOP
PXHD=$TOP/$B/sbin/pxehubd
PXH_PLUGINS=$TOP/$B/lib/pxehub/plugins
. "$TOP/tests/tools/tftp_net.sh"
pxh_init
RUNS=${BENCH_RUNS:-3}
MB=${BENCH_TFTP_MB:-64}
OUT=$TOP/$B/bench/tftp-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RAW=$OUT/raw.csv
echo "scenario,server,windowsize,run,bytes,secs,MBps,cpu_s" >"$RAW"
tftp_tools || { echo "bench: tools do not build"; exit 1; }
PARTS=${BENCH_PARTS:-rtt loopback curl}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
# tftpd-hpa conflicts with atftpd as Debian packages: use the binary from
# its .deb when it is not installed
HPA=$(command -v in.tftpd || echo "$TOP/$B/bench/tftpd-hpa/usr/sbin/in.tftpd")
if [ ! -x "$HPA" ]; then
	(cd "$OUT" && apt-get download tftpd-hpa >/dev/null 2>&1 &&
		dpkg -x tftpd-hpa_*.deb "$TOP/$B/bench/tftpd-hpa") ||
		echo "# tftpd-hpa: apt-get download failed"
fi
have() { [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; }
R=$T/tftp
mkdir -p "$R"
head -c $((MB * 1048576)) /dev/urandom >"$R/bench.bin"
head -c 524288 /dev/urandom >"$R/rtt.bin"
head -c 76800 /dev/urandom >"$R/loader.efi"
cat "$R/bench.bin" >/dev/null

subst() { sed -e "s|@ROOT@|$R|g" -e "s|@MAX@|${2:-250}|g" "$TOP/bench/peers/$1"; }

# start_server NAME NETNS -> SPID
start_server() {
	case $1 in
	pxehub)
		tftp_conf "$T/p.conf" max_transfers=200 max_windowsize=64
		sed -i 's/^level = debug$/level = info/' "$T/p.conf"
		PXH_LOG=$T/pxehubd-$2.log pxh_daemon "$T/p.conf" "$2" || return 1
		SPID=$PXH_PID ;;
	tftpd-hpa)
		have "$HPA" || return 1
		ip netns exec "$2" "$HPA" $(subst tftp-tftpd-hpa.args) >/dev/null 2>&1 &
		SPID=$! ;;
	atftpd)
		have atftpd || return 1
		ip netns exec "$2" atftpd $(subst tftp-atftpd.args 250) >/dev/null 2>&1 &
		SPID=$! ;;
	dnsmasq)
		have dnsmasq || return 1
		subst tftp-dnsmasq.conf 200 >"$T/dnsmasq.conf"
		ip netns exec "$2" dnsmasq --no-daemon --conf-file="$T/dnsmasq.conf" \
			--pid-file= >/dev/null 2>&1 &
		SPID=$! ;;
	esac
	pxh_track $SPID
	sleep 0.5
	kill -0 $SPID 2>/dev/null
}
stop_server() {
	kill $SPID 2>/dev/null
	wait $SPID 2>/dev/null
	sleep 0.3
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---- 1. 1 ms RTT -------------------------------------------------------------
RTT=0 BOUND=0
if part rtt; then
tftp_pair_delay -d 500 -T 3600 || { echo "bench: delay line"; exit 1; }
S=10.98.0.1
start_server pxehub "$SRV"
r=$(ip netns exec "$CLI" "$TOOLS/tftpfast" -n $S rtt.bin)
RTT=$(awk -v s="$(field "$r" secs)" 'BEGIN { printf "%.4f", s / 1025 * 1000 }')
stop_server
echo "rtt,pxehub,1,0,524288,$(field "$r" secs),$(field "$r" MBps),0" >>"$RAW"
BOUND=$(awk -v rtt="$RTT" 'BEGIN { printf "%.2f", 16 * 1468 / (rtt / 1000) / 1e6 }')
for srv in pxehub tftpd-hpa atftpd dnsmasq; do
	start_server $srv "$SRV" || { echo "# $srv not available"; continue; }
	for ws in 16 1; do
		[ "${BENCH_SKIP_LOCKSTEP:-0}" = 1 ] && [ $ws = 1 ] && continue
		for run in $(seq 1 "$RUNS"); do
			r=$(ip netns exec "$CLI" "$TOOLS/tftpfast" -b 1468 -w $ws -T 900 $S bench.bin)
			echo "rtt1ms,$srv,$ws,$run,$(field "$r" bytes),$(field "$r" secs),$(field "$r" MBps),0" >>"$RAW"
		done
	done
	stop_server
done
kill "$DL_PID" 2>/dev/null
ip netns del "$SRV"; ip netns del "$CLI" # the veth pair below reuses the names
fi

# ---- 2. loopback CPU ------------------------------------------------------------
LO=$(pxh_netns lo)
part loopback && for srv in pxehub atftpd; do
	start_server $srv "$LO" || { echo "# $srv not available"; continue; }
	for run in $(seq 1 "$RUNS"); do
		c0=$(cpu_ticks $SPID)
		r=$(ip netns exec "$LO" "$TOOLS/tftpfast" -b 1468 -w 16 127.0.0.1 bench.bin)
		c1=$(cpu_ticks $SPID)
		cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b - a) / hz }')
		echo "loopback,$srv,16,$run,$(field "$r" bytes),$(field "$r" secs),$(field "$r" MBps),$cpu" >>"$RAW"
	done
	stop_server
done

# ---- 3. 200 concurrent curl clients ------------------------------------------------
tftp_pair_veth
urls=""
for i in $(seq 1 200); do urls="$urls -o $T/c/l$i.efi tftp://10.98.0.1/loader.efi"; done
part curl && for srv in pxehub dnsmasq; do
	start_server $srv "$SRV" || { echo "# $srv not available"; continue; }
	for run in $(seq 1 "$RUNS"); do
		rm -rf "$T/c"; mkdir -p "$T/c"
		t0=$(date +%s.%N)
		ip netns exec "$CLI" timeout 300 curl -s -Z --parallel-max 200 $urls
		t1=$(date +%s.%N)
		good=0
		for f in "$T"/c/l*.efi; do cmp -s "$f" "$R/loader.efi" && good=$((good + 1)); done
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		echo "curl200,$srv,1,$run,$((good * 76800)),$secs,$good,0" >>"$RAW"
	done
	stop_server
done

# ---- table ---------------------------------------------------------------------------
{
echo "TFTP benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, file ${MB} MiB, $RUNS runs (median)"
echo "round trip through the delay line: ${RTT} ms; windowsize-16 bound 16x1468 B/RTT = ${BOUND} MB/s"
awk -F, -v bound="$BOUND" '
	function med(k,   n, i, j, t, a) {
		n = split(vals[k], a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n ? a[int((n + 1) / 2)] : 0
	}
	NR > 1 && $1 == "rtt1ms" { k = $2 " ws" $3; vals[k] = vals[k] " " $7; keys[k] = 1 }
	NR > 1 && $1 == "loopback" { k = "lo " $2; vals[k] = vals[k] " " ($8 / ($5 / 1073741824)); thr[k] = thr[k] " " $7; keys2[k] = 1 }
	NR > 1 && $1 == "curl200" { k = "c " $2; vals[k] = vals[k] " " $6; ok[k] = ok[k] " " $7; keys3[k] = 1 }
	END {
		print "\n1 ms RTT, blksize 1468            MB/s (median)   % of ws16 bound"
		for (k in keys) printf "  %-30s %10.2f %12.1f%%\n", k, med(k), 100 * med(k) / bound
		print "\nloopback, windowsize 16             server CPU s/GiB   MB/s"
		for (k in keys2) { c = med(k); vals[k] = thr[k]; printf "  %-30s %10.3f %12.1f\n", substr(k, 4), c, med(k) }
		print "\n200 x curl -Z, 75 KB loader          total s (median)  byte-exact"
		for (k in keys3) { s = med(k); vals[k] = ok[k]; printf "  %-30s %10.3f %10d/200\n", substr(k, 3), s, med(k) }
	}' "$RAW"
echo
echo "raw: $RAW"
} | tee "$OUT/table.txt"
exit 0
