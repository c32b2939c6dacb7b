#!/bin/sh
# DHCPv6 boot answers beside a site DHCPv6 server, in network namespaces:
#
#   [c1 2001:db8:50::77]-+                    +-[srv s0 2001:db8:50::1] pxehubd
#   [c2 dhclient -6]-----+-- br0 (ns lan) ----+
#   [dns d0 ::2] dnsmasq-+                    +-[rly r0 ::3] dhcrelay -6 -- r1 2001:db8:60::1 --[rc]
#
# dnsmasq sends router advertisements and gives the addresses (stateful
# DHCPv6); pxehubd answers boot clients as a proxy without addresses.  The
# clients are a real dhclient -6 and dhcp6_client.py (the EDK2/iPXE message
# shapes); replies are decoded by tshark on the client's link, never by
# pxehub's own parser.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
CL="$PY $PXH_TOP/tests/integration/dhcp6_client.py"
DEC="$PY $PXH_TOP/tests/integration/dhcp6_decode.py"
for t in dnsmasq dhcrelay dhclient tshark; do
	command -v $t >/dev/null 2>&1 || { echo "skip test_dhcp6 # $t missing"; exit 77; }
done
[ -x "$PXHD" ] || { echo "skip test_dhcp6 # pxehubd not built"; exit 77; }

ns() { _n=$(pxh_netns "$1") || exit 1
	# no duplicate address detection: addresses usable at once
	ip netns exec "$_n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
	echo "$_n"; }
SRV=$(ns srv) LAN=$(ns lan) DNS=$(ns dns) C1=$(ns c1) C2=$(ns c2) RLY=$(ns rly) RC=$(ns rc)
C3=$(ns c3)
ip -n "$LAN" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$LAN" link set br0 up
pxh_veth "$SRV" s0 "" "$LAN" l0 ""
pxh_veth "$DNS" d0 "" "$LAN" l1 ""
pxh_veth "$C1" c1 "" "$LAN" l2 ""
pxh_veth "$C2" c2 "" "$LAN" l3 ""
pxh_veth "$RLY" r0 "" "$LAN" l4 ""
for p in l0 l1 l2 l3 l4; do ip -n "$LAN" link set $p master br0; done
pxh_veth "$RLY" r1 "" "$RC" rc ""
# a second link where pxehub has only its link-local address
pxh_veth "$SRV" s1 "" "$C3" c3 ""
# the MAC before the link-local address is made from it (EUI-64)
for x in "$C1 c1 52:54:00:50:00:77" "$RC rc 52:54:00:60:00:77"; do
	set -- $x
	ip -n "$1" link set "$2" down
	ip -n "$1" link set "$2" address "$3"
	ip -n "$1" link set "$2" up
done
ip -n "$SRV" addr add 2001:db8:50::1/64 dev s0
ip -n "$DNS" addr add 2001:db8:50::2/64 dev d0
ip -n "$C1" addr add 2001:db8:50::77/64 dev c1
ip -n "$RLY" addr add 2001:db8:50::3/64 dev r0
ip -n "$RLY" addr add 2001:db8:60::1/64 dev r1
ip -n "$SRV" -6 route add 2001:db8:60::/64 via 2001:db8:50::3
ip netns exec "$RLY" sysctl -qw net.ipv6.conf.all.forwarding=1

# the site's DHCPv6 server: RAs with the M flag, addresses only
cat >"$T/dnsmasq.conf" <<EOC
port=0
interface=d0
bind-interfaces
enable-ra
dhcp-range=2001:db8:50::100,2001:db8:50::1ff,64,10m
dhcp-leasefile=$T/leases
EOC
ip netns exec "$DNS" dnsmasq -k -C "$T/dnsmasq.conf" -u root >"$T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
pxh_track $DNSMASQ
# the relay: clients on r1, pxehub upstream via r0
ip netns exec "$RLY" dhcrelay -6 -d -q -l r1 -u 2001:db8:50::1%r0 >"$T/relay.log" 2>&1 &
pxh_track $!

pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOC
[boot]
loader_bios = undionly.kpxe
loader_efi_x64 = snponly.efi
loader_efi_arm64 = arm64.efi
[dhcp]
rate_per_mac = 0
[dhcp6]
enabled = yes
EOC
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start "see log"; exit 1; }

# run NAME NETNS IFACE ARGS...: the client under a capture of its link;
# the decoded replies (one JSON line each) in $T/NAME.json
run() {
	_name=$1 _ns=$2 _if=$3; shift 3
	pxh_tshark "$_ns" "$T/$_name.pcap" -i "$_if" -f "udp port 546 or udp port 4011" || true
	ip netns exec "$_ns" $CL "$_if" "$@" >"$T/$_name.out" 2>&1
	pxh_tshark_stop
	tshark -r "$T/$_name.pcap" -d udp.port==4011,dhcpv6 -Y 'dhcpv6.msgtype != 1 && dhcpv6.msgtype != 3 && dhcpv6.msgtype != 11' \
		-T pdml 2>/dev/null | $DEC >"$T/$_name.json"
}
# has NAME PYTHON-EXPR: one decoded reply r satisfies the expression
has() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if eval(sys.argv[2]): sys.exit(0)
sys.exit(1)' "$T/$1.json" "$2"; }
expect() { if has "$2" "$3"; then ok "$1"; else not_ok "$1" "decoded: $(cat "$T/$2.json" | tr '\n' ' ')"; fi; }

