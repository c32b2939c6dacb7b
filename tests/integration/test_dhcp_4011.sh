#!/bin/sh
# 4011-only mode ([dhcp] port = 0): the site's DHCP server runs on the same
# host (dnsmasq on port 67, with option 60 "PXEClient" in its offers, as the
# PXE spec asks of a DHCP server beside a boot server), and pxehub answers
# only the clients' follow-up REQUEST on port 4011.
#
#   [c 10.52.0.77] -- veth -- [srv 10.52.0.1] dnsmasq :67 + pxehubd :4011
#
# Replies are decoded by scapy (dhcp_client.py), sockets listed by ss.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
CL="$PY $PXH_TOP/tests/integration/dhcp_client.py"
for t in dnsmasq ss; do
	command -v $t >/dev/null 2>&1 || { echo "skip test_dhcp_4011 # $t missing"; exit 77; }
done
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_dhcp_4011 # python3-scapy missing"; exit 77; }

SRV=$(pxh_netns srv) C=$(pxh_netns c)
pxh_veth "$SRV" s0 10.52.0.1/24 "$C" c0 10.52.0.77/24
ip -n "$C" link set c0 address 52:54:00:52:00:77

cat >"$T/dnsmasq.conf" <<EOF
port=0
interface=s0
bind-interfaces
dhcp-range=10.52.0.100,10.52.0.150,255.255.255.0,10m
dhcp-leasefile=$T/leases
dhcp-option-force=60,PXEClient
no-ping
EOF
ip netns exec "$SRV" dnsmasq -k -C "$T/dnsmasq.conf" -u root >"$T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
pxh_track $DNSMASQ
wait_for sh -c "ip netns exec $SRV ss -uln | grep -q ':67 '" || { not_ok setup "dnsmasq not on port 67"; exit 1; }

pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[boot]
loader_bios = undionly.kpxe
loader_efi_x64 = snponly.efi
[dhcp]
port = 0
rate_per_mac = 0
EOF
pxh_daemon "$T/pxehub.conf" "$SRV" && ok starts_beside_a_dhcp_server_on_67 ||
	{ not_ok starts_beside_a_dhcp_server_on_67 "see log"; exit 1; }
sleep 0.3
socks=$(ip netns exec "$SRV" ss -ulnp)
owner67=$(echo "$socks" | awk '$4 ~ /:67$/' | grep -o 'users:(("[^"]*"' | sort -u | tr '\n' ' ')
case "$owner67" in
*pxehubd*) not_ok pxehubd_not_on_67 "$owner67" ;;
*dnsmasq*) ok pxehubd_not_on_67 ;;
*) not_ok pxehubd_not_on_67 "port 67: '$owner67'" ;;
esac
echo "$socks" | awk '$4 ~ /:4011$/' | grep -q pxehubd && ok pxehubd_on_4011 ||
	not_ok pxehubd_on_4011 "$(echo "$socks" | tr '\n' ' ')"

field() { $PY -c 'import json,sys
r=json.loads(sys.argv[2]); k=sys.argv[1]
v=r["opts"].get(k[5:], "") if k.startswith("opts.") else r.get(k, "")
print(v)' "$1" "$2"; }

# a DISCOVER: one offer, dnsmasq's (an address, option 60), none from pxehub
ip netns exec "$C" $CL discover c0 52:54:00:52:00:77 7 PXEClient:Arch:00007:UNDI:003000 \
	--timeout 2 >"$T/offers" 2>>"$T/client.err"
n=$(grep -c . "$T/offers")
j=$(head -1 "$T/offers")
if [ "$n" = 1 ]; then
	case "$(field yiaddr "$j") $(field opts.60 "$j") $(field opts.43 "$j")" in
	"10.52.0.1"[0-5]?" 505845436c69656e74 ") ok discover_answered_by_the_dhcp_server_only ;;
	*) not_ok discover_answered_by_the_dhcp_server_only "$j" ;;
	esac
else
	not_ok discover_answered_by_the_dhcp_server_only "$n replies: $(cat "$T/offers")"
fi

# the follow-up REQUEST to 4011, from the address dnsmasq gave
j=$(ip netns exec "$C" $CL request 10.52.0.1 52:54:00:52:00:77 7 PXEClient:Arch:00007:UNDI:003000 \
	--ciaddr 10.52.0.77 2>>"$T/client.err")
if [ -n "$j" ] && [ "$(field sport "$j") $(field opts.53 "$j") $(field file "$j") $(field siaddr "$j")" = \
	"4011 5 snponly.efi 10.52.0.1" ]; then ok request_4011_acked_with_loader
else not_ok request_4011_acked_with_loader "reply: $j"; fi
j=$(ip netns exec "$C" $CL request 10.52.0.1 52:54:00:52:00:78 0 PXEClient:Arch:00000:UNDI:002001 \
	--ciaddr 10.52.0.77 2>>"$T/client.err")
[ "$(field file "$j")" = undionly.kpxe ] && ok request_4011_bios_loader ||
	not_ok request_4011_bios_loader "reply: $j"

# port 67 left on beside dnsmasq (which allows sharing): pxehub starts and
# warns that relayed requests may miss it, naming port = 0
# (a second pxehubd beside the first: its TFTP and HTTP off)
only_dhcp() { # FILE: pxh_conf, then DHCP on 67 only
	pxh_conf "$1"
	sed -i 's/^\[tftp\]$/[tftp]\nenabled = no/; s/^\[http\]$/[http]\nport = 0\nhttps_port = 0/' "$1"
	printf '[dhcp]\npxe_port = 0\n' >>"$1"
}
only_dhcp "$T/share.conf"
if PXH_LOG=$T/share.log pxh_daemon "$T/share.conf" "$SRV" >/dev/null 2>&1 &&
	grep -q 'warn.*dhcp: UDP port 67 is shared with another program.*port = 0' "$T/share.log"; then
	ok port_67_shared_with_dnsmasq_starts_and_warns
else not_ok port_67_shared_with_dnsmasq_starts_and_warns "$(grep -i 'dhcp\|error' "$T/share.log" | tail -2 | tr '\n' ' ')"; fi
kill $PXH_PID; wait $PXH_PID 2>/dev/null

# a DHCP server's port taken by another program is a clear error, not a hang
only_dhcp "$T/p67.conf"
cat >"$T/bind67.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 67))
print("bound", flush=True)
time.sleep(30)
EOF
# dnsmasq sets SO_REUSEADDR; a plain socket without it holds 67 exclusively
kill $DNSMASQ; wait $DNSMASQ 2>/dev/null
ip netns exec "$SRV" $PY "$T/bind67.py" >"$T/bind67.out" 2>&1 &
pxh_track $!
wait_for grep -q bound "$T/bind67.out"
PXH_LOG=$T/p67.log pxh_daemon "$T/p67.conf" "$SRV" >/dev/null 2>&1
if grep -q 'dhcp: cannot bind UDP port 67: Address .*in use.*port = 0' "$T/p67.log"; then
	ok port_67_taken_clear_error
else not_ok port_67_taken_clear_error "$(grep -i 'dhcp\|error' "$T/p67.log" | tail -2 | tr '\n' ' ')"; fi
