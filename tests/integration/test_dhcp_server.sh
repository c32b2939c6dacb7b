#!/bin/sh
# [dhcp] mode = server: pxehub gives addresses, in network namespaces:
#
#   [c1 dhclient]----+                      +--[srv s0 10.77.0.1] pxehubd
#   [c2 scapy]-------+-- br0 (ns lan) ------+
#   [relay r0 .3]----+   relay r1 10.88.0.1 --[rc dhclient] (giaddr path)
#
# Real clients (ISC dhclient, dhcrelay) and scapy; replies decoded by scapy,
# dhclient and tshark, never by pxehub's own parser.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
SC="$PY $PXH_TOP/tests/integration/dhcp_srv_client.py"
for t in dhclient dhcrelay tshark curl; do
	command -v $t >/dev/null 2>&1 || { echo "skip test_dhcp_server # $t missing"; exit 77; }
done
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_dhcp_server # python3-scapy missing"; exit 77; }
[ -x "$PXHD" ] || { echo "skip test_dhcp_server # pxehubd not built"; exit 77; }

SRV=$(pxh_netns srv) LAN=$(pxh_netns lan) C1=$(pxh_netns c1) C2=$(pxh_netns c2)
RLY=$(pxh_netns rly) RC=$(pxh_netns rc) SQ=$(pxh_netns sq)
ip -n "$LAN" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$LAN" link set br0 up
pxh_veth "$SRV" s0 10.77.0.1/24 "$LAN" l0 ""
pxh_veth "$C1" c1 "" "$LAN" l1 ""
pxh_veth "$C2" c2 "" "$LAN" l2 ""
pxh_veth "$RLY" r0 10.77.0.3/24 "$LAN" l3 ""
# a host that uses a pool address without a lease (static, forgotten)
pxh_veth "$SQ" q0 10.77.0.110/24 "$LAN" l4 ""
for p in l0 l1 l2 l3 l4; do ip -n "$LAN" link set $p master br0; done
pxh_veth "$RLY" r1 10.88.0.1/24 "$RC" rc ""
ip -n "$SRV" route add 10.88.0.0/24 via 10.77.0.3
ip netns exec "$RLY" sysctl -qw net.ipv4.ip_forward=1
ip -n "$C1" link set c1 address 52:54:00:77:00:01
ip -n "$RC" link set rc address 52:54:00:88:00:01

pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[boot]
loader_bios = undionly.kpxe
loader_efi_x64 = shimx64.efi
[dhcp]
mode = server
rate_per_mac = 0
offer_hold = 60s
max_offers = 8
# dhcrelay sends from its upstream address, not from the giaddr
relays = 10.77.0.3
[pool.lan]
subnet = 10.77.0.0/24
range = 10.77.0.100 - 10.77.0.119
router = 10.77.0.1
dns = 10.77.0.53, 10.77.0.54
domain = lab.example
lease_time = 1h
[pool.remote]
subnet = 10.88.0.0/24
range = 10.88.0.10 - 10.88.0.12
router = 10.88.0.1
lease_time = 1h
EOF
sed -i 's/^allow = all$/allow = all\ndeny = 52:54:00:66/' "$T/pxehub.conf"
out=$("$PXHD" -t -c "$T/pxehub.conf" 2>&1) && ok config_checks || not_ok config_checks "$out"
# a bad pool is refused by -t with FILE:LINE
sed 's/^range = 10.88.0.10 - 10.88.0.12$/range = 10.88.0.10 - 10.89.0.12/' "$T/pxehub.conf" >"$T/bad.conf"
n=$(grep -n '^range = 10.88.0.10 - 10.89.0.12$' "$T/bad.conf" | cut -d: -f1)
out=$("$PXHD" -t -c "$T/bad.conf" 2>&1)
case "$out" in
*"$T/bad.conf:$n: [pool.remote] range: '10.88.0.10 - 10.89.0.12' is not inside subnet 10.88.0.0/24"*)
	[ -n "$n" ] && ok config_bad_pool_file_line ;;
*) not_ok config_bad_pool_file_line "$out" ;;
esac
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start "see log"; exit 1; }

