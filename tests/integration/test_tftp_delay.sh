#!/bin/sh
# Delay, jitter, reordering and duplication through the project's TUN delay
# line (tests/tools/delayline.c; this kernel has no netem): downloads with
# tftp-hpa (lock-step), curl, atftp (windowsize 8) and tftpfast (windowsize
# 16) stay byte-exact.
set -u
. "$(dirname "$0")/../lib.sh"
. "$PXH_TOP/tests/tools/tftp_net.sh"
pxh_init
tftp_tools || { not_ok tools "build"; exit 1; }
# 2 ms one way, up to 0.3 ms jitter, 5% held 3 ms more, 2% duplicated
tftp_pair_delay -d 2000 -j 300 -r 5 -R 3000 -D 2 -s 7 -T 300 ||
	{ not_ok setup "delay line"; exit 1; }
tftp_conf "$T/c.conf" port_range=64001-64100 timeout=300ms retries=8
R=$T/tftp
head -c 3000000 /dev/urandom >"$R/d.bin"
head -c 300000 /dev/urandom >"$R/lock.bin"
pxh_daemon "$T/c.conf" "$SRV" || { not_ok daemon "did not start"; exit 1; }
S=10.98.0.1
inc() { ip netns exec "$CLI" timeout 120 "$@"; }
same() {
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(cmp "$2" "$3" 2>&1 | head -1)"; fi
}

(cd "$T" && inc tftp -m binary $S -c get lock.bin hpa.out) >/dev/null 2>&1
same tftp_hpa_reorder "$T/hpa.out" "$R/lock.bin"
inc curl -s --tftp-blksize 1468 -o "$T/curl.out" "tftp://$S/lock.bin"
same curl_reorder "$T/curl.out" "$R/lock.bin"
inc atftp --option "blksize 1468" --option "windowsize 8" -g -r d.bin -l "$T/atftp.out" $S >/dev/null 2>&1
same atftp_w8_reorder "$T/atftp.out" "$R/d.bin"
out=$(inc "$TOOLS/tftpfast" -b 1468 -w 16 -t 300 -o "$T/fast.out" $S d.bin)
echo "# tftpfast: $out"
same tftpfast_w16_reorder "$T/fast.out" "$R/d.bin"
sleep 1
n=$(grep -c 'tftp: sent ' "$T/pxehubd.log")
[ "$n" = 4 ] && ok all_transfers_ended_ok || not_ok all_transfers_ended_ok "$n of 4"
kill "$DL_PID" 2>/dev/null
sleep 0.2
echo "# $(cat "$T/delayline.err")"
exit 0
