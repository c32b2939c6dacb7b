#!/bin/sh
# Real firmware booting from pxehubd over IPv6 (issue 24), one VM at a time:
# - ipv6-bios-ipxe: the iPXE ROM of QEMU's e1000 (ipxe-qemu, BIOS) gets its
#   boot URL from the site's DHCPv6 server (dnsmasq, "DHCPv6 options mode":
#   an address and option 59 http://[fd77:77::1]/boot.ipxe) and runs the
#   script pxehub serves over HTTP on IPv6;
# - ipv6-uefi-pxe: OVMF with IPv4 off (fw_cfg), EDK2's PXE over IPv6: the
#   same dnsmasq gives tftp://[fd77:77::1]/snponly.efi, EDK2 fetches it from
#   pxehub's TFTP over IPv6, snponly.efi (iPXE) asks DHCPv6 as iPXE and runs
#   the script from http://[fd77:77::1]/boot.ipxe;
# pxehub's DHCPv4 is off in every case: IPv4 gives no boot file, so what
# boots came over IPv6.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lab.sh"
set -u
lab_init
S6=fd77:77::1
# stateful DHCPv6 (router advertisements with M) and the options-mode block
# of docs/ipv6.md for PXE and iPXE clients
LAB_SITE_RA="dhcp-range=fd77:77::100,fd77:77::1ff,64,10m"
LAB_SITE_EXTRA="dhcp-match=set:efi-x64,option6:61,7
dhcp-match=set:efi-x64,option6:61,9
dhcp-userclass=set:ipxe,iPXE
dhcp-option=tag:!ipxe,tag:efi-x64,option6:bootfile-url,tftp://[$S6]/snponly.efi
dhcp-option=tag:ipxe,option6:bootfile-url,http://[$S6]/boot.ipxe"
lab_net || { not_ok e2e-lab "network setup"; exit 1; }

M_BIOS=52:54:00:e6:00:01
M_PXE=52:54:00:e6:00:02
LAB_PLUGIN_CONF="script = #!ipxe\necho $LAB_SCRIPT_MARKER mac=\${net0/mac}\nexit"
for t in tap1 tap2; do lab_tap $t; done

# served over IPv6 from pxehub: the log names the client's IPv6 address
served_v6() { # FILE: a fd77:77:: client's TFTP transfer of FILE ended well
	grep -qE "event=tftp_end ip=fd77:77::[0-9a-f:]+ action=end file=$1 " "$T/pxehubd.log"
}

lab_conf "[dhcp]
enabled = no"
lab_start || { not_ok e2e-pxehubd "did not start"; exit 1; }

lab_case ipv6-bios-ipxe 60 $LAB_SCRIPT_MARKER "$LAB_NS" $M_BIOS $(lab_bios $M_BIOS tap1) -- \
	"console:http://[$S6]/boot.ipxe" script_served:boot

lab_case ipv6-uefi-pxe 120 $LAB_SCRIPT_MARKER "$LAB_NS" $M_PXE $(lab_uefi pxe $M_PXE tap2) \
	-fw_cfg name=opt/org.tianocore/IPv4Support,string=no -- \
	"console:http://[$S6]/boot.ipxe" script_served:boot
case ipv6-uefi-pxe in ${E2E_CASES:-*})
	if served_v6 snponly.efi; then ok ipv6-uefi-pxe-tftp-over-v6
	else not_ok ipv6-uefi-pxe-tftp-over-v6 "$(grep 'snponly' "$T/pxehubd.log" | tail -3 | tr '\n' '|')"; fi ;;
esac

exit 0
