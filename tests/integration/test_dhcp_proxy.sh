#!/bin/sh
# proxyDHCP beside a site DHCP server, in network namespaces:
#
#   [c1 10.50.0.77]--+                       +--[srv s0 10.50.0.1] pxehubd
#   [dns 10.50.0.2]--+-- br0 (ns lan) -------+
#   [relay r0 .3]----+    relay r1 10.60.0.1 --[remote rc] (giaddr path)
#   [c2 10.51.0.77]--------------------------[srv s1 10.51.0.1] (second NIC)
#
# dnsmasq hands out addresses only; pxehubd answers PXE.  Replies are decoded
# by scapy (dhcp_client.py) and tshark, never by pxehub's own parser.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
CL="$PY $PXH_TOP/tests/integration/dhcp_client.py"
for t in dnsmasq dhcrelay tshark; do
	command -v $t >/dev/null 2>&1 || { echo "skip test_dhcp_proxy # $t missing"; exit 77; }
done
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_dhcp_proxy # python3-scapy missing"; exit 77; }
[ -x "$PXHD" ] || { echo "skip test_dhcp_proxy # pxehubd not built"; exit 77; }

SRV=$(pxh_netns srv) LAN=$(pxh_netns lan) DNS=$(pxh_netns dns) C1=$(pxh_netns c1)
C2=$(pxh_netns c2) RLY=$(pxh_netns rly) RC=$(pxh_netns rc)
ip -n "$LAN" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$LAN" link set br0 up
pxh_veth "$SRV" s0 10.50.0.1/24 "$LAN" l0 ""
pxh_veth "$DNS" d0 10.50.0.2/24 "$LAN" l1 ""
pxh_veth "$C1" c1 10.50.0.77/24 "$LAN" l2 ""
pxh_veth "$RLY" r0 10.50.0.3/24 "$LAN" l3 ""
for p in l0 l1 l2 l3; do ip -n "$LAN" link set $p master br0; done
pxh_veth "$SRV" s1 10.51.0.1/24 "$C2" c2 10.51.0.77/24
pxh_veth "$RLY" r1 10.60.0.1/24 "$RC" rc ""
ip -n "$SRV" route add 10.60.0.0/24 via 10.50.0.3
ip netns exec "$RLY" sysctl -qw net.ipv4.ip_forward=1
ip -n "$C1" link set c1 address 52:54:00:50:00:77

# the site DHCP server: addresses only, no boot options
cat >"$T/dnsmasq.conf" <<EOF
port=0
interface=d0
bind-interfaces
dhcp-range=10.50.0.100,10.50.0.150,255.255.255.0,10m
dhcp-leasefile=$T/leases
no-ping
EOF
ip netns exec "$DNS" dnsmasq -k -C "$T/dnsmasq.conf" -u root >"$T/dnsmasq.log" 2>&1 &
pxh_track $!
# the relay: clients on r1, servers via r0, adds option 82 (-a)
ip netns exec "$RLY" dhcrelay -4 -d -q -a -id r1 -iu r0 10.50.0.1 >"$T/relay.log" 2>&1 &
pxh_track $!

pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[boot]
loader_bios = undionly.kpxe
loader_efi_x64 = snponly.efi
loader_efi_ia32 = ia32.efi
loader_efi_arm64 = arm64.efi
[dhcp]
rate_per_mac = 0
# dhcrelay sends from its upstream address, not from the giaddr
relays = 10.50.0.3
EOF
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start "see log"; exit 1; }
sleep 0.5

