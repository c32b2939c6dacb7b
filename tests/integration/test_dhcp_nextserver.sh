#!/bin/sh
# The site's DHCP server names pxehub as next server (docs/dhcp.md, "The
# site's DHCP server names pxehub"): dnsmasq with the documented config,
# pxehub with [dhcp] port = 0 (it gives no DHCP answers on 67 at all):
#
#   [c1 scapy, tftp]--+-- br0 (ns lan) --+--[dns d0 10.66.0.2] dnsmasq
#                                        +--[srv s0 10.66.0.1] pxehubd
#
# The ACK a PXE client keeps (what GRUB reads: siaddr and file) is decoded
# by scapy and tshark; the client then fetches the file from siaddr with
# tftp-hpa.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
SC="$PY $PXH_TOP/tests/integration/dhcp_srv_client.py"
for t in dnsmasq tshark tftp; do
	command -v $t >/dev/null 2>&1 || { echo "skip test_dhcp_nextserver # $t missing"; exit 77; }
done
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_dhcp_nextserver # python3-scapy missing"; exit 77; }
[ -x "$PXHD" ] || { echo "skip test_dhcp_nextserver # pxehubd not built"; exit 77; }

SRV=$(pxh_netns srv) LAN=$(pxh_netns lan) DNS=$(pxh_netns dns) C1=$(pxh_netns c1)
ip -n "$LAN" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$LAN" link set br0 up
pxh_veth "$SRV" s0 10.66.0.1/24 "$LAN" l0 ""
pxh_veth "$DNS" d0 10.66.0.2/24 "$LAN" l1 ""
pxh_veth "$C1" c1 "" "$LAN" l2 ""
for p in l0 l1 l2; do ip -n "$LAN" link set $p master br0; done

# exactly the dnsmasq lines docs/dhcp.md gives, PXEHUB = 10.66.0.1
sed -n '/^<!-- dnsmasq-next-server -->$/,/^```$/p' "$PXH_TOP/docs/dhcp.md" |
	sed '1,2d;$d' | sed 's/PXEHUB/10.66.0.1/g' >"$T/doc-lines.conf"
[ -s "$T/doc-lines.conf" ] || { not_ok docs_have_dnsmasq_config "no block in docs/dhcp.md"; exit 1; }
cat >"$T/dnsmasq.conf" <<EOF
port=0
interface=d0
bind-interfaces
dhcp-range=10.66.0.100,10.66.0.150,255.255.255.0,10m
dhcp-leasefile=$T/leases
no-ping
EOF
cat "$T/doc-lines.conf" >>"$T/dnsmasq.conf"
ip netns exec "$DNS" dnsmasq -k -C "$T/dnsmasq.conf" -u root >"$T/dnsmasq.log" 2>&1 &
pxh_track $!

pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[dhcp]
port = 0
EOF
head -c 70000 /dev/urandom >"$T/tftp/shimx64.efi"
head -c 3000 /dev/urandom >"$T/tftp/undionly.kpxe"
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start "see log"; exit 1; }
sleep 0.3

# bootfile JSON: the file field, else option 67 (dnsmasq sends the name as
# option 67 when the client asks for it, as PXE firmware does)
bootfile() { $PY -c 'import json,sys
r=json.loads(sys.argv[1]); f=r.get("file","")
print(f or bytes.fromhex(r["opts"].get("67","")).rstrip(b"\0").decode())' "$1"; }
field() { $PY -c 'import json,sys
r=json.loads(sys.argv[2]); k=sys.argv[1]
v=r["opts"].get(k[5:], "") if k.startswith("opts.") else r.get(k, "")
print(v)' "$1" "$2"; }
stage() { printf '%s\n' "$2" | grep "\"stage\": \"$1\"" | head -1; }

# UEFI x64 (arch 7): the ACK names pxehub and the signed shim
pxh_tshark "$C1" "$T/c1.pcap" -i c1 -f "udp port 67 or udp port 68"
j=$(ip netns exec "$C1" $SC dora c1 52:54:00:66:00:07 --pxe 7 2>>"$T/client.err")
pxh_tshark_stop
a=$(stage ack "$j")
y=$(field yiaddr "$a") s=$(field siaddr "$a") f=$(bootfile "$a")
if [ "$s" = 10.66.0.1 ] && [ "$f" = shimx64.efi ] && [ "$(field opts.54 "$a")" = 10.66.0.2 ]; then
	ok efi_x64_ack_names_pxehub
else
	not_ok efi_x64_ack_names_pxehub "ack: siaddr '$s' file '$f' ($a)"
fi
tsh=$(tshark -r "$T/c1.pcap" -Y 'dhcp.option.dhcp == 5' -T fields -e ip.src -e dhcp.ip.server -e dhcp.file -e dhcp.option.bootfile_name 2>/dev/null | head -1)
case "$tsh" in "$(printf '10.66.0.2\t10.66.0.1\t')"*shimx64.efi) true ;; *) false ;; esac && ok tshark_decodes_site_ack ||
	not_ok tshark_decodes_site_ack "tshark: '$tsh'"
# BIOS (arch 0) gets its own loader; a client that is not PXE no boot file
j=$(ip netns exec "$C1" $SC dora c1 52:54:00:66:00:00 --pxe 0 2>>"$T/client.err")
a0=$(stage ack "$j")
[ "$(field siaddr "$a0")" = 10.66.0.1 ] && [ "$(bootfile "$a0")" = undionly.kpxe ] &&
	ok bios_ack_names_pxehub || not_ok bios_ack_names_pxehub "$a0"
j=$(ip netns exec "$C1" $SC dora c1 52:54:00:66:00:99 2>>"$T/client.err")
an=$(stage ack "$j")
[ -n "$an" ] && [ -z "$(bootfile "$an")" ] && ok plain_client_no_boot_file ||
	not_ok plain_client_no_boot_file "$an"
# pxehub gave none of these answers
if grep -q 'dhcp: listening on UDP port 4011' "$T/pxehubd.log" &&
   ! grep -q 'dhcp: listening on UDP port 67 ' "$T/pxehubd.log"; then
	ok pxehub_silent_on_67
else
	not_ok pxehub_silent_on_67 "$(grep 'dhcp: listening' "$T/pxehubd.log" | tr '\n' ' ')"
fi

# the client takes its address and fetches the file from siaddr
if [ -n "$y" ]; then
	ip -n "$C1" addr add "$y/24" dev c1
	(cd "$T" && ip netns exec "$C1" timeout 20 tftp -m binary "$s" -c get shimx64.efi "$T/got.efi") >"$T/tftp.log" 2>&1
	if cmp -s "$T/got.efi" "$T/tftp/shimx64.efi" && grep -q "ip=$y .*shimx64.efi" "$T/pxehubd.log"; then
		ok tftp_from_siaddr_reaches_pxehub
	else
		not_ok tftp_from_siaddr_reaches_pxehub "$(tail -2 "$T/tftp.log" | tr '\n' ' ')"
	fi
else
	not_ok tftp_from_siaddr_reaches_pxehub "no address"
fi
exit $_pxh_failed
