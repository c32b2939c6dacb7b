#!/bin/sh
# A real GRUB through pxehub's two GRUB stages (no Secure Boot: the full
# Secure Boot matrix is test_e2e_secureboot.sh): plain OVMF -> TFTP
# Debian's signed grubnetx64.efi (prefix /grub), the site's DHCP server
# (dnsmasq) naming pxehub as next server -> GRUB fetches /grub/grub.cfg,
# pxehub's generated stage 1 -> GRUB URL-encodes its facts (MAC, SMBIOS
# UUID, manufacturer, product and a hostile serial) and loads /boot.grub
# over TFTP (Debian's signed GRUB has no HTTP) -> script_exec answers JSON
# "kernel" -> GRUB loads the kernel (/tftp/linux) with pxehub's command
# line.  One VM, bounded.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lab.sh"
set -u
LAB_NO_PLUGIN=1
lab_init
GRUB_EFI=${GRUB_EFI:-/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed}
DI_LINUX=${DI_LINUX:-/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/linux}
lab_need "$GRUB_EFI" "$DI_LINUX" jq "$PXH_PLUGINS/script_exec.so"

M=52:54:00:6b:00:01
# a serial with what would break a URL or a GRUB script: ' ; $ { } (the
# product, QEMU's "Standard PC (Q35 + ICH9, 2009)", has blanks, parens, + and ,)
SERIAL='PXH'"'"'S;N$x{}'
cp "$GRUB_EFI" "$T/tftp/grubx64.efi"
cp "$DI_LINUX" "$T/tftp/linux"
chmod -R a+rX "$T/tftp" "$T/http"
LAB_SITE_EXTRA="dhcp-boot=grubx64.efi,,$LAB_SRV_IP"
lab_net || { not_ok e2e-lab "network setup"; exit 1; }

cp "$PXH_PLUGINS/script_exec.so" "$T/plugins/"
mkdir -p "$T/s"
cat >"$T/s/answer.sh" <<'EOS'
#!/bin/sh
f=$(cat)
printf '%s\n' "$f" >>"$(dirname "$0")/facts.log"
[ "$(printf '%s' "$f" | jq -r .boot_program)" = grub ] || { echo next; exit 0; }
printf '%s' "$f" | jq -c '{kernel: {kernel: "/tftp/linux",
	cmdline: ("console=ttyS0 panic=-1 pxh_marker=PXH-GRUB-" + .mac + "-" + .uuid + "-" + .manufacturer)}}'
EOS
chmod 755 "$T/s/answer.sh"
chown -R nobody "$T/s"
printf '[script_exec]\nenabled = yes\nboot_images = %s\nttl = 0\n' "$T/s/answer.sh" \
	>"$T/plugins.d/script_exec.conf"
LAB_LOADER_EFI_X64=grubx64.efi
lab_conf
lab_start || { not_ok e2e-pxehubd "did not start"; exit 1; }
lab_tap tap1

LAB_MEM=512
lab_case grub-stages 150 'PXH-GRUB-' "$LAB_NS" $M $(lab_uefi grub $M tap1) \
	-smbios "type=1,manufacturer=PXH-Lab,serial=$SERIAL" -- \
	"console:pxh_marker=PXH-GRUB-$M-$(echo $LAB_UUID | tr a-f A-F)-PXH-Lab" \
	tftp_end:end@grubx64.efi tftp_end:end@grub/grub.cfg script_served:boot@/boot.grub tftp_end:end@linux
# the facts came back through GRUB's own encoding, the hostile serial whole
if jq -e --arg s "$SERIAL" 'select(.boot_program == "grub" and .serial == $s and .arch == "efi-x64" and .platform == "efi")' \
	"$T/s/facts.log" >/dev/null 2>&1; then
	ok grub-facts-back
else
	not_ok grub-facts-back "$(tail -1 "$T/s/facts.log" 2>/dev/null)"
fi
cp "$T/s/facts.log" "$T/grub-facts.log" 2>/dev/null
exit 0