UUIDHEX=0067452301ab89efcd0123456789abcdef
# field NAME JSON: one value of the reply object (opts.N for options)
field() { $PY -c 'import json,sys
r=json.loads(sys.argv[2]); k=sys.argv[1]
v=r["opts"].get(k[5:], "") if k.startswith("opts.") else r.get(k, "")
print(v)' "$1" "$2"; }

# expect NAME JSON KEY=VALUE...
expect() {
	_n=$1 _j=$2; shift 2
	if [ -z "$_j" ]; then not_ok "$_n" "no reply"; return; fi
	for kv in "$@"; do
		_k=${kv%%=*} _v=${kv#*=}
		_got=$(field "$_k" "$_j")
		if [ "$_got" != "$_v" ]; then
			not_ok "$_n" "$_k is '$_got', want '$_v'"; return
		fi
	done
	ok "$_n"
}

# discover NS IFACE MAC ARCH VENDOR [args]: pxehub's reply (JSON) only
discover() {
	_ns=$1; shift
	ip netns exec "$_ns" $CL discover "$@" --from "${FROM:-10.50.0.1}" 2>>"$T/client.err" | head -1
}

OFFER="src=10.50.0.1 sport=67 dst=255.255.255.255 dport=68 yiaddr=0.0.0.0 siaddr=10.50.0.1 opts.53=2 opts.54=10.50.0.1 opts.97=$UUIDHEX"
# option 60 as hex: "PXEClient", "HTTPClient"
PXEC=505845436c69656e74 HTTPC=48545450436c69656e74
PXE="opts.60=$PXEC opts.43=060108ff"

j=$(discover "$C1" c1 52:54:00:50:00:01 0 PXEClient:Arch:00000:UNDI:002001)
expect offer_arch0_bios "$j" $OFFER $PXE file=undionly.kpxe
j=$(discover "$C1" c1 52:54:00:50:00:06 6 PXEClient:Arch:00006:UNDI:003016)
expect offer_arch6_efi_ia32 "$j" $OFFER $PXE file=ia32.efi
j=$(discover "$C1" c1 52:54:00:50:00:07 7 PXEClient:Arch:00007:UNDI:003000)
expect offer_arch7_efi_x64 "$j" $OFFER $PXE file=snponly.efi
j=$(discover "$C1" c1 52:54:00:50:00:09 9 PXEClient:Arch:00009:UNDI:003000)
expect offer_arch9_as_x64 "$j" $OFFER $PXE file=snponly.efi
j=$(discover "$C1" c1 52:54:00:50:00:0b 11 PXEClient:Arch:00011:UNDI:003000)
expect offer_arch11_efi_arm64 "$j" $OFFER $PXE file=arm64.efi
j=$(discover "$C1" c1 52:54:00:50:00:10 16 HTTPClient:Arch:00016:UNDI:003000)
expect offer_arch16_httpclient "$j" $OFFER opts.60=$HTTPC opts.43= \
	file=http://10.50.0.1/tftp/snponly.efi
j=$(discover "$C1" c1 52:54:00:50:00:20 0 PXEClient:Arch:00000:UNDI:002001 --user-class raw --opt175)
expect offer_ipxe_raw_user_class_gets_script "$j" $OFFER $PXE file=http://10.50.0.1/boot.ipxe
j=$(discover "$C1" c1 52:54:00:50:00:21 7 PXEClient:Arch:00007:UNDI:003010 --user-class rfc)
expect offer_ipxe_rfc3004_user_class_gets_script "$j" $OFFER $PXE file=http://10.50.0.1/boot.ipxe
j=$(discover "$C1" c1 52:54:00:50:00:22 1234 PXEClient:Arch:01234:UNDI:003000)
if [ -z "$j" ]; then ok unknown_arch_ignored; else not_ok unknown_arch_ignored "answered: $j"; fi

# the site server still hands out the address, with no boot file
j=$(FROM=10.50.0.2 discover "$C1" c1 52:54:00:50:00:30 0 PXEClient:Arch:00000:UNDI:002001)
case "$(field yiaddr "$j")" in
10.50.0.1[0-5]?) expect site_dhcp_offers_address_only "$j" file= opts.43= ;;
*) not_ok site_dhcp_offers_address_only "dnsmasq reply: $j" ;;
esac

# 4011: the follow-up REQUEST, answered to its source with an ACK
j=$(ip netns exec "$C1" $CL request 10.50.0.1 52:54:00:50:00:07 7 PXEClient:Arch:00007:UNDI:003000 --ciaddr 10.50.0.77 --boot-item 2>>"$T/client.err")
expect ack_4011_boot_item_echo "$j" src=10.50.0.1 sport=4011 opts.53=5 opts.54=10.50.0.1 \
	opts.60=$PXEC opts.97=$UUIDHEX opts.43=470480000000ff file=snponly.efi siaddr=10.50.0.1
j=$(ip netns exec "$C1" $CL request 10.50.0.1 52:54:00:50:00:23 0 PXEClient:Arch:00000:UNDI:002001 --ciaddr 10.50.0.77 --user-class raw 2>>"$T/client.err")
expect ack_4011_ipxe_gets_script "$j" src=10.50.0.1 sport=4011 opts.53=5 file=http://10.50.0.1/boot.ipxe

# second NIC: the offer leaves through s1 with s1's address, and not via s0
pxh_tshark "$C1" "$T/c1.pcap" -i c1 -f "udp port 68"
j=$(FROM=10.51.0.1 discover "$C2" c2 52:54:00:51:00:01 7 PXEClient:Arch:00007:UNDI:003000)
expect second_nic_offer_server_id "$j" src=10.51.0.1 dst=255.255.255.255 opts.54=10.51.0.1 \
	siaddr=10.51.0.1 file=snponly.efi
