#!/bin/sh
# TFTP under abuse (issue 20, items 5 and 9): ACK-once clients asking
# "timeout 255" and a flood of forged read requests do not keep a real
# tftp-hpa client out; the per-address cap, stall_timeout and the eviction
# of unanswered transfers hold; a forged request draws at most a few times
# its own size back (measured with tshark on the wire).
#
#   [c 10.98.0.2 (+ .3 hostile)] --veth-- [s 10.98.0.1 pxehubd]
# The server's default route points at c, so answers to forged sources
# (10.99.x.y) cross the veth, where tshark counts them, and die there.
set -u
. "$(dirname "$0")/../lib.sh"
. "$PXH_TOP/tests/tools/tftp_net.sh"
pxh_init
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_tftp_abuse # python3-scapy missing"; exit 77; }
for t in tftp tshark; do command -v $t >/dev/null || { echo "skip test_tftp_abuse # $t missing"; exit 77; }; done
ABUSE="$PY $PXH_TOP/tests/tools/tftp_abuse.py"
tftp_pair_veth || { not_ok setup "namespaces"; exit 1; }
ip -n "$CLI" addr add 10.98.0.3/24 dev vc0
ip -n "$SRV" route add default via 10.98.0.2
tftp_datagrams "$SRV" vs0 || exit 1
tftp_conf "$T/c.conf" max_transfers=20 max_per_client=4 stall_timeout=2s
head -c 300000 /dev/urandom >"$T/tftp/big.bin"
chmod 644 "$T/tftp/big.bin"
pxh_daemon "$T/c.conf" "$SRV" || { not_ok daemon "did not start"; exit 1; }
cli() { ip netns exec "$CLI" "$@"; }

# ---- reflection: bytes back per forged byte ----------------------------------
# 40 forged requests each way, plain (DATA 1 answers) and with options (an
# OACK answers); every packet to or from 10.99/16 on the wire counted.
pxh_tshark "$CLI" "$T/refl.pcap" -q -i vc0 -f "udp and net 10.99.0.0/16" || { not_ok capture tshark; exit 1; }
cli $ABUSE flood 10.98.0.1 10.99.1 40 200 big.bin >/dev/null 2>&1
cli $ABUSE flood 10.98.0.1 10.99.2 40 200 big.bin opts >/dev/null 2>&1
sleep 4.5 # every retransmission before a first ACK is over (1 s + 2 s)
pxh_tshark_stop
ratio() { # NET: bytes to NET / bytes from NET (whole frames), as "out in ratio"
	tshark -r "$T/refl.pcap" -T fields -e ip.src -e ip.dst -e frame.len 2>/dev/null |
		awk -v n="$1." 'index($1, n) == 1 { i += $3 } index($2, n) == 1 { o += $3 }
			END { printf "%d %d %.1f\n", o, i, i ? o / i : 0 }'
}
set -- $(ratio 10.99.1); plain="$*"
set -- $(ratio 10.99.2); opts="$*"
echo "# reflection, plain RRQ: $plain (bytes out, bytes in, ratio)"
echo "# reflection, RRQ with options: $opts"
set -- $plain
[ "$2" -gt 0 ] && awk -v r="$3" 'BEGIN { exit !(r <= 12) }' &&
	ok "forged plain RRQ: at most one DATA block back (ratio $3 <= 12)" ||
	not_ok "forged plain RRQ: at most one DATA block back" "$plain"
set -- $opts
[ "$2" -gt 0 ] && awk -v r="$3" 'BEGIN { exit !(r <= 3) }' &&
	ok "forged RRQ with options: at most two OACKs back (ratio $3 <= 3)" ||
	not_ok "forged RRQ with options: at most two OACKs back" "$opts"

# ---- slots: ACK-once clients and a flood, then a real client -----------------
cli $ABUSE ackonce 10.98.0.1 10.98.0.3 8 big.bin 6 >"$T/ackonce.out" 2>&1 &
AO=$!
pxh_track $AO
wait_for grep -q oack= "$T/ackonce.out"
cli $ABUSE flood 10.98.0.1 10.99.3 400 150 big.bin opts >/dev/null 2>&1 &
FL=$!
pxh_track $FL
sleep 1
t0=$(date +%s.%N)
(cd "$T" && timeout 20 ip netns exec "$CLI" tftp -m binary 10.98.0.1 -c get big.bin got.bin) >"$T/hpa.out" 2>&1
t1=$(date +%s.%N)
if cmp -s "$T/got.bin" "$T/tftp/big.bin"; then
	ok "tftp-hpa gets its file during the flood and the ACK-once clients ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
else not_ok "tftp-hpa gets its file during the flood" "$(tr '\n' ' ' <"$T/hpa.out")"; fi
wait $FL 2>/dev/null
grep -q '^oack=4 refused=4' "$T/ackonce.out" &&
	ok "max_per_client = 4: the 5th transfer from one address is refused" ||
	not_ok "max_per_client = 4" "$(cat "$T/ackonce.out")"
# the four ACK-once transfers end by stall_timeout (2 s), not by 255 s retries
stalled() { grep -c 'event=tftp_end ip=10.98.0.3 action=timeout .*(stall_timeout)' "$T/pxehubd.log"; }
wait_for sh -c "[ \$(grep -c 'event=tftp_end ip=10.98.0.3 action=timeout .*(stall_timeout)' '$T/pxehubd.log') -ge 4 ]"
n=$(stalled)
[ "$n" = 4 ] && ok "ACK-once clients asking timeout 255 lose their slots after stall_timeout" ||
	not_ok "ACK-once clients lose their slots after stall_timeout" "$n ended by stall_timeout"
m=$(grep -c 'evicted: server full' "$T/pxehubd.log")
[ "$m" -gt 0 ] && ok "forged requests evicted one another, not the real client ($((m / 2)) evictions)" ||
	not_ok "forged requests evicted" "none"
kill $AO 2>/dev/null
kill -0 "$PXH_PID" && ok daemon_alive || not_ok daemon_alive
exit $_pxh_failed
