#!/bin/sh
# UDP GSO for TFTP windows ([tftp] gso, on by default): the server hands the
# kernel a window as one buffer cut into datagrams of 4 + blksize bytes.
# - over a veth with UDP segmentation offload, a capture shows the buffers
#   whole (proof GSO is in use), and the download is byte-exact;
# - with the veth's offload off, the kernel cuts them in software: tshark
#   decodes exactly one DATA datagram per block, each 4 + blksize bytes
#   (the last one shorter), numbered 1..N, none above the MTU;
# - gso = no: datagrams only, even where the device could take buffers;
# - on a device without checksum offload the kernel checksums each datagram
#   (tshark verifies them);
# - blocks above the MTU (max_blksize set, IP fragments): the kernel refuses
#   GSO (EMSGSIZE), the transfer falls back to sendmmsg (logged), byte-exact;
# - through the TUN delay line, byte-exact.
set -u
. "$(dirname "$0")/../lib.sh"
. "$PXH_TOP/tests/tools/tftp_net.sh"
pxh_init
for t in tshark tcpdump ethtool; do
	command -v $t >/dev/null || { echo "skip tftp_gso # $t missing"; exit 77; }
done
tftp_tools || { not_ok tools "build"; exit 1; }
R=$T/tftp
mkdir -p "$R"
SIZE=3000000
BS=1468
BLOCKS=$((SIZE / BS + 1))
head -c $SIZE /dev/urandom >"$R/g.bin"
S=10.98.0.1

# cap NAME COMMAND...: run a client in $CLI under a capture on vs0
cap() {
	_n=$1; shift
	rm -f "$T/$_n.pcap" "$T/$_n.out"
	ip netns exec "$SRV" tcpdump -i vs0 -s 96 -B 65536 --immediate-mode -U -w "$T/$_n.pcap" udp \
		>/dev/null 2>"$T/$_n.tcpdump" &
	_c=$!
	pxh_track $_c
	wait_for grep -q listening "$T/$_n.tcpdump"
	ip netns exec "$CLI" timeout 60 "$@" >"$T/$_n.log" 2>&1
	sleep 0.3
	kill $_c; wait $_c 2>/dev/null
	grep -q '^0 packets dropped by kernel' "$T/$_n.tcpdump" ||
		echo "# $_n capture: $(grep dropped "$T/$_n.tcpdump" | tr '\n' ' ')"
}
# big NAME: frames from the server longer than one Ethernet frame
big() { tshark -r "$T/$1.pcap" -Y "ip.src == $S && frame.len > 1514" 2>/dev/null | wc -l; }
same() {
	if cmp -s "$2" "$R/g.bin"; then ok "$1"; else not_ok "$1" "$(tail -1 "$T/${1%_byte_exact}.log" 2>/dev/null)"; fi
}
fast() { echo "$TOOLS/tftpfast" -b $BS -w 16 -o "$T/$1.out" $S g.bin; }
# with_http FILE: HTTP on 127.0.0.1:8080 in the server's namespace (/metrics)
with_http() { sed -i '/^\[http\]$/{n;s/^port = 0$/port = 8080/}' "$1"; }
# metric NAME: its value from /metrics (0 when absent)
metric() {
	ip netns exec "$SRV" curl -s --max-time 3 http://127.0.0.1:8080/metrics |
		awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}

# ---- default (gso = yes) over a veth with offload ------------------------------
tftp_pair_veth || { not_ok setup "veth pair"; exit 1; }
tftp_conf "$T/on.conf" port_range=64001-64100
with_http "$T/on.conf"
PXH_LOG=$T/on.log pxh_daemon "$T/on.conf" "$SRV" || { not_ok daemon "did not start"; exit 1; }
cap on $(fast on)
same on_byte_exact "$T/on.out"
n=$(big on)
if [ "$n" -gt 0 ]; then ok "gso_buffers_on_the_veth_$n"
else not_ok gso_buffers_on_the_veth "no frame above 1514 bytes from the server: GSO not used"; fi
# /metrics: one GSO send per window (2044 blocks in windows of 16: 128)
g=$(metric 'pxehub_tftp_sends_total{way="gso"}')
m=$(metric 'pxehub_tftp_sends_total{way="sendmmsg"}')
if [ "$g" -ge 128 ] && [ "$g" -le 140 ] && [ "$m" -le 2 ]; then ok "metrics_gso_sends_$g"
else not_ok metrics_gso_sends "gso $g, sendmmsg $m (want ~128 GSO sends)"; fi

# ---- the same with the veth's UDP segmentation off: real datagrams ------------
tftp_datagrams "$SRV" vs0 || exit 1
cap soft $(fast soft)
same soft_byte_exact "$T/soft.out"
n=$(big soft)
[ "$n" = 0 ] && ok soft_no_frame_above_mtu || not_ok soft_no_frame_above_mtu "$n frames above 1514 bytes"
# tshark's TFTP dissector: block number and UDP length of every DATA
tshark -r "$T/soft.pcap" -Y 'tftp.opcode == 3' -T fields -e tftp.block -e udp.length \
	2>/dev/null >"$T/soft.data"
