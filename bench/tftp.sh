#!/bin/sh
# TFTP benchmark (not a test): pxehub against tftpd-hpa, atftpd and dnsmasq,
# side by side in one run, same files (page cache warm), every server started
# in turn in each round with the order rotated per round, so a slow spell of
# this shared machine hits them alike.  Medians over the rounds, min-max
# spread, and per-round ratios (pxehub / peer in the same round).
#
#   sh bench/tftp.sh                (as root; make bench runs it)
#   BENCH_RUNS=3          rounds for parts 1 and 2 (at least 3)
#   BENCH_CURL_RUNS=5     rounds for part 3
#   BENCH_TFTP_MB=64      the windowed and loopback file
#   BENCH_LOCKSTEP_MB=8   the file for lock-step transfers at 1 ms (64 with
#                         BENCH_FULL=1: about 50 s per transfer, ~20 min)
#   BENCH_FULL=1          the issue's full runs: 64 MiB everywhere
#   BENCH_PARTS="rtt loopback curl"   BENCH_SERVERS="pxehub tftpd-hpa ..."
#   BENCH_DL_SPIN=150     the delay line wakes this many us early and spins
#                         until a packet is due (0: sleeps, ~40 us late)
#   BENCH_DL_RT=1         the delay line at real-time priority (measured
#                         worse on 2 cores, so off by default)
# Default run: about 5 minutes.
#
# 1. 1 ms RTT through the project's TUN delay line (tests/tools/delayline,
#    500 us each way), blksize 1468, the recvmmsg client tests/tools/tftpfast:
#    each server at windowsize 16 and 1 (servers without RFC 7440 grant
#    no window and run lock-step; then the lock-step file is used).  The
#    round trip of the path is measured with ping through the line right
#    before each server's transfers (the kernel answers: no server in it);
#    the windowsize-16 bound is 16 x 1468 bytes per that round trip.  The
#    client also reports, per transfer, the medians of ACK-to-next-DATA
#    (rtt_us: path + server turnaround), first-to-last DATA of a window
#    (spread_us) and ACK-to-ACK (period_us), and the line how late it
#    forwarded packets: where the time above the bound goes.  A second
#    bound, 16 x 1468 B per the client's median ACK-to-DATA time (the path
#    plus the server's turnaround, without ping's own wake-ups), is
#    printed beside it: the stricter of the two.
# 2. Loopback, windowsize 16 (lock-step for servers without RFC 7440): server
#    CPU seconds per GiB (cpuacct cgroup per server: threads and forked
#    children included; /proc ticks when cgroups are not writable) and MB/s.
# 3. 200 concurrent clients: one `curl -Z --parallel-max 200` with 200 URLs
#    of a 75 KB loader (curl asks blksize 512: 151 lock-step round trips per
#    file) over a veth pair; total time, byte-exact count, server CPU and
#    curl's own CPU (its lower bound on the total: curl is one thread).
#    Limits: 200 transfers for pxehub (max_transfers), atftpd (--maxthread)
#    and dnsmasq (tftp-max); tftpd-hpa forks per request and has no limit.
#    The yardstick "reflect" (bench/tftp_reflect.c: the loader in memory, a
#    socket per transfer, each ACK answered by one send, nothing else) is
#    the least any server can do: curl's time against it is curl's floor.
# Peers' settings: bench/peers/tftp-*.  Raw figures: $B/bench/tftp-DATE/
# (rtt.csv, loopback.csv, curl.csv, raw.log with every client line, ping
# and delay-line report).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
. "$TOP/tests/lib.sh"
PXH_TOP=$TOP
PXHD_REAL=$TOP/$B/sbin/pxehubd
PXH_PLUGINS=$TOP/$B/lib/pxehub/plugins
. "$TOP/tests/tools/tftp_net.sh"
pxh_init
FULL=${BENCH_FULL:-0}
RUNS=${BENCH_RUNS:-3}
CRUNS=${BENCH_CURL_RUNS:-5}
MB=${BENCH_TFTP_MB:-64}
if [ "$FULL" = 1 ]; then LMB=${BENCH_LOCKSTEP_MB:-$MB}; else LMB=${BENCH_LOCKSTEP_MB:-8}; fi
SPIN=${BENCH_DL_SPIN:-150}
SERVERS=${BENCH_SERVERS:-pxehub tftpd-hpa atftpd dnsmasq}
PARTS=${BENCH_PARTS:-rtt loopback curl}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
OUT=$TOP/$B/bench/tftp-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
LOG=$OUT/raw.log
note() { echo "# $*" | tee -a "$LOG"; }
tftp_tools || { echo "bench: tools do not build"; exit 1; }
cc -O2 -o "$T/tftp_reflect" "$TOP/bench/tftp_reflect.c" || { echo "bench: tftp_reflect does not build"; exit 1; }
command -v ping >/dev/null || { echo "bench: ping (iputils-ping) missing"; exit 1; }