field() { $PY -c 'import json,sys
r=json.loads(sys.argv[2]); k=sys.argv[1]
v=r["opts"].get(k[5:], "") if k.startswith("opts.") else r.get(k, "")
print(v)' "$1" "$2"; }
# expect NAME JSON KEY=VALUE...
expect() {
	_n=$1 _j=$2; shift 2
	if [ -z "$_j" ]; then not_ok "$_n" "no reply"; return 1; fi
	for kv in "$@"; do
		_k=${kv%%=*} _v=${kv#*=}
		_got=$(field "$_k" "$_j")
		if [ "$_got" != "$_v" ]; then
			not_ok "$_n" "$_k is '$_got', want '$_v'"; return 1
		fi
	done
	ok "$_n"
}
stage() { printf '%s\n' "$2" | grep "\"stage\": \"$1\"" | head -1; }
metric() { ip netns exec "$SRV" curl -s --max-time 3 http://10.77.0.1/metrics |
	sed -n "s/^$1 \([0-9]*\).*/\1/p"; }

# ---- conflict probe: an offered address that answers a ping ---------------
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:40 --want 10.77.0.110 2>>"$T/client.err")
o=$(stage offer "$j") k=$(stage nak "$j")
if [ "$(field yiaddr "$o")" = 10.77.0.110 ] && [ -n "$k" ] &&
   grep -q '10.77.0.110 answers a ping while offered' "$T/pxehubd.log"; then
	ok conflict_probe_naks_address_in_use
else
	not_ok conflict_probe_naks_address_in_use "$j"
fi
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:40 --want 10.77.0.110 2>>"$T/client.err")
y=$(field yiaddr "$(stage ack "$j")")
[ -n "$y" ] && [ "$y" != 10.77.0.110 ] && ok conflict_client_gets_other_address ||
	not_ok conflict_client_gets_other_address "$j"

# ---- a real client: ISC dhclient gets an address, renews, releases --------
# its script records what it was told and sets the address (nothing of the
# host's /etc is touched)
cat >"$T/dhclient-script" <<'EOF'
#!/bin/sh
# dhclient runs its script with a clean environment: the log is named
# after the interface
EVENTS=$(dirname "$0")/$interface.events
echo "$reason ip=$new_ip_address mask=$new_subnet_mask routers=$new_routers dns=$new_domain_name_servers domain=$new_domain_name lease=$new_dhcp_lease_time" >>"$EVENTS"
case $reason in
BOUND|RENEW|REBIND|REBOOT)
	ip addr flush dev "$interface"
	ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
esac
exit 0
EOF
chmod 755 "$T/dhclient-script"
# renew after 3 s (pxehub says T1 = 30 min): the RENEWING state in seconds
printf 'timeout 15;\nretry 1;\nsupersede dhcp-renewal-time 3;\n' >"$T/dhclient.conf"
# dhcl NS IFACE ARGS...: dhclient in the foreground.  dhcl_bg: in the
# background, its own PID in $DHCL_PID (a backgrounded shell function would
# leave $! the subshell's, and dhclient behind at the end)
dhcl() {
	_ns=$1 _if=$2; shift 2
	ip netns exec "$_ns" dhclient -4 -cf "$T/dhclient.conf" -sf "$T/dhclient-script" \
		-lf "$T/$_if.leases" -pf "$T/$_if.pid" "$@" "$_if"
}
dhcl_bg() {
	_ns=$1 _if=$2; shift 2
	ip netns exec "$_ns" dhclient -4 -cf "$T/dhclient.conf" -sf "$T/dhclient-script" \
		-lf "$T/$_if.leases" -pf "$T/$_if.pid" "$@" "$_if" >"$T/dhclient-$_if.log" 2>&1 &
	DHCL_PID=$!
	pxh_track $DHCL_PID
}
wait_event() { # FILE PATTERN: up to 30 s
	_i=0
	while [ $_i -lt 300 ]; do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; _i=$((_i + 1)); done
	return 1
}
dhcl_bg "$C1" c1 -d
DC1=$DHCL_PID
if wait_event "$T/c1.events" '^BOUND ip=10.77.0.1[01][0-9] '; then
	ev=$(grep '^BOUND' "$T/c1.events" | head -1)
	case "$ev" in
	*"mask=255.255.255.0 routers=10.77.0.1 dns=10.77.0.53 10.77.0.54 domain=lab.example lease=3600"*)
		ok dhclient_bound ;;
	*) not_ok dhclient_bound "options: $ev" ;;
	esac
else
	not_ok dhclient_bound "$(tail -3 "$T/dhclient-c1.log" | tr '\n' ' ')"
fi
A1=$(sed -n 's/^BOUND ip=\([0-9.]*\) .*/\1/p' "$T/c1.events" | head -1)
# a unicast REQUEST (RENEWING) to pxehub, answered with the same address
if wait_event "$T/c1.events" "^RENEW ip=$A1 " &&
   grep -q "ack mac=52:54:00:77:00:01 address=$A1" "$T/pxehubd.log"; then
	ok dhclient_renews_same_address
else
	not_ok dhclient_renews_same_address "$(tr '\n' ' ' <"$T/c1.events")"
fi
wait_for grep -q "^lease $A1 52:54:00:77:00:01 " "$T/state/dhcp-leases" &&
	ok lease_file_written || not_ok lease_file_written "$(cat "$T/state/dhcp-leases" 2>&1)"
