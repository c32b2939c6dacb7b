#!/bin/sh
# Real firmware taking its boot URL from pxehub's DHCPv6 proxy (issue 24,
# docs/ipv6.md), one VM at a time.  The site's dnsmasq gives the addresses
# (router advertisements with M, stateful DHCPv6) and no boot file to the
# firmware; pxehub's DHCPv4 is off, so what boots came from [dhcp6]:
# - ipv6-uefi-pxe-proxy: OVMF PXE over IPv6 (IPv4 off) keeps pxehub's
#   Advertise (no IA_NA, PXEClient, tftp://[fd77:77::1]/snponly.efi) as a
#   proxy offer, binds the site's address, asks pxehub on [fd77:77::1]:4011
#   and TFTPs snponly.efi over IPv6;
# - ipv6-uefi-http-proxy: OVMF "UEFI HTTPv6" (IPv4 and PXEv6 off) keeps
#   pxehub's Advertise (no IA_NA, HTTPClient,
#   http://[fd77:77::1]/tftp/snponly.efi) as a proxy offer beside the
#   site's address and loads snponly.efi over HTTP on IPv6.  It needs
#   -boot menu=on,splash-time=...: EDK2 2022.11's HttpBootDxe tries its
#   first Solicit once and gives up ("Could not retrieve NBP file size")
#   while the NIC's link-local address is still in duplicate address
#   detection, which is the case when HTTPv6 is the first boot option
#   (docs/ipv6.md, "Real firmware"); the boot menu's wait gives DAD time.
# snponly.efi is iPXE, which asks DHCPv6 statefully and only takes a boot
# URL from the server that gives its address (docs/ipv6.md): the site's
# dnsmasq names /boot.ipxe for user class iPXE, and the script pxehub
# serves prints the marker.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lab.sh"
set -u
lab_init
S6=fd77:77::1
LAB_SITE_RA="dhcp-range=fd77:77::100,fd77:77::1ff,64,10m"
LAB_SITE_EXTRA="dhcp-userclass=set:ipxe,iPXE
dhcp-option=tag:ipxe,option6:bootfile-url,http://[$S6]/boot.ipxe"
LAB_LOADER_EFI_X64=snponly.efi
lab_net || { not_ok e2e-lab "network setup"; exit 1; }

M_PXE=52:54:00:e6:00:11
M_HTTP=52:54:00:e6:00:12
# OVMF's boot menu wait (ms) before the HTTPv6 option: link-local DAD
# takes 1.2-3 s from the moment the firmware connects the NIC
HTTP6_WAIT_MS=5000
LAB_PLUGIN_CONF="script = #!ipxe\necho $LAB_SCRIPT_MARKER mac=\${net0/mac}\nexit"
lab_tap tap1
lab_tap tap2

lab_conf "[dhcp]
enabled = no
[dhcp6]
enabled = yes"
lab_start || { not_ok e2e-pxehubd "did not start"; exit 1; }

# LOG-REGEX NAME: one ok / not ok on pxehubd's log
logged() {
	if grep -qE "$1" "$T/pxehubd.log"; then ok "$2"
	else not_ok "$2" "$(grep -E 'dhcp6' "$T/pxehubd.log" | tail -3 | tr '\n' '|')"; fi
}

case ipv6-uefi-pxe-proxy in ${E2E_CASES:-*})
if lab_case ipv6-uefi-pxe-proxy 150 $LAB_SCRIPT_MARKER "$LAB_NS" $M_PXE $(lab_uefi pxe $M_PXE tap1) \
	-fw_cfg name=opt/org.tianocore/IPv4Support,string=no -- \
	"console:http://[$S6]/boot.ipxe" script_served:boot; then
	logged "dhcp6: advertise mac=$M_PXE arch=efi-x64 url=tftp://\[$S6\]/snponly.efi" ipv6-uefi-pxe-proxy-advertise
	logged "mac=$M_PXE .*request \(dhcpv6\) on br0 port 4011" ipv6-uefi-pxe-proxy-4011
	logged "event=tftp_end ip=fd77:77::[0-9a-f:]+ action=end file=snponly.efi " ipv6-uefi-pxe-proxy-tftp-over-v6
fi ;;
esac

case ipv6-uefi-http-proxy in ${E2E_CASES:-*})
if lab_case ipv6-uefi-http-proxy 150 $LAB_SCRIPT_MARKER "$LAB_NS" $M_HTTP $(lab_uefi http $M_HTTP tap2) \
	-fw_cfg name=opt/org.tianocore/IPv4Support,string=no \
	-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no \
	-boot menu=on,splash-time=$HTTP6_WAIT_MS -- \
	"console:Start HTTP Boot over IPv6" "console:http://[$S6]/boot.ipxe" \
	dhcp_decision:boot@/tftp/snponly.efi script_served:boot; then
	logged "dhcp6: advertise mac=$M_HTTP arch=efi-x64-http url=http://\[$S6\]/tftp/snponly.efi" ipv6-uefi-http-proxy-advertise
	# the firmware's download comes from its DHCPv6 address, which pxehub
	# does not tie to the MAC: check the GET in the log
	logged "http: fd77:77::[0-9a-f:]+ GET /tftp/snponly.efi -> 200" ipv6-uefi-http-proxy-http-over-v6
fi ;;
esac
lab_save
exit 0
