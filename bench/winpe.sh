#!/bin/sh
# WinPE boot image benchmark (issue 14; not a test): a 400 MB boot.wim from
# pxehub at 1 ms round trip through the project's TUN delay line (0.5 ms
# each way), by
#   - tests/tools/tftpmsft: the Windows boot programs' request (blksize
#     1456, windowsize 4, msftwindow 31416), windows sized by its hints up
#     to 64 (a client that asks at most 64) and up to 255 (the one-byte limit,
#     [tftp] msftwindow = 255, the default);
#   - tftpmsft -M: RFC 7440 windowsize 16 without the extension;
#   - tests/tools/tftpfast -w 1: lock-step TFTP (RFC 1350 + blksize), on a
#     smaller file (BENCH_LOCKSTEP_MB, default 40: lock-step needs one round
#     trip per block, ~4.6 minutes for 400 MB), rate extrapolated;
#   - curl over HTTP from pxehub's /tftp/ on the same path.
#
#   sh bench/winpe.sh        (root; make bench runs it through bench/run.sh)
#   BENCH_RUNS=3 BENCH_WINPE_MB=400 BENCH_LOCKSTEP_MB=40
# Prints a table (median of the runs) and the two ratios issue 14 asks for:
# variable window vs lock-step (>= 10x) and vs HTTP (within 2x).
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
MB=${BENCH_WINPE_MB:-400}
LMB=${BENCH_LOCKSTEP_MB:-40}
OUT=$TOP/$B/bench/winpe-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RAW=$OUT/raw.csv
echo "client,run,bytes,secs,MBps,detail" >"$RAW"
[ -x "$PXHD" ] || { echo "winpe: skipped (build pxehubd first)"; exit 0; }
command -v curl >/dev/null || { echo "winpe: skipped (curl missing)"; exit 0; }
tftp_tools && [ -x "$TOOLS/tftpmsft" ] || { echo "winpe: tools do not build"; exit 1; }
R=$T/tftp
mkdir -p "$R/Boot/x64"
head -c $((MB * 1000000)) /dev/urandom >"$R/Boot/x64/boot.wim"
head -c $((LMB * 1000000)) /dev/urandom >"$R/Boot/x64/small.wim"
chmod -R a+rX "$R"
cat "$R/Boot/x64/boot.wim" >/dev/null

tftp_pair_delay -d 500 -T 7200 || { echo "winpe: delay line"; exit 1; }
S=10.98.0.1
# TFTP and HTTP from one daemon; HTTP serves the TFTP root under /tftp/
tftp_conf "$T/p.conf"
sed -i -e 's/^port = 0$/port = 80/' -e 's/^level = debug$/level = info/' "$T/p.conf"
pxh_daemon "$T/p.conf" "$SRV" || { echo "winpe: pxehubd did not start"; exit 1; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
rec() { # CLIENT RUN OUTPUT-LINE
	echo "$1,$2,$(field "$3" bytes),$(field "$3" secs),$(field "$3" MBps),$(field "$3" win_max)" >>"$RAW"
}
cli() { ip netns exec "$CLI" timeout 900 "$@"; }

# the round trip, measured: lock-step 512-byte blocks of a 512 KB file
head -c 524288 /dev/urandom >"$R/rtt.bin"
r=$(cli "$TOOLS/tftpfast" -n $S rtt.bin)
RTT=$(awk -v s="$(field "$r" secs)" 'BEGIN { printf "%.3f", s / 1025 * 1000 }')

for run in $(seq 1 "$RUNS"); do
	r=$(cli "$TOOLS/tftpmsft" -S -b 1456 -w 4 -H 64 -t 50 $S '\Boot\x64\boot.wim')
	rec "msftwindow (hints to 64)" $run "$r"
	r=$(cli "$TOOLS/tftpmsft" -S -b 1456 -w 4 -H 255 -t 50 $S '\Boot\x64\boot.wim')
	rec "msftwindow (hints to 255)" $run "$r"
	r=$(cli "$TOOLS/tftpmsft" -M -b 1456 -w 16 -t 50 $S 'Boot/x64/boot.wim')
	rec "RFC 7440 windowsize 16" $run "$r"
	r=$(cli "$TOOLS/tftpfast" -b 1456 -w 1 -T 900 $S Boot/x64/small.wim)
	rec "lock-step (${LMB} MB file)" $run "$r"
	t0=$(date +%s.%N)
	n=$(cli curl -sS -o /dev/null -w '%{size_download}' "http://$S/tftp/Boot/x64/boot.wim")
	t1=$(date +%s.%N)
	r=$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "bytes=%d secs=%.4f MBps=%.2f", n, b - a, n / (b - a) / 1e6 }')
	rec "HTTP curl from /tftp/" $run "$r"
done
kill "$PXH_PID" 2>/dev/null
kill "$DL_PID" 2>/dev/null

{
echo "WinPE boot image benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, boot.wim ${MB} MB, $RUNS runs (median)"
echo "path: TUN delay line, 0.5 ms each way; measured round trip ${RTT} ms; blksize 1456"
awk -F, '
	function med(k,   n, i, j, t, a) {
		n = split(vals[k], a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n ? a[int((n + 1) / 2)] : 0
	}
	NR > 1 { if (!($1 in seen)) { order[++no] = $1; seen[$1] = 1 }
		vals[$1] = vals[$1] " " $5; secs[$1] = secs[$1] " " $4; win[$1] = $6 }
	END {
		printf "\n  %-32s %10s %10s %12s\n", "client", "MB/s", "s", "peak window"
		for (i = 1; i <= no; i++) {
			k = order[i]; m[k] = med(k); v = vals[k]; vals[k] = secs[k]
			printf "  %-32s %10.2f %10.2f %12s\n", k, m[k], med(k), win[k]; vals[k] = v
		}
		var = m["msftwindow (hints to 64)"]; var255 = m["msftwindow (hints to 255)"]
		for (k in m) { if (k ~ /^lock-step/) ls = m[k]; if (k ~ /^HTTP/) http = m[k] }
		printf "\n  variable window (64) / lock-step:  %6.1fx   (issue 14: >= 10x)\n", ls ? var / ls : 0
		printf "  HTTP / variable window (64):       %6.2fx   (issue 14: <= 2x)\n", var ? http / var : 0
		printf "  HTTP / variable window (255):      %6.2fx\n", var255 ? http / var255 : 0
	}' "$RAW"
echo
echo "raw: $RAW"
} | tee "$OUT/table.txt"
exit 0