kill $DC1 2>/dev/null; wait $DC1 2>/dev/null
dhcl "$C1" c1 -r >>"$T/dhclient-c1.log" 2>&1
if wait_for grep -q "released $A1" "$T/pxehubd.log" &&
   wait_for sh -c "! grep -q '^lease $A1 ' '$T/state/dhcp-leases'"; then
	ok dhclient_release_frees_lease
else
	not_ok dhclient_release_frees_lease "$(grep -c release "$T/pxehubd.log") log lines"
fi

# ---- relayed: dhcrelay forwards rc's dhclient, the pool of giaddr answers --
ip netns exec "$RLY" dhcrelay -4 -d -q -a -id r1 -iu r0 10.77.0.1 >"$T/relay.log" 2>&1 &
pxh_track $!
sleep 0.5
dhcl_bg "$RC" rc -d
DRC=$DHCL_PID
if wait_event "$T/rc.events" '^BOUND ip=10.88.0.1[0-2] .*routers=10.88.0.1 '; then
	ok relayed_dhclient_gets_relay_subnet_address
else
	not_ok relayed_dhclient_gets_relay_subnet_address "$(tr '\n' ' ' <"$T/rc.events" 2>/dev/null) $(tail -2 "$T/relay.log" | tr '\n' ' ')"
fi
kill $DRC 2>/dev/null; wait $DRC 2>/dev/null

# ---- a PXE client: the offer carries address and boot answer -------------
pxh_tshark "$C2" "$T/c2.pcap" -i c2 -f "udp port 67 or udp port 68"
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:07 --pxe 7 2>>"$T/client.err")
pxh_tshark_stop
o=$(stage offer "$j") a=$(stage ack "$j")
expect pxe_offer_address_and_boot "$o" src=10.77.0.1 siaddr=10.77.0.1 \
	file=shimx64.efi opts.54=10.77.0.1 opts.1=255.255.255.0 opts.3=10.77.0.1 \
	opts.51=3600 opts.58=1800 opts.60=505845436c69656e74
Y=$(field yiaddr "$o")
case "$Y" in 10.77.0.1[01][0-9]) ok pxe_offer_yiaddr_in_pool ;; *) not_ok pxe_offer_yiaddr_in_pool "yiaddr '$Y'" ;; esac
# GRUB reads siaddr and file of the ACK (grub-core/net/bootp.c)
expect pxe_ack_carries_siaddr_and_file "$a" yiaddr="$Y" siaddr=10.77.0.1 file=shimx64.efi \
	opts.53=5 opts.54=10.77.0.1
tsh=$(tshark -r "$T/c2.pcap" -Y 'dhcp.option.dhcp == 5 && ip.src == 10.77.0.1' -T fields \
	-e dhcp.ip.your -e dhcp.ip.server -e dhcp.file -e dhcp.option.subnet_mask 2>/dev/null | head -1)
[ "$tsh" = "$(printf '%s\t10.77.0.1\tshimx64.efi\t255.255.255.0' "$Y")" ] &&
	ok tshark_decodes_server_ack || not_ok tshark_decodes_server_ack "tshark: '$tsh'"
# a client that is not PXE: address only, no boot file
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:08 2>>"$T/client.err")
expect plain_client_address_only "$(stage ack "$j")" siaddr=0.0.0.0 file= opts.60= opts.43=

# ---- wrong network, other server, access ---------------------------------
j=$(ip netns exec "$C2" $SC reboot c2 52:54:00:77:00:09 10.99.0.5 2>>"$T/client.err")
expect init_reboot_wrong_subnet_nak "$j" opts.53=6 yiaddr=0.0.0.0 dst=255.255.255.255
j=$(ip netns exec "$C2" $SC reboot c2 52:54:00:77:00:0a "$Y" 2>>"$T/client.err")
expect init_reboot_taken_address_nak "$j" opts.53=6
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:07 --pxe 7 --no-request 2>>"$T/client.err")
expect same_mac_same_address "$(stage offer "$j")" yiaddr="$Y"
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:0b --select-other 2>>"$T/client.err")
[ -z "$(stage ack "$j")" ] && [ -n "$(stage offer "$j")" ] && ok other_server_chosen_no_reply ||
	not_ok other_server_chosen_no_reply "$j"
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:66:00:01 --no-request 2>>"$T/client.err")
if [ -z "$j" ] && grep -q 'dhcp refused: .* mac=52:54:00:66:00:01' "$T/pxehubd.log"; then
	ok access_refused_gets_nothing
else
	not_ok access_refused_gets_nothing "reply: $j"
fi