# tftpd-hpa conflicts with atftpd as Debian packages, and atftpd installs
# /usr/sbin/in.tftpd as a link to itself: take in.tftpd from the tftpd-hpa
# .deb unless the installed one says it is tftp-hpa.
HPA=/usr/sbin/in.tftpd
if ! "$HPA" -V 2>&1 | grep -q tftp-hpa; then
	HPA=$TOP/$B/bench/tftpd-hpa/usr/sbin/in.tftpd
	if [ ! -x "$HPA" ]; then
		(cd "$OUT" && apt-get download tftpd-hpa >/dev/null 2>&1 &&
			dpkg -x tftpd-hpa_*.deb "$TOP/$B/bench/tftpd-hpa" && rm -f tftpd-hpa_*.deb) ||
			note "tftpd-hpa: apt-get download failed"
	fi
fi

# ---- CPU accounting: one cpuacct cgroup per server (and one for curl) --------
CGR=/sys/fs/cgroup/cpuacct
CG=""
if [ -d "$CGR" ] && mkdir "$CGR/pxhbench$$" 2>/dev/null; then CG=$CGR/pxhbench$$; fi
cg_cleanup() {
	[ -n "$CG" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for d in "$CG"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
		rmdir "$CG" 2>/dev/null && return 0
		sleep 0.2
	done
}
trap 'pxh_cleanup; cg_cleanup' EXIT
# $T/incg CGDIR CMD...: run CMD in that cgroup ("" = none).  Outside the
# namespace: ip netns exec mounts a sysfs of its own, without the cgroups.
printf '#!/bin/sh\n[ -n "$1" ] && echo $$ >"$1/cgroup.procs"\nshift\nexec "$@"\n' >"$T/incg"
chmod 755 "$T/incg"
cgdir() { [ -n "$CG" ] || return 0; mkdir -p "$CG/$1" && echo "$CG/$1"; }
# cpu_ns NAME PID: CPU nanoseconds so far (cgroup, or the process' ticks)
cpu_ns() {
	if [ -n "$CG" ]; then cat "$CG/$1/cpuacct.usage"
	else awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($14 + $15) / hz * 1e9 }' "/proc/$2/stat"; fi
}
CPU_SRC=$([ -n "$CG" ] && echo cgroup || echo ticks)

