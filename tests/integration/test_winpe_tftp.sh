#!/bin/sh
# Windows boot programs over TFTP (issue 14): tests/tools/tftpmsft speaks
# their read request (tsize 0, blksize 1456, windowsize 4, msftwindow
# 31416; a backslash path in another case) and sizes every window with the
# one-byte hint in its ACKs.  A 400 MB boot image comes byte-exact over
# loopback, and over a veth pair with 2% nftables loss on DATA and ACKs;
# tshark's TFTP dissector (which knows the extension) decodes a small
# transfer without expert warnings, sees the OACK's msftwindow 27182 and a
# next-window size in every ACK, and the server sends exactly the blocks
# each hint asked for; atftp (RFC 7440 windowsize 16) and curl (lock-step)
# fetch the same 400 MB for comparison (their times are printed as notes).
#   WINPE_MB (default 400) sets the image size.
set -u
. "$(dirname "$0")/../lib.sh"
. "$PXH_TOP/tests/tools/tftp_net.sh"
pxh_init
for t in nft tshark tcpdump ethtool atftp curl cmp; do
	command -v $t >/dev/null || { echo "skip test_winpe_tftp # $t missing"; exit 77; }
done
tftp_tools && [ -x "$TOOLS/tftpmsft" ] || { not_ok tools "build"; exit 1; }
MB=${WINPE_MB:-400}
R=$T/tftp
O=$T/out
mkdir -p "$R/Boot/x64" "$R/Boot/x86" "$O"
head -c $((MB * 1000000)) /dev/urandom >"$R/Boot/x64/boot.wim"
head -c 3170304 /dev/urandom >"$R/Boot/x64/boot.sdi"
head -c 262144 /dev/urandom >"$R/Boot/x64/BCD"
chmod -R a+rX "$R"
IMG=$R/Boot/x64/boot.wim
note() { echo "# $*"; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
same() { # NAME OUT: byte-exact against the image, then the copy goes
	if cmp -s "$2" "$IMG"; then ok "$1"; else not_ok "$1" "$(tail -1 "$T/$1.err" 2>/dev/null)"; fi
	rm -f "$2"
}

# ---- loopback: the Microsoft request, 400 MB ------------------------------------
LO=$(pxh_netns lo)
tftp_conf "$T/lo.conf"
PXH_LOG=$T/lo.log pxh_daemon "$T/lo.conf" "$LO" || { not_ok daemon "did not start"; exit 1; }
LO_PID=$PXH_PID
r=$(ip netns exec "$LO" timeout 300 "$TOOLS/tftpmsft" -S -b 1456 -w 4 -H 64 \
	-o "$O/m.wim" 127.0.0.1 '\Boot\X64\BOOT.WIM' 2>"$T/msft_400M_byte_exact.err")
note "tftpmsft ${MB} MB: $r"
same msft_400M_byte_exact "$O/m.wim"
if [ "$(field "$r" msft)" = 1 ] && [ "$(field "$r" win_min)" = 4 ] &&
   [ "$(field "$r" win_max)" = 64 ]; then ok msft_negotiated_windows_follow_hints
else not_ok msft_negotiated_windows_follow_hints "$r"; fi
if grep -q 'tftp: sending Boot/x64/boot.wim .*blksize=1456 windowsize=4 msftwindow' "$T/lo.log" &&
   grep -q 'tftp: sent Boot/x64/boot.wim .*windowsize=64 (msftwindow peak)' "$T/lo.log"; then
	ok server_logs_msftwindow
else not_ok server_logs_msftwindow "$(grep 'boot.wim' "$T/lo.log" | tail -2)"; fi
# without the offer the same request is RFC 7440 windows
r=$(ip netns exec "$LO" timeout 300 "$TOOLS/tftpmsft" -M -b 1456 -w 16 \
	-o "$O/r.wim" 127.0.0.1 'boot/x64/boot.wim' 2>"$T/rfc7440_400M_byte_exact.err")
note "tftpmsft -M (RFC 7440, windowsize 16): $r"
same rfc7440_400M_byte_exact "$O/r.wim"
# the same file with atftp (RFC 7440) and curl (lock-step)
t0=$(date +%s.%N)
ip netns exec "$LO" timeout 300 atftp --option "blksize 1456" --option "windowsize 16" \
	--option "tsize 0" -g -r Boot/x64/boot.wim -l "$O/a.wim" 127.0.0.1 >"$T/atftp_400M_byte_exact.err" 2>&1
note "atftp windowsize 16: $(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f s", $2 - $1 }')"
same atftp_400M_byte_exact "$O/a.wim"
t0=$(date +%s.%N)
ip netns exec "$LO" timeout 600 curl -sS --tftp-blksize 1456 -o "$O/c.wim" \
	tftp://127.0.0.1/Boot/x64/boot.wim 2>"$T/curl_400M_byte_exact.err"
note "curl lock-step: $(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f s", $2 - $1 }')"
same curl_400M_byte_exact "$O/c.wim"

# ---- tshark: a small transfer decoded by Wireshark's dissector ---------------------
# the window changes on purpose: -w 2 grows to 16 over boot.sdi's 2178 blocks
# (the server sends each window as one UDP GSO buffer, which lo would keep
# whole: with lo's UDP segmentation off, tcpdump sees each datagram)
P=$T/msft.pcap
tftp_datagrams "$LO" lo
# -s 160 keeps every header and the OACK's options: immediate mode gives
# tcpdump a ring of snaplen-sized slots, and at the default snaplen (256 KB)
# 64 MB hold only 256 packets, which a stall of a few ms on a busy machine
# overflows (the check below would then blame the server for lost frames)
ip netns exec "$LO" tcpdump -i lo -s 160 -B 65536 --immediate-mode -U -w "$P" udp \
	>/dev/null 2>"$T/msft.tcpdump" &