S=2001:db8:50::1
# EDK2 PXEv6 (arch 7): the site's Advertise has the address, ours the boot
# file URL and PXEClient, no IA and no status code (EDK2 drops those)
run pxe "$C1" c1 pxe --arch 7 --wait 3 --expect 2
expect pxe_advertise_url pxe "r['msgtype']==[2] and r['url']==['tftp://[$S]/snponly.efi'] and r['vendorclass']==['PXEClient'] and not r['iaid'] and not r['status'] and not r['malformed']"
expect pxe_client_id_echoed pxe "r['url'] and r['duid'][0]=='000467452301ab89efcd0123456789abcdef'"
expect site_advertise_has_address pxe "r['msgtype']==[2] and r['iaid'] and not r['url']"
SDUID=$($PY -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["url"]: print(r["duid"][1]); break' "$T/pxe.json")

# EDK2 HTTPv6 (arch 16): HTTPClient and an http URL under /tftp/
run http "$C1" c1 http --arch 16 --wait 3 --expect 2
expect http_advertise_url http "r['url']==['http://[$S]/tftp/snponly.efi'] and r['vendorclass']==['HTTPClient']"

# iPXE, stateless: Information-request with user class iPXE -> Reply with the script
run ipxe "$C1" c1 ipxe --type info --wait 3 --expect 2
expect ipxe_reply_script ipxe "r['msgtype']==[7] and r['url']==['http://[$S]/boot.ipxe']"

# EDK2's second step: a Request with our server id to [pxehub]:4011 from port 4011
run pxe4011 "$C1" c1 pxe --type request --server-duid "$SDUID" --dst $S --port 4011 --sport 4011 --wait 3 --expect 1
expect pxe_port_4011_reply pxe4011 "r['msgtype']==[7] and r['url']==['tftp://[$S]/snponly.efi'] and not r['iaid']"

# a Request naming us on 547: Reply with the URL, each IA with NoAddrsAvail
run req "$C1" c1 pxe --type request --server-duid "$SDUID" --wait 3 --expect 1
expect request_noaddrs_reply req "r['msgtype']==[7] and r['iaid']==['a1b2c3d4'] and 2 in r['status'] and r['url']"

# Rapid Commit asked: still an Advertise (a Reply would commit the client
# to a server that gives it no address)
run rapid "$C1" c1 pxe --arch 7 --rapid --wait 3 --expect 2
expect rapid_commit_gets_advertise rapid "r['msgtype']==[2] and r['url']"

# a hostile vendor class (a line break, an escape) reaches the log escaped
run hostile "$C1" c1 pxe --arch 7 --vendor "$(printf 'PXEClient:Arch:00007\nevent=forged \033[31m')" --wait 3 --expect 2
if grep -q '^event=forged' "$T/pxehubd.log" || grep -q "$(printf '\033')" "$T/pxehubd.log"; then
	not_ok hostile_vendor_class_escaped "raw text in the log"
elif has hostile "r['url']"; then ok hostile_vendor_class_escaped
else not_ok hostile_vendor_class_escaped "no answer"; fi

# a request naming another server: not ours, no reply from pxehub
run other "$C1" c1 pxe --type request --server-duid 0003000102000000dead --wait 1
if has other "r['url']"; then not_ok other_server_request_ignored "$(cat "$T/other.json")"
else ok other_server_request_ignored; fi

# relayed: dhcrelay -6 wraps the Solicit; the Relay-Reply comes back through it
run relayed "$RC" rc pxe --arch 7 --wait 3 --expect 1
expect relayed_advertise_url relayed "r['msgtype']==[2] and r['url']==['tftp://[$S]/snponly.efi']"
if grep -q "mac=52:54:00:60:00:77.*via relay 2001:db8:50::3 link 2001:db8:60::1\|via relay 2001:db8:50::3 link 2001:db8:60::1" "$T/pxehubd.log" &&
   grep -q "dhcp6: advertise mac=52:54:00:60:00:77" "$T/pxehubd.log"; then ok relayed_facts_mac_and_relay
else not_ok relayed_facts_mac_and_relay "$(grep dhcp6 "$T/pxehubd.log" | tail -3 | tr '\n' ' ')"; fi

# the peer-address a Relay-Forward carries is not the client's address
# fact ([access] would match it): the relayed client's event has no ip=
ev=$(grep 'event=dhcp_request mac=52:54:00:60:00:77 ' "$T/pxehubd.log" | head -1)
if [ -z "$ev" ] || echo "$ev" | grep -q ' ip='; then
	not_ok relayed_peer_address_not_a_fact "event: $ev"
else ok relayed_peer_address_not_a_fact; fi

# a real DHCPv6 client gets its address from the site's server; pxehub
# leaves it alone (no PXE vendor class, arch or iPXE user class)
ip netns exec "$C2" timeout 20 dhclient -6 -1 -v -lf "$T/dhclient6.leases" -pf "$T/dhclient6.pid" c2 \
	>"$T/dhclient.log" 2>&1
[ -f "$T/dhclient6.pid" ] && pxh_track "$(cat "$T/dhclient6.pid")"
if grep -q "iaaddr 2001:db8:50::1" "$T/dhclient6.leases" 2>/dev/null &&
   ip -n "$C2" -6 addr show dev c2 | grep -q "2001:db8:50::1"; then ok dhclient6_address_from_site_server
else not_ok dhclient6_address_from_site_server "$(tail -3 "$T/dhclient.log" | tr '\n' ' ')"; fi

metric() { ip netns exec "$SRV" curl -s --max-time 3 http://127.0.0.1/metrics 2>/dev/null |
	awk -v k="$1" '$1 == k { print $2 }'; }
m=$(metric 'pxehub_dhcp6_dropped_total{reason="not_pxe"}')
if [ -n "$m" ] && [ "$m" -ge 1 ]; then ok plain_client_not_answered; else not_ok plain_client_not_answered "not_pxe=$m"; fi

# a link where pxehub has no global address: no URL can name it, so no
# answer; counted, and the warning is not repeated per request
for i in 1 2 3; do ip netns exec "$C3" $CL c3 pxe --arch 7 --wait 0.3 >/dev/null 2>&1; done
m=$(metric 'pxehub_dhcp6_dropped_total{reason="no_address"}')
w=$(grep -c 'dhcp6: no answer on s1: it has no global IPv6 address' "$T/pxehubd.log")
if [ -n "$m" ] && [ "$m" -ge 2 ] && [ "$w" = 1 ]; then ok no_global_address_no_answer
else not_ok no_global_address_no_answer "no_address=$m warnings=$w"; fi

# broken messages are dropped and counted; a good one after them is answered
run flood "$C1" c1 pxe --arch 7 --flood 300 --wait 3 --expect 2
expect answered_after_malformed_flood flood "r['url']==['tftp://[$S]/snponly.efi']"
m=$(metric 'pxehub_dhcp6_dropped_total{reason="malformed"}')
if [ -n "$m" ] && [ "$m" -ge 100 ]; then ok malformed_counted; else not_ok malformed_counted "malformed=$m"; fi
kill -0 "$PXH_PID" 2>/dev/null && ok daemon_alive || not_ok daemon_alive

# events carry the v6 client and escape nothing unusual here; the
# decision event names the URL
grep -q 'dhcp6: advertise mac=52:54:00:50:00:77 arch=efi-x64 url=tftp://\[2001:db8:50::1\]/snponly.efi' "$T/pxehubd.log" &&
	ok decision_logged || not_ok decision_logged "$(grep dhcp6 "$T/pxehubd.log" | tail -3 | tr '\n' ' ')"

# [access]: a denied MAC gets nothing after a reload, and is counted
sed -i 's/^allow = all$/allow = all\ndeny = 52:54:00:50:00:77/' "$T/pxehub.conf"
kill -HUP "$PXH_PID"
wait_for grep -q 'server: reloaded' "$T/pxehubd.log"
sleep 0.3
run denied "$C1" c1 pxe --arch 7 --wait 1.5
m=$(metric 'pxehub_dhcp6_dropped_total{reason="access"}')
if has denied "r['url']"; then not_ok access_deny_mac "answered"
elif [ -n "$m" ] && [ "$m" -ge 1 ]; then ok access_deny_mac
else not_ok access_deny_mac "access=$m"; fi

# DHCPv6 options mode: the site's server itself names pxehub, with the
# dnsmasq block of docs/ipv6.md (pxehub's Advertise has no IA: the one
# checked here is dnsmasq's, with an address)
kill $DNSMASQ; wait $DNSMASQ 2>/dev/null
cp "$T/dnsmasq.conf" "$T/dnsmasq-opts.conf"
sed -n '/<!-- dnsmasq-dhcp6-options -->/,/^```$/p' "$PXH_TOP/docs/ipv6.md" |
	sed '1,2d;$d' | sed "s/PXEHUB/$S/g" >>"$T/dnsmasq-opts.conf"
ip netns exec "$DNS" dnsmasq -k -C "$T/dnsmasq-opts.conf" -u root >"$T/dnsmasq-opts.log" 2>&1 &
pxh_track $!
sleep 0.5
run opts_pxe "$C1" c1 pxe --arch 7 --wait 3 --expect 2
expect options_mode_pxe_url opts_pxe "r['iaid'] and r['url']==['tftp://[$S]/snponly.efi']"
run opts_ipxe "$C1" c1 ipxe --arch 7 --wait 3 --expect 2
expect options_mode_ipxe_script opts_ipxe "r['iaid'] and r['url']==['http://[$S]/boot.ipxe']"
exit $_pxh_failed