R=$T/tftp
mkdir -p "$R"
head -c $((MB * 1048576)) /dev/urandom >"$R/bench.bin"
if [ "$LMB" = "$MB" ]; then ln "$R/bench.bin" "$R/lock.bin"
else head -c $((LMB * 1048576)) /dev/urandom >"$R/lock.bin"; fi
head -c 524288 /dev/urandom >"$R/warm.bin"
head -c 76800 /dev/urandom >"$R/loader.efi"
chmod 644 "$R"/*
cat "$R"/* >/dev/null

subst() { sed -e "s|@ROOT@|$R|g" -e "s|@MAX@|${2:-200}|g" "$TOP/bench/peers/$1"; }
have() { [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; }

# start_server NAME NETNS -> SPID (in cgroup NAME)
start_server() {
	_cg=$(cgdir "$1")
	case $1 in
	pxehub)
		tftp_conf "$T/p.conf" max_transfers=200 max_windowsize=64 max_per_client=0 requests_per_client=0
		# the product's default log level (the tests' debug is louder)
		sed -i 's/^level = debug$/level = info/' "$T/p.conf"
		PXHD=$PXHD_REAL PXH_LOG=$T/pxehubd-$2.log pxh_daemon "$T/p.conf" "$2" || return 1
		SPID=$PXH_PID
		# all its threads, before any transfer
		[ -n "$_cg" ] && echo $SPID >"$_cg/cgroup.procs" ;;
	tftpd-hpa)
		have "$HPA" || return 1
		"$T/incg" "$_cg" ip netns exec "$2" "$HPA" $(subst tftp-tftpd-hpa.args) >>"$LOG" 2>&1 &
		SPID=$! ;;
	atftpd)
		have atftpd || return 1
		"$T/incg" "$_cg" ip netns exec "$2" atftpd $(subst tftp-atftpd.args 200) >>"$LOG" 2>&1 &
		SPID=$! ;;
	dnsmasq)
		have dnsmasq || return 1
		subst tftp-dnsmasq.conf 200 >"$T/dnsmasq.conf"
		"$T/incg" "$_cg" ip netns exec "$2" dnsmasq --no-daemon --conf-file="$T/dnsmasq.conf" \
			--pid-file= >>"$LOG" 2>&1 &
		SPID=$! ;;
	reflect)
		"$T/incg" "$_cg" ip netns exec "$2" "$T/tftp_reflect" "$R/loader.efi" >>"$LOG" 2>&1 &
		SPID=$! ;;
	*) return 1 ;;
	esac
	pxh_track $SPID
	sleep 0.3
	kill -0 $SPID 2>/dev/null
}
stop_server() {
	kill $SPID 2>/dev/null
	wait $SPID 2>/dev/null
	sleep 0.2
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# rotate N WORDS...: the words starting at the Nth (round-robin order)
rotate() {
	_n=$1; shift
	_c=$#; _k=$(( (_n - 1) % _c )); _i=0; _a=""; _b=""
	for w in "$@"; do
		if [ $_i -lt $_k ]; then _b="$_b $w"; else _a="$_a $w"; fi
		_i=$((_i + 1))
	done
	echo $_a $_b
}

# ---- 1. 1 ms RTT ---------------------------------------------------------------
if part rtt; then
echo "round,server,ws_asked,ws_granted,file_mib,bytes,secs,MBps,ping_rtt_ms,bound_MBps,pct_bound,rtt_us,spread_us,period_us,period_p99_us,line_late_med_us,line_late_p99_us,load1" >"$OUT/rtt.csv"
tftp_pair_delay -d 500 -S "$SPIN" -T 7200 || { echo "bench: delay line"; exit 1; }
# BENCH_DL_RT=1: the line at real-time priority (measured worse here: the
# spinning line then takes the CPU the server and the client wait for)
if [ "${BENCH_DL_RT:-0}" != 0 ]; then chrt -f -p 10 "$DL_PID" >/dev/null 2>&1 || note "delay line: no real-time priority"; fi
S=10.98.0.1
cli() { ip netns exec "$CLI" "$@"; }
line_report() { # the delay line's lateness since the last call
	kill -USR1 "$DL_PID"
	sleep 0.05
	grep 'report:' "$T/delayline.err" | tail -1
}
for round in $(seq 1 "$RUNS"); do
	for srv in $(rotate "$round" $SERVERS); do
		start_server $srv "$SRV" || { note "$srv not available"; continue; }
		r=$(cli "$TOOLS/tftpfast" -b 1468 -w 16 -T 60 $S warm.bin)
		granted=$(field "$r" ws)
		p=$(cli ping -n -c 25 -i 0.01 -s 56 $S | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n | sed -n 13p)
		echo "ping $srv round $round median ${p} ms" >>"$LOG"
		for ws in 16 1; do
			f=bench.bin fm=$MB
			if [ $ws = 1 ] || [ "${granted:-1}" = 1 ]; then f=lock.bin fm=$LMB; fi
			line_report >/dev/null
			r=$(cli "$TOOLS/tftpfast" -b 1468 -w $ws -T 1800 $S $f)
			lr=$(line_report)
			echo "rtt $srv ws$ws round $round: $r | $lr" >>"$LOG"
			[ -n "$r" ] || { note "$srv ws$ws round $round failed"; continue; }
			awk -v rd="$round" -v s="$srv" -v ws="$ws" -v g="$(field "$r" ws)" -v fm="$fm" \
				-v b="$(field "$r" bytes)" -v secs="$(field "$r" secs)" -v mbps="$(field "$r" MBps)" \
				-v p="${p:-0}" -v rtt="$(field "$r" rtt_us)" -v sp="$(field "$r" spread_us)" \
				-v per="$(field "$r" period_us)" -v p99="$(field "$r" period_p99_us)" \
				-v lm="$(echo "$lr" | sed -n 's/.*median \([0-9]*\).*/\1/p')" \
				-v l99="$(echo "$lr" | sed -n 's/.*p99 \([0-9]*\).*/\1/p')" -v ld="$(load1)" 'BEGIN {
				bound = p > 0 ? 16 * 1468 / (p / 1000) / 1e6 : 0
				printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%.2f,%.1f,%s,%s,%s,%s,%s,%s,%s\n", rd, s, ws, g, fm, b, secs,
					mbps, p, bound, (bound > 0 ? 100 * mbps / bound : 0), rtt, sp, per, p99, lm, l99, ld }' >>"$OUT/rtt.csv"
		done
		stop_server
	done
