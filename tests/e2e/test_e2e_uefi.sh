#!/bin/sh
# Real UEFI firmware (OVMF, EDK2's own network stack on virtio-net without
# an option ROM) booting from pxehubd: PXE -> TFTP ipxe.efi, PXE -> TFTP
# snponly.efi, and UEFI HTTP boot (HTTPClient) -> snponly.efi over HTTP.
# Each then asks DHCP again as iPXE and runs the served script.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lab.sh"
set -u
lab_init
lab_net || { not_ok e2e-lab "network setup"; exit 1; }

M_IPXE=52:54:00:e2:00:03
M_SNP=52:54:00:e2:00:04
M_HTTP=52:54:00:e2:00:05
LAB_PLUGIN_CONF="loader_efi = $M_SNP=snponly.efi $M_HTTP=snponly.efi
script = #!ipxe\necho $LAB_SCRIPT_MARKER mac=\${net0/mac} uuid=\${uuid} platform=\${platform} chip=\${net0/chip}\nexit"
lab_conf
lab_start || { not_ok e2e-pxehubd "did not start"; exit 1; }
for t in tap3 tap4 tap5; do lab_tap $t; done

# EDK2's PXE: arch 7, TFTP download of the loader (tsize probe first).
lab_case uefi-pxe-ipxe.efi 90 $LAB_SCRIPT_MARKER "$LAB_NS" $M_IPXE $(lab_uefi ipxe $M_IPXE tap3) -- \
	dhcp_request dhcp_decision:boot@ipxe.efi tftp_end:end@ipxe.efi \
	dhcp_decision:boot@/boot.ipxe script_served:boot \
	client.uuid=$LAB_UUID client.arch=efi-x64

lab_case uefi-pxe-snponly.efi 90 $LAB_SCRIPT_MARKER "$LAB_NS" $M_SNP $(lab_uefi snp $M_SNP tap4) -- \
	dhcp_request dhcp_decision:boot@snponly.efi tftp_end:end@snponly.efi \
	dhcp_decision:boot@/boot.ipxe script_served:boot \
	client.uuid=$LAB_UUID

# UEFI HTTP boot.  OVMF tries PXEv4, PXEv6 and only then HTTPv4 (~2.5 min
# of timeouts under TCG); its fw_cfg knobs switch the PXE entries and IPv6
# off, so "UEFI HTTPv4" is the first network boot option.
lab_case uefi-http-boot 90 $LAB_SCRIPT_MARKER "$LAB_NS" $M_HTTP $(lab_uefi http $M_HTTP tap5) \
	-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
	-fw_cfg name=opt/org.tianocore/IPv6Support,string=no -- \
	dhcp_request dhcp_decision:boot@/tftp/snponly.efi download_end@snponly.efi \
	dhcp_decision:boot@/boot.ipxe script_served:boot \
	client.uuid=$LAB_UUID
exit 0