CAP=$!
pxh_track $CAP
wait_for grep -q listening "$T/msft.tcpdump"
r=$(ip netns exec "$LO" timeout 60 "$TOOLS/tftpmsft" -S -b 1456 -w 2 -H 16 \
	-o "$O/sdi" 127.0.0.1 '\boot\x64\boot.sdi' 2>&1)
sleep 0.3
kill $CAP; wait $CAP 2>/dev/null
capdrop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$T/msft.tcpdump")
[ "${capdrop:-0}" = 0 ] || note "capture: $capdrop packets dropped by kernel"
cmp -s "$O/sdi" "$R/Boot/x64/boot.sdi" && ok tshark_capture_byte_exact ||
	not_ok tshark_capture_byte_exact "$r"
oack=$(tshark -r "$P" -Y 'tftp.opcode == 6' -T fields -e tftp.option.name -e tftp.option.value 2>/dev/null)
case "$oack" in
*msftwindow*27182*) ok tshark_oack_msftwindow_27182 ;;
*) not_ok tshark_oack_msftwindow_27182 "OACK: $oack" ;;
esac
acks=$(tshark -r "$P" -Y 'tftp.opcode == 4' 2>/dev/null | wc -l)
hinted=$(tshark -r "$P" -Y 'tftp.opcode == 4 && tftp.nextwindowsize' 2>/dev/null | wc -l)
if [ "$acks" -gt 10 ] && [ "$acks" = "$hinted" ]; then ok tshark_every_ack_has_next_window_size
else not_ok tshark_every_ack_has_next_window_size "$hinted of $acks ACKs"; fi
# expert info: nothing at warning or error level (window changes are "chat")
tshark -r "$P" -q -z expert >"$T/expert.txt" 2>/dev/null
warn=$(tshark -r "$P" -Y '_ws.expert.severity >= 6291456' 2>/dev/null | wc -l)
if [ "$warn" = 0 ] && ! grep -qE '^(Errors|Warns) \(' "$T/expert.txt" &&
   grep -q 'TFTP window size is changing' "$T/expert.txt"; then
	ok tshark_no_expert_warnings
else not_ok tshark_no_expert_warnings "$warn frames; $(grep -E '^(Errors|Warns|Notes|Chats)' "$T/expert.txt" | tr '\n' ' ')"; fi
# every window holds exactly the blocks the ACK before it asked for (the
# last one as many as are left); decoded by tshark, counted here
bad=$(tshark -r "$P" -Y 'tftp.opcode == 3 || tftp.opcode == 4' -T fields \
	-e tftp.opcode -e tftp.nextwindowsize 2>/dev/null | awk '
	$1 == 4 { if (want != "" && got != want) bad++; want = $2; got = 0; next }
	$1 == 3 { got++ }
	END { print bad + 0 }')
wins=$(tshark -r "$P" -Y 'tftp.opcode == 4' -T fields -e tftp.nextwindowsize 2>/dev/null | sort -un | tr '\n' ' ')
if [ "$bad" -le 1 ]; then ok server_sends_the_hinted_window
else not_ok server_sends_the_hinted_window "$bad windows differ (sizes asked: $wins; tcpdump dropped ${capdrop:-?}; client: $r)"; fi
note "window sizes asked: $wins"
kill "$LO_PID"; wait "$LO_PID" 2>/dev/null

# ---- 2% loss both ways, veth pair, 400 MB -------------------------------------------
tftp_pair_veth || { not_ok setup "veth pair"; exit 1; }
# datagrams cut at vs0, so that the client's loss rule sees each one (a
# veth would carry a window's GSO buffer whole)
tftp_datagrams "$SRV" vs0 || exit 1
tftp_conf "$T/loss.conf" port_range=64001-64100 timeout=200ms retries=8
PXH_LOG=$T/loss.log pxh_daemon "$T/loss.conf" "$SRV" || { not_ok daemon "did not start"; exit 1; }
# DATA dropped on the client's input, ACKs (past the handshake) on the
# server's input: a drop in an output hook is an EPERM to the sender
ip netns exec "$CLI" nft -f - <<'EON' || { not_ok nft "rules refused"; exit 1; }
table inet loss {
	chain in {
		type filter hook input priority 0; policy accept;
		udp sport 64001-64100 @th,64,16 3 numgen random mod 100 < 2 counter drop
	}
}
EON
ip netns exec "$SRV" nft -f - <<'EON' || { not_ok nft "rules refused"; exit 1; }
table inet loss {
	chain in {
		type filter hook input priority 0; policy accept;
		udp dport 64001-64100 @th,64,16 4 @th,80,16 != 0 numgen random mod 100 < 2 counter drop
	}
}
EON
# the client's own timer: 10 ms (a lost last block of a window or a lost
# ACK costs that much; Windows' own client waits longer)
r=$(ip netns exec "$CLI" timeout 300 "$TOOLS/tftpmsft" -S -t 10 -b 1456 -w 4 -H 64 \
	-o "$O/l.wim" 10.98.0.1 '\Boot\x64\boot.wim' 2>"$T/msft_loss2_400M_byte_exact.err")
note "tftpmsft at 2% loss: $r"
dropped=$(ip netns exec "$CLI" nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
dropped_acks=$(ip netns exec "$SRV" nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
note "dropped: $dropped DATA, $dropped_acks ACKs"
same msft_loss2_400M_byte_exact "$O/l.wim"
if [ "${dropped:-0}" -gt 100 ] && [ "$(field "$r" gaps)" -gt 0 ] 2>/dev/null; then ok loss_was_real
else not_ok loss_was_real "dropped ${dropped:-?}; $r"; fi
exit 0
