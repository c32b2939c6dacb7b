#!/bin/sh
# Real TFTP clients against pxehubd across a veth pair (MTU 1500): tftp-hpa,
# atftp (blksize 1468, windowsize 16), curl, busybox.  Byte-exact downloads
# of a small file, exact multiples of the block size, an empty file, and a
# 33 MiB file at blksize 512 (block numbers roll over past 65535).
set -u
. "$(dirname "$0")/../lib.sh"
. "$PXH_TOP/tests/tools/tftp_net.sh"
pxh_init
tftp_pair_veth || { not_ok setup "veth pair"; exit 1; }
tftp_conf "$T/c.conf" port_range=64001-64100
R=$T/tftp
head -c 100000 /dev/urandom >"$R/small.bin"
head -c 2048 /dev/urandom >"$R/exact512.bin"
head -c 14680 /dev/urandom >"$R/exact1468.bin"
: >"$R/empty.bin"
head -c $((33 * 1048576)) /dev/urandom >"$R/big.bin"
printf 'line one\nline two\r\nbare cr\rend\n' >"$R/text.txt"
mkdir -p "$R/Boot/x64"
head -c 5000 /dev/urandom >"$R/Boot/x64/wdsmgfw.efi"
pxh_daemon "$T/c.conf" "$SRV" || { not_ok daemon "did not start"; exit 1; }
S=10.98.0.1
O=$T/out
mkdir -p "$O"
inc() { ip netns exec "$CLI" timeout "${TMO:-60}" "$@"; }

same() { # NAME GOT WANT
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(cmp "$2" "$3" 2>&1 | head -1)"; fi
}

# tftp-hpa: plain RFC 1350 (no options), lock-step, blksize 512
for f in small.bin exact512.bin empty.bin big.bin; do
	rm -f "$O/$f"
	(cd "$O" && inc tftp -m binary $S -c get "$f" "$f") >/dev/null 2>&1
	same "tftp_hpa_$f" "$O/$f" "$R/$f"
done
(cd "$O" && inc tftp -m binary $S -c get 'boot\X64\WDSMGFW.EFI' win.efi) >/dev/null 2>&1
same tftp_hpa_windows_name "$O/win.efi" "$R/Boot/x64/wdsmgfw.efi"
# netascii: tftp-hpa converts CR LF back; the file arrives as it is on disk
(cd "$O" && inc tftp -m ascii $S -c get text.txt text.txt) >/dev/null 2>&1
same tftp_hpa_netascii "$O/text.txt" "$R/text.txt"

# atftp with blksize 1468 and windowsize 16 (RFC 7440)
for f in small.bin exact1468.bin empty.bin big.bin; do
	rm -f "$O/a-$f"
	inc atftp --option "blksize 1468" --option "windowsize 16" --option "tsize 0" \
		-g -r "$f" -l "$O/a-$f" $S >/dev/null 2>&1
	same "atftp_w16_$f" "$O/a-$f" "$R/$f"
done

# curl: blksize 512 (its default) and 1468
for f in small.bin exact512.bin empty.bin big.bin; do
	rm -f "$O/c-$f"
	inc curl -s -o "$O/c-$f" "tftp://$S/$f"
	rc=$?
	# curl creates no output file for an empty body
	if [ $rc = 0 ] && [ ! -s "$R/$f" ] && [ ! -e "$O/c-$f" ]; then : >"$O/c-$f"; fi
	[ $rc = 0 ] || echo "# curl $f: exit $rc"
	same "curl_$f" "$O/c-$f" "$R/$f"
done
inc curl -s --tftp-blksize 1468 -o "$O/c2-exact1468.bin" "tftp://$S/exact1468.bin"
same curl_blksize1468_exact "$O/c2-exact1468.bin" "$R/exact1468.bin"

# busybox tftp (blksize 512 and 1468)
for f in small.bin exact512.bin empty.bin; do
	rm -f "$O/b-$f"
	inc busybox tftp -g -r "$f" -l "$O/b-$f" $S >/dev/null 2>&1
	same "busybox_$f" "$O/b-$f" "$R/$f"
done
inc busybox tftp -b 1468 -g -r exact1468.bin -l "$O/b2.bin" $S >/dev/null 2>&1
same busybox_blksize1468_exact "$O/b2.bin" "$R/exact1468.bin"

# blksize was clamped to the veth MTU (1500 - 32) when more was asked
inc atftp --option "blksize 9000" -g -r small.bin -l "$O/mtu.bin" $S >/dev/null 2>&1
same atftp_blksize9000 "$O/mtu.bin" "$R/small.bin"
if grep -q 'sending small.bin .*blksize=1468 windowsize=1' "$T/pxehubd.log"; then
	ok blksize_path_mtu
else
	not_ok blksize_path_mtu "no transfer at blksize 1468 logged"
fi

# events: start and end with file, bytes, blksize, windowsize
if grep -q 'event=tftp_end .*action=end file=big.bin bytes=34603008 .*blksize=1468 windowsize=16' "$T/pxehubd.log"; then
	ok event_end_fields
else
	not_ok event_end_fields "$(grep 'event=tftp_end.*big.bin' "$T/pxehubd.log" | head -2)"
fi
grep -q 'event=tftp_start .*file=small.bin' "$T/pxehubd.log" && ok event_start || not_ok event_start
# the memory cache served repeated small files
grep -q 'small.bin .*(cache hit)' "$T/pxehubd.log" && ok cache_hit || not_ok cache_hit
n=$(grep -c 'tftp: sent ' "$T/pxehubd.log")
[ "$n" -ge 18 ] && ok "transfers_logged_$n" || not_ok transfers_logged "$n"

# netascii copies are bounded all together (64 MiB): five held requests for
# a 15 MiB file, the fifth is told the server is busy
head -c $((15 * 1048576)) /dev/urandom >"$R/text15.bin"
out=$(inc /usr/bin/python3 "$PXH_TOP/tests/tools/tftp_probe.py" $S hold 5 text15.bin 0 netascii)
if [ "$(echo "$out" | grep -c ' DATA 1 ')" = 4 ] && echo "$out" | grep -q 'ERROR 0 Server busy: too many netascii'; then
	ok netascii_memory_bounded
else not_ok netascii_memory_bounded "$(echo "$out" | tr '\n' ';')"; fi

# SIGTERM during a transfer: it finishes in the grace period, then the
# daemon exits 0 (the last transfer's end frees the stopping TFTP server)
# (8 MiB lock-step at blksize 512: about a second, well inside the 5 s)
head -c $((8 * 1048576)) /dev/urandom >"$R/grace.bin"
rm -f "$O/grace.bin"
(cd "$O" && inc tftp -m binary $S -c get grace.bin grace.bin) >/dev/null 2>&1 &
GET=$!
i=0; while [ $i -lt 100 ] && ! grep -q 'sending grace.bin' "$T/pxehubd.log"; do
	sleep 0.05; i=$((i + 1))
done
kill -TERM "$PXH_PID"
wait $GET
wait "$PXH_PID"; rc=$?
if [ $rc = 0 ] && cmp -s "$O/grace.bin" "$R/grace.bin" && grep -q 'server: stopped' "$T/pxehubd.log" &&
   grep -q 'stopping: no new work, [1-9][0-9]* TFTP' "$T/pxehubd.log"; then
	ok sigterm_transfer_finishes_in_grace
else not_ok sigterm_transfer_finishes_in_grace "rc=$rc; $(cmp "$O/grace.bin" "$R/grace.bin" 2>&1 | head -1)"; fi
exit 0