done
kill "$DL_PID" 2>/dev/null
wait "$DL_PID" 2>/dev/null
cat "$T/delayline.err" >>"$LOG"
ip netns del "$SRV"; ip netns del "$CLI" # the veth pair below reuses the names
fi

# ---- 2. loopback CPU --------------------------------------------------------------
if part loopback; then
echo "round,server,ws_granted,bytes,secs,MBps,cpu_s,cpu_s_per_gib,cpu_src,load1" >"$OUT/loopback.csv"
LO=$(pxh_netns lo)
for round in $(seq 1 "$RUNS"); do
	for srv in $(rotate "$round" $SERVERS); do
		start_server $srv "$LO" || { note "$srv not available"; continue; }
		ip netns exec "$LO" "$TOOLS/tftpfast" -b 1468 -w 16 127.0.0.1 warm.bin >/dev/null
		c0=$(cpu_ns $srv $SPID)
		r=$(ip netns exec "$LO" "$TOOLS/tftpfast" -b 1468 -w 16 -T 600 127.0.0.1 bench.bin)
		c1=$(cpu_ns $srv $SPID)
		echo "loopback $srv round $round: $r cpu_ns=$((c1 - c0))" >>"$LOG"
		[ -n "$r" ] && awk -v rd="$round" -v s="$srv" -v g="$(field "$r" ws)" -v b="$(field "$r" bytes)" \
			-v secs="$(field "$r" secs)" -v mbps="$(field "$r" MBps)" -v ns="$((c1 - c0))" \
			-v src="$CPU_SRC" -v ld="$(load1)" 'BEGIN {
			printf "%s,%s,%s,%s,%s,%s,%.4f,%.4f,%s,%s\n", rd, s, g, b, secs, mbps, ns / 1e9,
				ns / 1e9 / (b / 1073741824), src, ld }' >>"$OUT/loopback.csv"
		stop_server
	done
done
fi

