#!/bin/sh
# boot_images for test_e2e_secureboot.sh (script_exec): one answer per
# machine, rendered for GRUB by pxehub. Kernel and initrd over TFTP:
# Debian 12's signed GRUB has no HTTP client. The command line carries
# the facts pxehub handed the script, so the console shows they arrived.
S=$PXEHUB_SERVER_IP
case "$PXEHUB_ARCH $PXEHUB_BUILDARCH" in
*arm64*) A=arm64 C=ttyAMA0 ;;
*) A=amd64 C=ttyS0 ;;
esac
K=tftp://$S/di/$A/linux
I=tftp://$S/di/$A/initrd.gz
L="console=$C pxh_marker=PXH-SB-$PXEHUB_MAC pxh_uuid=$PXEHUB_UUID pxh_serial=$PXEHUB_SERIAL pxh_prog=$PXEHUB_BOOT_PROGRAM"
case "$PXEHUB_MAC" in
@CHAIN_MS_MAC@)
	# a Microsoft-signed EFI program (shim, UEFI CA 2011) chainloaded
	echo '{"chain": "/tftp/ms/ms-signed.efi"}' ;;
@CHAIN_UNSIGNED_MAC@)
	echo '{"chain": "/tftp/ms/unsigned.efi"}' ;;
@MENU_MAC@)
	printf '{"menu": {"title": "pxehub e2e", "timeout": 3000, "default": "di", "items": [
 {"id": "disk", "label": "Local disk", "local": true},
 {"id": "di", "label": "Debian installer", "kernel": {"kernel": "%s", "initrd": "%s", "cmdline": "%s pxh_item=di"}}]}}\n' "$K" "$I" "$L" ;;
*)
	printf '{"kernel": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"}}\n' "$K" "$I" "$L" ;;
esac
