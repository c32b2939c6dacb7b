#!/bin/sh
# Secure Boot and ARM64 with real firmware booting Debian's signed chain
# from pxehubd: OVMF (Secure Boot on, Microsoft keys) -> TFTP shim
# (bootnetx64.efi) -> Debian's signed GRUB -> pxehub's GRUB stage 1
# (grub.cfg) -> stage 2 over TFTP, the decision chain's answer for this
# machine (script_exec JSON: kernel, or a menu) -> Debian's signed
# installer kernel + initrd.  GRUB takes its TFTP server only from the
# DHCPACK, never from a proxy offer (docs/secure-boot.md), so either the
# site's DHCP server (dnsmasq) names pxehub as next server
# (dhcp-boot=FILE,,PXEHUB), or pxehub gives the addresses ([dhcp] mode =
# server).  One VM at a time, each case bounded; the VM stops as soon as
# its marker shows.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/sb.sh"
set -u
lab_init
sb_init

M_SITE=52:54:00:5b:00:01
M_HTTP=52:54:00:5b:00:03
M_SNP=52:54:00:5b:00:04
M_OFF=52:54:00:5b:00:05
M_ARM=52:54:00:5b:00:08
# The site's DHCP server gives addresses and names pxehub as next server
# (siaddr) with the shim for the client's architecture (option 93), to
# firmware only: iPXE takes a DHCP server's file name over pxehub's proxy
# offer and would load shim again (docs/secure-boot.md).
LAB_SITE_EXTRA="$SB_SITE_DNSMASQ"
lab_net || { not_ok e2e-lab "network setup"; exit 1; }

# pxehub as proxy as well: shim for every UEFI client (the safe default:
# DHCP does not tell whether Secure Boot is on); the negative control's
# MAC gets Debian's unsigned snponly.efi from the e2e plugin.  GRUB's
# grub.cfg is pxehub's generated stage 1 ([boot] grub_prefixes, default),
# which brings the machine's facts back over TFTP; stage 2 is the decision
# chain's answer rendered for GRUB: script_exec's boot_images, a JSON
# answer per machine (sb_answer.sh), whose command line echoes the facts
# the script got, so the console shows they arrived.
M_MENU=52:54:00:5b:00:02
M_CHMS=52:54:00:5b:00:06
M_CHUN=52:54:00:5b:00:07
LAB_LOADER_EFI_X64=bootnetx64.efi
LAB_BOOT_EXTRA="loader_efi_arm64 = bootnetaa64.efi"
LAB_PLUGIN_CONF="loader_efi = $M_SNP=snponly.efi"
lab_conf
lab_need "$PXH_PLUGINS/script_exec.so"
cp "$PXH_PLUGINS/script_exec.so" "$T/plugins/"
sed "s/@MENU_MAC@/$M_MENU/; s/@CHAIN_MS_MAC@/$M_CHMS/; s/@CHAIN_UNSIGNED_MAC@/$M_CHUN/" \
	"$LAB_DIR/sb_answer.sh" >"$T/answer.sh"
mkdir -p "$T/tftp/ms"
cp "$T/tftp/bootnetx64.efi" "$T/tftp/ms/ms-signed.efi"
cp "$T/tftp/snponly.efi" "$T/tftp/ms/unsigned.efi"
chmod -R a+rX "$T/tftp/ms"
chmod 755 "$T/answer.sh"
printf '[script_exec]\nenabled = yes\nboot_images = %s\n' "$T/answer.sh" \
	>"$T/plugins.d/script_exec.conf"
lab_start || { not_ok e2e-pxehubd "did not start"; exit 1; }
for t in tap1 tap2 tap3 tap4 tap5 tap6 tap7 tap8; do lab_tap $t; done

LAB_MEM=1024
# 1 + 7 (+ 6): Secure Boot PXE, the site's DHCP names pxehub; the kernel
# reports Secure Boot enabled and the command line of pxehub's answer for
# this machine (its MAC, its UUID, and the SMBIOS serial GRUB read and
# sent back), then the installer's first question ("Select a language",
# debian-installer's localechooser on the serial console) proves the signed
# kernel ran the d-i initrd.
lab_case sb-pxe-site 240 'Select a language' "$LAB_NS" $M_SITE $(sb_uefi site $M_SITE tap1) \
	-smbios type=1,serial=PXH-SERIAL-01 -- \
	"console:$SB_ON_LINE" "console:pxh_marker=PXH-SB-$M_SITE" \
	"console:pxh_uuid=01234567-89AB-CDEF-0123-456789ABCDEF" "console:pxh_serial=PXH-SERIAL-01" \
	tftp_end:end@bootnetx64.efi tftp_end:end@grubx64.efi tftp_end:end@amd64/grub/grub.cfg \
	script_served:boot@/boot.grub tftp_end:end@di/amd64/linux tftp_end:end@di/amd64/initrd.gz \
	client.uuid=$LAB_UUID