# ---- 3. 200 concurrent curl clients ------------------------------------------------
if part curl; then
echo "round,server,secs,byte_exact,bytes,server_cpu_s,curl_cpu_s,load1" >"$OUT/curl.csv"
tftp_pair_veth
urls=""
for i in $(seq 1 200); do urls="$urls -o $T/c/l$i.efi tftp://10.98.0.1/loader.efi"; done
ccg=$(cgdir curl)
for round in $(seq 1 "$CRUNS"); do
	for srv in $(rotate "$round" $SERVERS reflect); do
		start_server $srv "$SRV" || { note "$srv not available"; continue; }
		# one fetch first: every server starts with the loader read once
		ip netns exec "$CLI" timeout 20 curl -s -o /dev/null tftp://10.98.0.1/loader.efi
		rm -rf "$T/c"; mkdir -p "$T/c"
		c0=$(cpu_ns $srv $SPID)
		k0=$([ -n "$ccg" ] && cat "$ccg/cpuacct.usage" || echo 0)
		t0=$(date +%s.%N)
		"$T/incg" "$ccg" ip netns exec "$CLI" timeout 300 curl -s -Z --parallel-max 200 $urls >/dev/null 2>&1
		t1=$(date +%s.%N)
		c1=$(cpu_ns $srv $SPID)
		k1=$([ -n "$ccg" ] && cat "$ccg/cpuacct.usage" || echo 0)
		good=0
		for f in "$T"/c/l*.efi; do cmp -s "$f" "$R/loader.efi" && good=$((good + 1)); done
		awk -v rd="$round" -v s="$srv" -v a="$t0" -v b="$t1" -v g="$good" -v sc="$((c1 - c0))" \
			-v kc="$((k1 - k0))" -v ld="$(load1)" 'BEGIN {
			printf "%s,%s,%.4f,%d,%d,%.4f,%.4f,%s\n", rd, s, b - a, g, g * 76800, sc / 1e9, kc / 1e9, ld }' >>"$OUT/curl.csv"
		stop_server
	done
done
fi