# ---- DECLINE: the address leaves the pool ---------------------------------
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:0c --decline 2>>"$T/client.err")
D=$(field yiaddr "$(stage ack "$j")")
if [ -n "$D" ] && wait_for grep -q "^declined $D - " "$T/state/dhcp-leases" &&
   grep -q "declined $D" "$T/pxehubd.log"; then
	ok decline_marks_address
else
	not_ok decline_marks_address "ack '$D'; $(cat "$T/state/dhcp-leases" 2>&1 | tr '\n' ' ')"
fi
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:0d --want "$D" --no-request 2>>"$T/client.err")
y=$(field yiaddr "$(stage offer "$j")")
[ -n "$y" ] && [ "$y" != "$D" ] && ok declined_address_not_offered ||
	not_ok declined_address_not_offered "offered '$y' (declined $D)"

# ---- exhaustion: the relayed pool has 3 addresses --------------------------
n_ok=0
for m in 1 2 3 4; do
	j=$(ip netns exec "$RLY" $SC relayed 10.77.0.1 10.88.0.1 r0 52:54:00:88:01:0$m --timeout 2 2>>"$T/client.err")
	[ -n "$(stage offer "$j")" ] && n_ok=$((n_ok + 1))
done
ex=$(metric pxehub_dhcp_pool_exhausted_total)
# rc's dhclient holds one: two more offers, then nothing
if [ "$n_ok" = 2 ] && [ "${ex:-0}" -ge 1 ] && grep -q 'pool remote is exhausted' "$T/pxehubd.log"; then
	ok pool_exhausted_no_offer_logged_counted
else
	not_ok pool_exhausted_no_offer_logged_counted "$n_ok offers, counter '$ex'; $(grep -E '10\.88\.|88:0' "$T/pxehubd.log" | grep -v debug | tr '\n' '|')"
fi

# ---- restart: leases come back ----------------------------------------------
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:20 2>>"$T/client.err")
R=$(field yiaddr "$(stage ack "$j")")
kill $PXH_PID; wait $PXH_PID 2>/dev/null
grep -q "^lease $R 52:54:00:77:00:20 " "$T/state/dhcp-leases" &&
	ok lease_saved_at_stop || not_ok lease_saved_at_stop "$(cat "$T/state/dhcp-leases")"
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_restart "see log"; exit 1; }
# it asks for another free address: its lease wins (without the file it
# would be given what it asked for)
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:20 --want 10.77.0.118 --no-request 2>>"$T/client.err")
expect restart_same_address_back "$(stage offer "$j")" yiaddr="$R"
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:21 --want "$R" --no-request 2>>"$T/client.err")
y=$(field yiaddr "$(stage offer "$j")")
[ -n "$y" ] && [ "$y" != "$R" ] && ok restart_others_do_not_get_it ||
	not_ok restart_others_do_not_get_it "offered '$y' (leased $R)"

# ---- reload: pools change, leases stay --------------------------------------
sed -i 's/^range = 10.77.0.100 - 10.77.0.119$/range = 10.77.0.100 - 10.77.0.129/' "$T/pxehub.conf"
kill -HUP $PXH_PID
if wait_for grep -q 'server: reloaded' "$T/pxehubd.log" &&
   grep -q "^lease $R 52:54:00:77:00:20 " "$T/state/dhcp-leases"; then
	j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:22 --want 10.77.0.125 --no-request 2>>"$T/client.err")
	expect reload_applies_pool_keeps_leases "$(stage offer "$j")" yiaddr=10.77.0.125
else
	not_ok reload_applies_pool_keeps_leases "no reload or lease lost"
fi
# ---- a flood of made-up MACs holds at most max_offers (8) addresses -------
n=$(ip netns exec "$C2" $SC flood c2 200 2>>"$T/client.err")
off=$(metric 'pxehub_dhcp_leases{state="offered"}')
j=$(ip netns exec "$C2" $SC dora c2 52:54:00:77:00:30 2>>"$T/client.err")
y=$(field yiaddr "$(stage ack "$j")")
if [ "${n:-0}" = 200 ] && [ "${off:-99}" -le 8 ] && [ -n "$y" ]; then
	ok flood_bounded_real_client_served
else
	not_ok flood_bounded_real_client_served "sent '$n', offered gauge '$off', ack '$y'"
fi
c=$(metric pxehub_dhcp_conflicts_total)
[ "${c:-0}" -ge 1 ] && ok metrics_conflicts || not_ok metrics_conflicts "counter '$c'"
act=$(metric 'pxehub_dhcp_leases{state="active"}')
[ "${act:-0}" -ge 2 ] && ok metrics_active_leases || not_ok metrics_active_leases "active '$act'"
kill -0 $PXH_PID 2>/dev/null && ok daemon_alive || not_ok daemon_alive
exit $_pxh_failed