# 2: the answer is a menu (default item "di", 3 s): GRUB shows it and boots
# the default.
lab_case sb-menu 120 'secureboot: ' "$LAB_NS" $M_MENU $(sb_uefi menu $M_MENU tap2) -- \
	"console:$SB_ON_LINE" 'console:Debian installer' "console:pxh_marker=PXH-SB-$M_MENU" \
	'console:pxh_item=di' script_served:boot@/boot.grub tftp_end:end@di/amd64/linux

# 4: negative control: the same Secure Boot firmware refuses Debian's
# unsigned iPXE, which pxehub served (tftp_end) and logged.
lab_case sb-unsigned-denied 60 'Access Denied' "$LAB_NS" $M_SNP $(sb_uefi snp $M_SNP tap4) -- \
	'console:BdsDxe: failed to load Boot0001 "UEFI PXEv4' \
	dhcp_decision:boot@snponly.efi tftp_end:end@snponly.efi '!tftp_start@grubx64.efi'
if [ -s "$T/sb-unsigned-denied.serial" ]; then
	grep -q "event=tftp_end mac=$M_SNP .*action=end file=snponly.efi" "$T/pxehubd.log" &&
		ok sb-unsigned-denied-logged || not_ok sb-unsigned-denied-logged "pxehubd.log lacks the download"
fi

# 3: UEFI HTTP boot under Secure Boot: the firmware takes shim's URL from
# pxehub's proxy offer, shim fetches GRUB over HTTP, and Debian 12's signed
# GRUB, which has no HTTP client built in, stops at its prompt without
# asking for grub.cfg.  This pins the measured limit docs/secure-boot.md
# states; it fails (and the doc must change) once GRUB gets further.
lab_case sb-http-boot-stops-in-grub 60 'grub>' "$LAB_NS" $M_HTTP $(sb_uefi http $M_HTTP tap3) \
	-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
	-fw_cfg name=opt/org.tianocore/IPv6Support,string=no -- \
	'console:Start HTTP Boot over IPv4' 'console:Welcome to GRUB!' \
	dhcp_decision:boot@/tftp/bootnetx64.efi download_end@bootnetx64.efi \
	download_end@grubx64.efi '!download_start@grub.cfg' '!tftp_start@grub.cfg'

# WinPE from a GRUB menu would be "chain" to bootmgfw.efi (Microsoft-
# signed).  No Windows files here, so: GRUB under shim chainloads a
# Microsoft-signed program (shim, signed by the UEFI CA 2011 in db) over
# TFTP and it runs (shim's own messages follow), but it is started from a
# file path on the NIC, not as a PXE boot: shim finds no file system there
# ("Failed to find fs") and cannot fetch its next stage.  An unsigned
# program is refused by GRUB ("bad shim signature").  docs/secure-boot.md.
lab_case sb-chain-ms-signed-runs 90 'start_image() returned' "$LAB_NS" $M_CHMS $(sb_uefi chms $M_CHMS tap6) -- \
	'console:Failed to load image \ms\grubx64.efi' 'console:Failed to find fs' \
	script_served:boot@/boot.grub tftp_end:end@ms/ms-signed.efi
lab_case sb-chain-unsigned-refused 90 'bad shim signature' "$LAB_NS" $M_CHUN $(sb_uefi chun $M_CHUN tap7) -- \
	script_served:boot@/boot.grub tftp_end:end@ms/unsigned.efi

# 5 (+ 6): Secure Boot off (plain OVMF): the same shim path boots; another
# machine (MAC, UUID, serial), another answer.
LAB_VM_UUID=fedcba98-7654-3210-fedc-ba9876543210
lab_case sb-off 120 'secureboot: ' "$LAB_NS" $M_OFF $(sb_uefi_off off $M_OFF tap5) \
	-smbios type=1,serial=PXH-SERIAL-05 -- \
	'console:secureboot: Secure boot disabled' "console:pxh_marker=PXH-SB-$M_OFF" \
	'console:pxh_uuid=FEDCBA98-7654-3210-FEDC-BA9876543210' 'console:pxh_serial=PXH-SERIAL-05' \
	tftp_end:end@grubx64.efi script_served:boot@/boot.grub tftp_end:end@di/amd64/linux \
	client.uuid=$LAB_VM_UUID