# ---- table ---------------------------------------------------------------------------
{
echo "TFTP benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit ${PXH_BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
echo "files: windowed/loopback ${MB} MiB, lock-step at 1 ms ${LMB} MiB; rounds: $RUNS (curl: $CRUNS); delay line spin ${SPIN} us; CPU from $CPU_SRC"
echo "median [min-max] over rounds; ratios are per round (same round, same conditions), then their median"
awk -F, -v servers="$SERVERS reflect" '
	function sortv(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
	function stat(list, fmt,   a, n) {
		n = split(list, a, " ")
		if (!n) return "-"
		sortv(a, n)
		return sprintf(fmt " [" fmt "-" fmt "] n=%d", (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2), a[1], a[n], n)
	}
	function minv(list,   a, n) { n = split(list, a, " "); sortv(a, n); return n ? a[1] : 0 }
	function med(list,   a, n) {
		n = split(list, a, " "); if (!n) return ""
		sortv(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	FNR == 1 { f = FILENAME; sub(/.*\//, "", f); next }
	f == "rtt.csv" {
		k = $2 SUBSEP $3
		mb[k] = mb[k] " " $8; pct[k] = pct[k] " " $11; ping[$2] = ping[$2] " " $9
		if ($12 > 0) pctc[k] = pctc[k] " " 100 * $8 / (16 * 1468 / $12)
		rt[k] = rt[k] " " $12; sp[k] = sp[k] " " $13; pe[k] = pe[k] " " $14; p99[k] = p99[k] " " $15
		lm[k] = lm[k] " " $16; l99[k] = l99[k] " " $17; gr[k] = $4; fmb[k] = $5
		byr[$1 SUBSEP $2 SUBSEP $3] = $8; rounds[$1] = 1; rttseen = 1
	}
	f == "loopback.csv" {
		lc[$2] = lc[$2] " " $8; lt[$2] = lt[$2] " " $6; lg[$2] = $3
		lbyr[$1 SUBSEP $2] = $8; lrounds[$1] = 1; loseen = 1
	}
	f == "curl.csv" {
		cs[$2] = cs[$2] " " $3; cg[$2] = cg[$2] " " $4; cc[$2] = cc[$2] " " $6; ck[$2] = ck[$2] " " $7
		cbyr[$1 SUBSEP $2] = $3; crounds[$1] = 1; cseen = 1
	}
	END {
		ns = split(servers, sv, " ")
		if (rttseen) {
			print "\n1. 1 ms RTT (delay line), blksize 1468: MB/s and % of the ws-16 bound 16x1468 B per ping round trip"
			for (i = 1; i <= ns; i++) if (ping[sv[i]] != "") printf "  ping round trip, %-10s %s ms\n", sv[i], stat(ping[sv[i]], "%.3f")
			for (i = 1; i <= ns; i++) for (w = 16; w >= 1; w -= 15) {
				k = sv[i] SUBSEP w; if (mb[k] == "") continue
				printf "  %-10s ws%-2d (granted %s, %s MiB)  MB/s %s\n", sv[i], w, gr[k], fmb[k], stat(mb[k], "%.2f")
				if (w == 16) printf "  %-10s      %% of bound %s; by the client\047s ACK-to-DATA round trip %s\n", "", stat(pct[k], "%.1f"), stat(pctc[k], "%.1f")
				printf "  %-10s      rtt_us %s  spread_us %s\n", "", stat(rt[k], "%.0f"), stat(sp[k], "%.0f")
				printf "  %-10s      period_us %s  p99 %s  line late med/p99 us %s / %s\n", "", stat(pe[k], "%.0f"), stat(p99[k], "%.0f"), med(lm[k]), med(l99[k])
			}
			for (i = 1; i <= ns; i++) {
				if (sv[i] == "pxehub") continue
				for (w = 16; w >= 1; w -= 15) {
					l = ""
					for (r in rounds) { a = byr[r SUBSEP "pxehub" SUBSEP w]; b = byr[r SUBSEP sv[i] SUBSEP w]; if (a != "" && b > 0) l = l " " a / b }
					if (l != "") printf "  pxehub / %-10s ws%-2d  %s\n", sv[i], w, stat(l, "%.2fx")
				}
			}
		}
		if (loseen) {
			print "\n2. loopback, windowsize 16 asked: server CPU s/GiB and MB/s"
			for (i = 1; i <= ns; i++) if (lc[sv[i]] != "")
				printf "  %-10s (granted ws %s)  CPU s/GiB %s   MB/s %s\n", sv[i], lg[sv[i]], stat(lc[sv[i]], "%.3f"), stat(lt[sv[i]], "%.1f")
			for (i = 1; i <= ns; i++) {
				if (sv[i] == "pxehub") continue
				l = ""
				for (r in lrounds) { a = lbyr[r SUBSEP "pxehub"]; b = lbyr[r SUBSEP sv[i]]; if (a != "" && b > 0) l = l " " a / b }
				if (l != "") printf "  pxehub / %-10s CPU per GiB %s\n", sv[i], stat(l, "%.2fx")
			}
		}
		if (cseen) {
			print "\n3. 200 x curl -Z, 75 KB loader (blksize 512, lock-step): total s, byte-exact files, CPU s"
			for (i = 1; i <= ns; i++) if (cs[sv[i]] != "")
				printf "  %-10s total %s  byte-exact %d/200 in every round: %s\n              server CPU %s  curl CPU %s\n",
					sv[i], stat(cs[sv[i]], "%.3f"), minv(cg[sv[i]]), minv(cg[sv[i]]) == 200 ? "yes" : "NO",
					stat(cc[sv[i]], "%.3f"), stat(ck[sv[i]], "%.3f")
			for (i = 1; i <= ns; i++) {
				if (sv[i] == "pxehub") continue
				l = ""
				for (r in crounds) { a = cbyr[r SUBSEP "pxehub"]; b = cbyr[r SUBSEP sv[i]]; if (a != "" && b > 0) l = l " " a / b }
				if (l != "") printf "  pxehub / %-10s total time %s\n", sv[i], stat(l, "%.2fx")
			}
			l = ""
			for (r in crounds) { a = cbyr[r SUBSEP "reflect"]; b = cbyr[r SUBSEP "dnsmasq"]; if (a != "" && b > 0) l = l " " a / b }
			if (l != "") printf "  reflect / dnsmasq    total time %s  (curl\047s floor: no server does less)\n", stat(l, "%.2fx")
		}
	}' $(for f in rtt loopback curl; do [ -f "$OUT/$f.csv" ] && echo "$OUT/$f.csv"; done)
echo
echo "raw: $OUT/{rtt,loopback,curl}.csv and raw.log"
} | tee "$OUT/table.txt"
exit 0
