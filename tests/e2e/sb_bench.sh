#!/bin/sh
# Benchmark (bench/secureboot.sh runs this): seconds from power-on to the
# installer kernel's first line ("Linux version" on ttyS0) in the boot lab,
# three runs each, medians:
#   sb-tftp    Secure Boot on: shim -> Debian's signed GRUB -> kernel and
#              initrd over TFTP (GRUB's lock-step TFTP client)
#   grub-tftp  Secure Boot off: shim -> a GRUB built here with grub-mkimage
#              (efinet, tftp, http) -> kernel and initrd over TFTP
#   grub-http  the same GRUB, kernel and initrd over HTTP
#   ipxe-http  Secure Boot off: snponly.efi (iPXE) -> kernel and initrd over
#              HTTP
# Debian 12's signed GRUB has no HTTP client (no http module built in, and
# Secure Boot forbids loading one), so HTTP under Secure Boot cannot be
# measured with it; grub-http/grub-tftp is GRUB's own HTTP/TFTP ratio.
#   SB_RUNS=3 runs per path; SB_PATHS="sb-tftp grub-tftp grub-http ipxe-http"
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/sb.sh"
set -u
RUNS=${SB_RUNS:-3}
PATHS=${SB_PATHS:-sb-tftp grub-tftp grub-http ipxe-http}
lab_init
sb_init
lab_need grub-mkimage /usr/lib/grub/x86_64-efi/http.mod
M_SB=52:54:00:5b:10:01
M_GT=52:54:00:5b:10:02
M_GH=52:54:00:5b:10:03
M_IP=52:54:00:5b:10:04
S=$LAB_SRV_IP
KARGS="console=ttyS0 pxh_marker=bench"

# An unsigned GRUB with an HTTP client, one per configuration directory
# (prefix), each beside its own copy of shim (shim loads grubx64.efi from
# its own folder).
for d in grub-tftp grub-http; do
	mkdir -p "$T/tftp/$d"
	cp "$T/tftp/bootnetx64.efi" "$T/tftp/$d/"
	grub-mkimage -O x86_64-efi -o "$T/tftp/$d/grubx64.efi" -p "/$d" \
		efinet net tftp http linux normal echo test configfile ||
		{ not_ok bench-grub "grub-mkimage failed"; exit 1; }
done
cat >"$T/tftp/grub-tftp/grub.cfg" <<EOF
linux /di/amd64/linux $KARGS
initrd /di/amd64/initrd.gz
boot
EOF
cat >"$T/tftp/grub-http/grub.cfg" <<EOF
linux (http,$S)/tftp/di/amd64/linux $KARGS
initrd (http,$S)/tftp/di/amd64/initrd.gz
boot
EOF
cp "$T/tftp/grub-tftp/grub.cfg" "$T/tftp/debian-installer/amd64/grub/grub.cfg"
chmod -R a+rX "$T/tftp"

# GRUB takes its server from the DHCPACK: the site's DHCP names pxehub.
LAB_SITE_EXTRA="$SB_SITE_DNSMASQ"
lab_net || { not_ok e2e-lab "network setup"; exit 1; }
LAB_LOADER_EFI_X64=bootnetx64.efi
# the static grub.cfg files above, not pxehub's generated stages
LAB_BOOT_EXTRA="grub_prefixes ="
LAB_PLUGIN_CONF="loader_efi = $M_GT=grub-tftp/bootnetx64.efi $M_GH=grub-http/bootnetx64.efi $M_IP=snponly.efi
script = #!ipxe\nkernel http://$S/tftp/di/amd64/linux $KARGS\ninitrd http://$S/tftp/di/amd64/initrd.gz\nboot"
lab_conf
lab_start || { not_ok e2e-pxehubd "did not start"; exit 1; }
lab_tap tapb
LAB_MEM=1024

: >"$T/bench.txt"
for p in $PATHS; do
	r=1
	while [ $r -le "$RUNS" ]; do
		case $p in
		sb-tftp) args=$(sb_uefi b $M_SB tapb) ;;
		grub-tftp) args=$(sb_uefi_off b $M_GT tapb) ;;
		grub-http) args=$(sb_uefi_off b $M_GH tapb) ;;
		ipxe-http) args=$(sb_uefi_off b $M_IP tapb) ;;
		esac
		# shellcheck disable=SC2086
		if lab_boot "$p-$r" 180 'Linux version' "$LAB_NS" $args; then
			echo "$p $LAB_SECS" >>"$T/bench.txt"
			echo "bench: $p run $r: ${LAB_SECS}s"
		else
			echo "bench: $p run $r: no kernel line within 180s"
		fi
		r=$((r + 1))
	done
done
# The initrd's transfer as pxehub logged it (tftp_end / download_end).
for p in $PATHS; do
	case $p in sb-tftp) m=$M_SB ;; grub-tftp) m=$M_GT ;; grub-http) m=$M_GH ;; ipxe-http) m=$M_IP ;; esac
	grep -a "_end mac=$m .*action=end file=.*initrd.gz" "$T/pxehubd.log" |
		sed -n 's/.*duration_ms=\([0-9.]*\).*/\1/p' |
		awk -v p="$p" '{printf "%s-initrd %.1f\n", p, $1 / 1000}'
done >>"$T/bench.txt"
cp "$T/bench.txt" "$T/timings"
median() {
	awk -v p="$1" '$1 == p {print $2}' "$T/bench.txt" | sort -n |
		awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'
}
echo "| path | power-on to 'Linux version', runs (s) | median (s) | initrd transfer, pxehub's log, median (s) |"
echo "|---|---|---|---|"
for p in $PATHS; do
	runs=$(awk -v p="$p" '$1 == p {print $2}' "$T/bench.txt" | sort -n | tr '\n' ' ')
	echo "| $p | $runs| $(median "$p") | $(median "$p-initrd") |"
done
exit 0