LAB_VM_UUID=$LAB_UUID

# 8: ARM64 UEFI (arch 11), Secure Boot on (AAVMF_VARS.ms.fd): AAVMF ->
# shim bootnetaa64.efi -> grubaa64.efi -> pxehub's stages -> the signed
# arm64 installer kernel with pxehub's command line.
if [ -n "$SB_HAVE_ARM64" ]; then
	LAB_QEMU=qemu-system-aarch64
	lab_case arm64 180 'Kernel command line:' "$LAB_NS" $M_ARM $(sb_arm64 arm $M_ARM tap8) -- \
		"console:$SB_ON_LINE" "console:pxh_marker=PXH-SB-$M_ARM" \
		dhcp_decision:boot@bootnetaa64.efi tftp_end:end@bootnetaa64.efi \
		tftp_end:end@grubaa64.efi tftp_end:end@arm64/grub/grub.cfg \
		script_served:boot@/boot.grub tftp_end:end@di/arm64/linux client.arch=efi-arm64
	LAB_QEMU=qemu-system-x86_64
else
	skip arm64 "qemu-system-arm, qemu-efi-aarch64 or debian-installer-12-netboot-arm64 missing"
fi

# 1 (b): pxehub gives the addresses ([dhcp] mode = server): no site DHCP
# server on the segment any more; pxehub's own ACK names it (siaddr) and
# the shim, so GRUB finds pxehub with no change anywhere else.  Then UEFI
# HTTP boot again, now with pxehub's offer carrying address and URL.
M_SRV=52:54:00:5b:00:0a
M_SRVH=52:54:00:5b:00:0b
srv=
for n in sb-pxe-server sb-http-boot-server-stops-in-grub; do
	case "$n" in ${E2E_CASES:-*}) srv=1 ;; esac
done
if [ -n "$srv" ]; then
	kill "$(cat "$T/dnsmasq.pid")" 2>/dev/null # the site's dnsmasq, ours
	kill "$PXH_PID"
	wait "$PXH_PID" 2>/dev/null
	lab_conf "[dhcp]
mode = server
[pool.lab]
subnet = 10.77.0.0/24
range = 10.77.0.100 - 10.77.0.199
router = 10.77.0.1"
	for t in tapa tapb; do lab_tap $t; done
	if PXH_LOG=$T/pxehubd-server.log pxh_daemon "$T/pxehub.conf" "$LAB_NS"; then
		lab_case sb-pxe-server 120 'secureboot: ' "$LAB_NS" $M_SRV $(sb_uefi srv $M_SRV tapa) -- \
			"console:$SB_ON_LINE" "console:pxh_marker=PXH-SB-$M_SRV" \
			dhcp_decision:boot@bootnetx64.efi tftp_end:end@grubx64.efi \
			tftp_end:end@amd64/grub/grub.cfg script_served:boot@/boot.grub \
			tftp_end:end@di/amd64/linux
		if [ -s "$T/sb-pxe-server.serial" ]; then
			grep -q "dhcp: ack mac=$M_SRV .*file=bootnetx64.efi .*address=10.77.0." "$T/pxehubd-server.log" &&
				ok sb-pxe-server-address-from-pxehub ||
				not_ok sb-pxe-server-address-from-pxehub "no DHCPACK with an address from pxehub in pxehubd-server.log"
		fi
		lab_case sb-http-boot-server-stops-in-grub 60 'grub>' "$LAB_NS" $M_SRVH $(sb_uefi srvh $M_SRVH tapb) \
			-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
			-fw_cfg name=opt/org.tianocore/IPv6Support,string=no -- \
			'console:Start HTTP Boot over IPv4' 'console:Welcome to GRUB!' \
			dhcp_decision:boot@/tftp/bootnetx64.efi download_end@grubx64.efi \
			'!download_start@grub.cfg' '!tftp_start@grub.cfg'
	else
		not_ok sb-pxe-server "pxehubd in server mode did not start"
	fi
fi
exit 0
