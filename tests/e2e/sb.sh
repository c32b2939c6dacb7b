# Secure Boot and ARM64 pieces of the boot lab (sourced after lab.sh):
# Debian's signed chain (shim -> GRUB -> signed kernel) in the TFTP root
# and firmware argument sets.  Used by test_e2e_secureboot.sh and
# bench/secureboot.sh.
#
#   sb_init                 tools and files (exit 77 if absent), TFTP layout
#   sb_uefi NAME MAC TAP    Secure Boot OVMF (q35, SMM, MS keys enrolled)
#   sb_uefi_off NAME MAC TAP  plain OVMF (Secure Boot off), 4M build
#   sb_arm64 NAME MAC TAP   AAVMF (Secure Boot on) on qemu-system-aarch64 -M virt
#
# TFTP root layout (the names Debian's images expect):
#   bootnetx64.efi grubx64.efi           shim and GRUB (GRUB's prefix is
#   debian-installer/amd64/grub/         /debian-installer/amd64/grub)
#   bootnetaa64.efi grubaa64.efi         the same for arm64
#   debian-installer/arm64/grub/
#   di/amd64/linux di/amd64/initrd.gz    signed d-i kernel + installer initrd
#   di/arm64/linux di/arm64/initrd.gz
SB_DI=${SB_DI:-/usr/lib/debian-installer/images/12}
SB_DI64=$SB_DI/amd64/text/debian-installer/amd64
SB_DIAA=$SB_DI/arm64/text/debian-installer/arm64
SB_CODE=${SB_CODE:-/usr/share/OVMF/OVMF_CODE_4M.secboot.fd}
SB_VARS=${SB_VARS:-/usr/share/OVMF/OVMF_VARS_4M.ms.fd}
SB_CODE_OFF=${SB_CODE_OFF:-/usr/share/OVMF/OVMF_CODE_4M.fd}
SB_VARS_OFF=${SB_VARS_OFF:-/usr/share/OVMF/OVMF_VARS_4M.fd}
SB_AAVMF_CODE=${SB_AAVMF_CODE:-/usr/share/AAVMF/AAVMF_CODE.fd}
# AAVMF's Microsoft-keyed VARS: Secure Boot on (no SMM on ARM64)
SB_AAVMF_VARS=${SB_AAVMF_VARS:-/usr/share/AAVMF/AAVMF_VARS.ms.fd}
# What the signed x86 kernel prints when the firmware enforces Secure Boot
# (arch/x86/kernel/setup.c via efi_get_secureboot, "secureboot: " prefix).
SB_ON_LINE='secureboot: Secure boot enabled'

# The site's dnsmasq naming pxehub as next server for PXE firmware (the
# form docs/secure-boot.md gives): shim per architecture, nothing for iPXE.
SB_SITE_DNSMASQ="dhcp-userclass=set:ipxe,iPXE
dhcp-match=set:arm64,option:client-arch,11
dhcp-boot=tag:!ipxe,tag:arm64,bootnetaa64.efi,,$LAB_SRV_IP
dhcp-boot=tag:!ipxe,tag:!arm64,bootnetx64.efi,,$LAB_SRV_IP"

# Files: hard links when the TFTP root is on the same file system as the
# packages, copies otherwise (the d-i initrd is 40 MB).
sb_put() { # SRC DST
	mkdir -p "$(dirname "$2")"
	ln "$1" "$2" 2>/dev/null || cp "$1" "$2"
}

sb_init() {
	lab_need "$SB_DI64/bootnetx64.efi" "$SB_DI64/grubx64.efi" "$SB_DI64/linux" \
		"$SB_DI64/initrd.gz" "$SB_CODE" "$SB_VARS" "$SB_CODE_OFF" "$SB_VARS_OFF"
	sb_put "$SB_DI64/bootnetx64.efi" "$T/tftp/bootnetx64.efi"
	sb_put "$SB_DI64/grubx64.efi" "$T/tftp/grubx64.efi"
	sb_put "$SB_DI64/linux" "$T/tftp/di/amd64/linux"
	sb_put "$SB_DI64/initrd.gz" "$T/tftp/di/amd64/initrd.gz"
	mkdir -p "$T/tftp/debian-installer/amd64/grub"
	if [ -e "$SB_DIAA/bootnetaa64.efi" ] && [ -e "$SB_AAVMF_CODE" ] &&
	   command -v qemu-system-aarch64 >/dev/null 2>&1; then
		sb_put "$SB_DIAA/bootnetaa64.efi" "$T/tftp/bootnetaa64.efi"
		sb_put "$SB_DIAA/grubaa64.efi" "$T/tftp/grubaa64.efi"
		sb_put "$SB_DIAA/linux" "$T/tftp/di/arm64/linux"
		sb_put "$SB_DIAA/initrd.gz" "$T/tftp/di/arm64/initrd.gz"
		mkdir -p "$T/tftp/debian-installer/arm64/grub"
		SB_HAVE_ARM64=1
	else
		SB_HAVE_ARM64=
	fi
	chmod -R a+rX "$T/tftp"
}

# Secure Boot on: the secboot build needs SMM and a secure pflash; the
# VARS copy has Microsoft's KEK/db enrolled and Secure Boot enabled.
sb_uefi() { # NAME MAC TAP
	cp "$SB_VARS" "$T/vars-$1.fd"
	echo "-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on" \
	     "-drive if=pflash,format=raw,unit=0,readonly=on,file=$SB_CODE" \
	     "-drive if=pflash,format=raw,unit=1,file=$T/vars-$1.fd" \
	     "-netdev tap,id=n0,ifname=$3,script=no,downscript=no" \
	     "-device virtio-net-pci,netdev=n0,mac=$2,romfile=,bootindex=1"
}

sb_uefi_off() { # NAME MAC TAP
	cp "$SB_VARS_OFF" "$T/vars-$1.fd"
	echo "-machine q35" \
	     "-drive if=pflash,format=raw,unit=0,readonly=on,file=$SB_CODE_OFF" \
	     "-drive if=pflash,format=raw,unit=1,file=$T/vars-$1.fd" \
	     "-netdev tap,id=n0,ifname=$3,script=no,downscript=no" \
	     "-device virtio-net-pci,netdev=n0,mac=$2,romfile=,bootindex=1"
}

# ARM64 (arch 11): AAVMF with Microsoft's keys (Secure Boot on), whose
# pflash images are 64 MiB each.
sb_arm64() { # NAME MAC TAP
	cp "$SB_AAVMF_VARS" "$T/vars-$1.fd"
	echo "-machine virt -cpu cortex-a57" \
	     "-drive if=pflash,format=raw,unit=0,readonly=on,file=$SB_AAVMF_CODE" \
	     "-drive if=pflash,format=raw,unit=1,file=$T/vars-$1.fd" \
	     "-netdev tap,id=n0,ifname=$3,script=no,downscript=no" \
	     "-device virtio-net-pci,netdev=n0,mac=$2,romfile=,bootindex=1"
}