res=$(awk -v n=$BLOCKS -v bs=$BS -v last=$((SIZE % BS)) '
	{ c++; b = $1 + 65536 * wrap; if ($1 == 0 && c > 1) wrap++
	  want = (c == n) ? 8 + 4 + last : 8 + 4 + bs
	  if ($1 != c % 65536 || $2 != want) bad++ }
	END { printf "%d %d", c, bad + 0 }' "$T/soft.data")
if [ "$res" = "$BLOCKS 0" ]; then ok "soft_datagrams_one_per_block_$BLOCKS"
else not_ok soft_datagrams_one_per_block "DATA frames, mismatches: $res (blocks $BLOCKS)"; fi
ip netns exec "$SRV" ethtool -K vs0 tx-udp-segmentation on >/dev/null 2>&1
kill $PXH_PID; wait $PXH_PID 2>/dev/null

# ---- gso = no: sendmmsg, datagrams on a device that could take buffers ----------
tftp_conf "$T/off.conf" port_range=64001-64100 gso=no
PXH_LOG=$T/off.log pxh_daemon "$T/off.conf" "$SRV" || { not_ok daemon "gso=no did not start"; exit 1; }
cap off $(fast off)
same off_byte_exact "$T/off.out"
n=$(big off)
[ "$n" = 0 ] && ok gso_no_sends_datagrams || not_ok gso_no_sends_datagrams "$n frames above 1514 bytes"

# ---- a device without checksum offload: the kernel checksums each datagram ----------
ip netns exec "$SRV" ethtool -K vs0 tx-checksumming off >/dev/null ||
	{ not_ok setup "ethtool -K vs0 tx-checksumming off"; exit 1; }
cap nocsum $(fast nocsum)
same nocsum_byte_exact "$T/nocsum.out"
n=$(tshark -r "$T/nocsum.pcap" -o udp.check_checksum:TRUE -Y 'tftp.opcode == 3' 2>/dev/null | wc -l)
bad=$(tshark -r "$T/nocsum.pcap" -o udp.check_checksum:TRUE -Y "ip.src == $S && udp.checksum.status == 0" 2>/dev/null | wc -l)
[ "$n" = $BLOCKS ] && [ "$bad" = 0 ] && ok "nocsum_datagrams_checksummed_$n" ||
	not_ok nocsum_datagrams_checksummed "$n DATA for $BLOCKS blocks, $bad bad UDP checksums"
ip netns exec "$SRV" ethtool -K vs0 tx-checksumming on >/dev/null 2>&1

# ---- blocks above the MTU (max_blksize set): the kernel refuses GSO, sendmmsg ----------
kill $PXH_PID; wait $PXH_PID 2>/dev/null
tftp_conf "$T/big.conf" port_range=64001-64100 max_blksize=4000
with_http "$T/big.conf"
PXH_LOG=$T/big.log pxh_daemon "$T/big.conf" "$SRV" || { not_ok daemon "did not start"; exit 1; }
ip netns exec "$CLI" timeout 60 "$TOOLS/tftpfast" -b 4000 -w 16 -o "$T/big.out" $S g.bin >"$T/big.log.client" 2>&1
same big_blocks_byte_exact "$T/big.out"
if grep -q 'UDP GSO unavailable (.*), sendmmsg' "$T/big.log"; then
	ok blocks_above_mtu_fall_back_to_sendmmsg
else not_ok blocks_above_mtu_fall_back_to_sendmmsg "no fallback line in the log: $(grep -c . "$T/big.log") lines"; fi
f=$(metric pxehub_tftp_gso_fallbacks_total)
g=$(metric 'pxehub_tftp_sends_total{way="gso"}')
m=$(metric 'pxehub_tftp_sends_total{way="sendmmsg"}')
[ "$f" = 1 ] && [ "$g" = 0 ] && [ "$m" -ge 47 ] && ok "metrics_one_fallback_then_sendmmsg_$m" ||
	not_ok metrics_one_fallback_then_sendmmsg "fallbacks $f, gso $g, sendmmsg $m"
kill $PXH_PID; wait $PXH_PID 2>/dev/null
ip netns del "$SRV"; ip netns del "$CLI"

# ---- through the TUN delay line (GSO buffers cut by the kernel for the TUN) -------
tftp_pair_delay -d 200 -T 120 || { not_ok setup "delay line"; exit 1; }
tftp_conf "$T/dl.conf" port_range=64001-64100
PXH_LOG=$T/dl.log pxh_daemon "$T/dl.conf" "$SRV" || { not_ok daemon "did not start"; exit 1; }
ip netns exec "$CLI" timeout 60 $(fast dl) >"$T/dl.log.client" 2>&1
same dl_byte_exact "$T/dl.out"
