#!/bin/sh
# DHCP reflection (issue 20, item 9): a forged request cannot make pxehub
# send its answer somewhere the packet merely names.  Port 67 answers a
# relay's giaddr only when a relay can be there (never 0, broadcast,
# multicast, loopback or one of our addresses), ciaddr only when the packet
# came from it (else a broadcast on the link), at most
# replies_per_destination per second to one address; port 4011 answers the
# packet's source only, and only PXE clients.  Requests forged with scapy,
# every packet pxehub sends seen by tshark on the client side.
#
#   [cli 10.53.0.2] --veth-- [srv 10.53.0.1 pxehubd]   srv's default route -> cli
set -u
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_dhcp_reflect # python3-scapy missing"; exit 77; }
command -v tshark >/dev/null || { echo "skip test_dhcp_reflect # tshark missing"; exit 77; }
SRV=$(pxh_netns srv) CLI=$(pxh_netns cli)
pxh_veth "$SRV" s0 10.53.0.1/24 "$CLI" c0 10.53.0.2/24
ip -n "$SRV" route add default via 10.53.0.2
pxh_conf "$T/c.conf"
# the client host is listed as a relay agent ([dhcp] relays): its forged
# giaddrs get past the relay check (test_access_protocols covers a giaddr
# from a host that is not a relay) and meet the reflection rules
printf '[boot]\nloader_efi_x64 = snponly.efi\n[dhcp]\nrate_per_mac = 0\nduplicate_window = 0\nreplies_per_destination = 5\nrelays = 10.53.0.2\n' >>"$T/c.conf"
pxh_daemon "$T/c.conf" "$SRV" || { not_ok daemon "did not start"; exit 1; }

# forge TAG GIADDR CIADDR SRC DPORT [N]: N (1) PXE requests (DISCOVER to 67,
# REQUEST to 4011) from IP SRC, one MAC each; TAG in the xid's top byte
printf '%s\n' \
	'import sys' \
	'sys.path.insert(0, sys.argv[1])' \
	'from dhcp_client import request_bytes' \
	'from scapy.all import IP, UDP, Raw, send, conf' \
	'conf.verb = 0' \
	'tag, gi, ci, src, dport = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])' \
	'n = int(sys.argv[7]) if len(sys.argv) > 7 else 1' \
	'pk = []' \
	'for i in range(n):' \
	'    p = bytearray(request_bytes("52:54:00:53:%02x:%02x" % (tag, i), (tag << 24) | i,' \
	'                                1 if dport == 67 else 3, 7, "PXEClient:Arch:00007:UNDI:003000", ciaddr=ci))' \
	'    p[24:28] = bytes(int(x) for x in gi.split("."))' \
	'    pk.append(IP(src=src, dst="10.53.0.1") / UDP(sport=68 if dport == 4011 else 67, dport=dport) / Raw(bytes(p)))' \
	'send(pk, inter=0.002)' >"$T/forge.py"
forge() { ip netns exec "$CLI" $PY "$T/forge.py" "$PXH_TOP/tests/integration" "$@"; }

pxh_tshark "$CLI" "$T/out.pcap" -q -i c0 -f "udp and src host 10.53.0.1" || { not_ok capture tshark; exit 1; }
forge 1 255.255.255.255 0.0.0.0 10.53.0.2 67
forge 2 10.53.0.1 0.0.0.0 10.53.0.2 67
forge 3 224.0.0.9 0.0.0.0 10.53.0.2 67
forge 4 127.0.0.1 0.0.0.0 10.53.0.2 67
forge 5 0.0.0.0 10.99.0.5 10.53.0.2 67
forge 6 0.0.0.0 0.0.0.0 0.0.0.0 4011
forge 7 0.0.0.0 0.0.0.0 10.99.0.7 4011
forge 8 10.99.0.9 0.0.0.0 10.53.0.2 67 40
forge 9 10.53.0.2 0.0.0.0 10.53.0.2 67
sleep 1
pxh_tshark_stop
# one line per reply: the xid's tag, destination address and port
tshark -r "$T/out.pcap" -T fields -e dhcp.id -e ip.dst -e udp.dstport 2>/dev/null |
	$PY -c 'import sys
for l in sys.stdin:
    f = l.split()
    if len(f) == 3: print(int(f[0], 16) >> 24, f[1], f[2])' >"$T/replies"
to() { awk -v t="$1" '$1 == t { print $2 ":" $3 }' "$T/replies" | sort | uniq -c |
	awk '{ printf "%s%s*%s", s, $2, $1; s = " " }'; }
for c in "1 giaddr_broadcast" "2 giaddr_our_own" "3 giaddr_multicast" "4 giaddr_loopback" "6 pxe_port_source_zero"; do
	set -- $c
	r=$(to $1)
	[ -z "$r" ] && ok "no reply for a forged $2" || not_ok "no reply for a forged $2" "replies: $r"
done
r=$(to 5)
[ "$r" = "255.255.255.255:68*1" ] && ok "ciaddr the packet did not come from: broadcast on the link, not unicast to it" ||
	not_ok "ciaddr not the source: broadcast" "replies: $r"
r=$(to 7)
[ "$r" = "10.99.0.7:68*1" ] && ok "port 4011 answers the packet's source only" ||
	not_ok "port 4011 answers the source" "replies: $r"
n=$(awk '$1 == 8' "$T/replies" | wc -l)
[ "$n" -ge 5 ] && [ "$n" -le 12 ] && ok "replies_per_destination = 5: 40 forged requests via one giaddr draw $n replies" ||
	not_ok "replies_per_destination" "$n replies to 10.99.0.9"
r=$(to 9)
[ "$r" = "10.53.0.2:67*1" ] && ok "a real relay's giaddr is answered" || not_ok "a real relay's giaddr is answered" "replies: $r"
m=$(ip netns exec "$SRV" curl -s http://127.0.0.1/metrics)
echo "$m" | grep -q 'reason="reflection"} [4-9]' &&
	echo "$m" | grep -q 'reason="destination_rate"} [1-9]' &&
	ok "drops counted by reason in /metrics" ||
	not_ok "drops counted by reason" "$(echo "$m" | grep 'dhcp_drop' | tr '\n' ' ')"
exit $_pxh_failed