sleep 0.5 # a leaked reply would come within this
pxh_tshark_stop
leak=$(tshark -r "$T/c1.pcap" -Y 'dhcp.hw.mac_addr == 52:54:00:51:00:01' 2>/dev/null | wc -l)
if [ "$leak" = 0 ] && [ -s "$T/c1.pcap" ]; then ok second_nic_reply_not_on_first_nic
else not_ok second_nic_reply_not_on_first_nic "$leak replies for the c2 client seen on c1"; fi
j=$(discover "$C1" c1 52:54:00:50:00:02 7 PXEClient:Arch:00007:UNDI:003000)
expect first_nic_offer_server_id "$j" src=10.50.0.1 opts.54=10.50.0.1 siaddr=10.50.0.1

# relayed: DISCOVER from the remote segment via dhcrelay; pxehub answers
# giaddr:67 and echoes option 82 (checked with tshark on the relay's uplink)
pxh_tshark "$RLY" "$T/relay.pcap" -i r0 -f "udp port 67"
j=$(FROM=10.60.0.1 discover "$RC" rc 52:54:00:60:00:01 0 PXEClient:Arch:00000:UNDI:002001 --bcast --timeout 3)
expect relayed_offer_reaches_client "$j" opts.54=10.50.0.1 siaddr=10.50.0.1 giaddr=10.60.0.1 \
	file=undionly.kpxe opts.60=$PXEC
pxh_tshark_stop
r=$(tshark -r "$T/relay.pcap" -Y 'ip.src == 10.50.0.1 && dhcp.option.dhcp == 2' -T fields \
	-e ip.dst -e udp.dstport -e dhcp.ip.relay -e dhcp.option.agent_information_option.agent_circuit_id 2>/dev/null | head -1)
case "$r" in
"10.60.0.1	67	10.60.0.1	"?*) ok relayed_reply_to_giaddr_with_option82 ;;
*) not_ok relayed_reply_to_giaddr_with_option82 "tshark saw '$r'" ;;
esac

# a plain DHCP client (ISC dhclient) with a PXE vendor class hears both the
# site server's address offer and pxehub's proxy offer.  (Which one a plain
# client picks is a race: it may take the address-less proxy offer, as with
# any proxyDHCP server; PXE firmware does not.)
if command -v dhclient >/dev/null 2>&1; then
	echo 'send vendor-class-identifier "PXEClient:Arch:00000:UNDI:002001";' >"$T/dhclient.conf"
	ip netns exec "$C1" ip addr flush dev c1
	ip netns exec "$C1" timeout 20 dhclient -4 -1 -d -v -cf "$T/dhclient.conf" \
		-lf "$T/dhclient.leases" -pf "$T/dhclient.pid" -sf /bin/true c1 >"$T/dhclient.log" 2>&1 &
	DC=$!
	i=0
	while [ $i -lt 150 ] && ! grep -q 'DHCPOFFER of .* from 10.50.0.[12]' "$T/dhclient.log"; do sleep 0.1; i=$((i + 1)); done
	kill $DC 2>/dev/null; wait $DC 2>/dev/null
	ip netns exec "$C1" ip addr add 10.50.0.77/24 dev c1 2>/dev/null
	if grep -q 'DHCPOFFER of .* from 10.50.0.[12]' "$T/dhclient.log" &&
	   grep -q "offer mac=52:54:00:50:00:77" "$T/pxehubd.log"; then
		ok dhclient_pxe_vendor_class_answered
	else
		not_ok dhclient_pxe_vendor_class_answered "$(grep -E 'DHCPOFFER|bound' "$T/dhclient.log" | tr '\n' ' ')"
	fi
else
	skip dhclient_pxe_vendor_class_answered "dhclient missing"
fi

# a flood of malformed packets: counted and logged, valid clients answered
n=$(ip netns exec "$C1" $PY "$PXH_TOP/tests/integration/dhcp_client.py" flood 10.50.0.1 67 20000 2>/dev/null)
j=$(discover "$C1" c1 52:54:00:50:00:40 0 PXEClient:Arch:00000:UNDI:002001 --timeout 3)
expect answered_after_malformed_flood "$j" $OFFER file=undionly.kpxe
if grep -q 'dhcp: dropped malformed packet' "$T/pxehubd.log" && kill -0 "$PXH_PID" 2>/dev/null; then
	ok malformed_logged_and_daemon_alive
else
	not_ok malformed_logged_and_daemon_alive "sent $n; no debug line or daemon gone"
fi
m=$(ip netns exec "$C1" curl -s --max-time 3 http://10.50.0.1/metrics 2>/dev/null |
	sed -n 's/^pxehub_dhcp_dropped_total{reason="malformed"} \([0-9]*\).*/\1/p')
if [ -n "$m" ] && [ "$m" -gt 1000 ]; then ok malformed_counted_in_metrics
elif [ -z "$m" ]; then skip malformed_counted_in_metrics "no /metrics answer"
else not_ok malformed_counted_in_metrics "counter $m"; fi

exit $_pxh_failed
