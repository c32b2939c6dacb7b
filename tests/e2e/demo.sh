#!/bin/sh
# make demo: one virtual PC network-boots from pxehubd inside a private
# network namespace, on this terminal, then the steps are explained.
#   DEMO_FIRMWARE=bios (default: SeaBIOS + iPXE ROM) or uefi (OVMF, EDK2 PXE)
#   DEMO_MENU_TIMEOUT=10s   time the menu waits before "Boot from local disk"
# Needs root (namespaces); nothing leaves the namespaces.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lab.sh"
set -u
FW=${DEMO_FIRMWARE:-bios}
MAC=52:54:00:e2:00:d0
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then echo "make demo needs root (it makes network namespaces)"; exit 1; fi
LAB_NO_PLUGIN=1 lab_init
say "The lab"
echo "A private network namespace with a bridge (br0, 10.77.0.0/24). On it:"
echo " - the site's DHCP server (dnsmasq, its own namespace): hands out addresses only,"
echo "   knows nothing about booting, and sends IPv6 router advertisements;"
echo " - pxehubd at 10.77.0.1: proxyDHCP (UDP 67 and 4011), TFTP (69), HTTP (80);"
echo " - a QEMU virtual PC ($FW firmware) on a tap device, UUID $LAB_UUID."
lab_net || { echo "network setup failed"; exit 1; }
mkdir -p "$T/menu"
cat >"$T/menu/hello.ipxe" <<'EOM'
#!ipxe
# Say hello (an item from [boot] menu_dir)
echo Hello from pxehub: this machine is ${net0/mac}, ${platform} ${buildarch}, UUID ${uuid}
prompt --timeout 5000 Press a key to return to the menu ||
goto pxh_menu
EOM
LAB_BOOT_EXTRA="menu_dir = $T/menu
menu_timeout = ${DEMO_MENU_TIMEOUT:-10s}
menu_title = pxehub demo menu"
lab_conf
if ! lab_start; then echo "pxehubd did not start; its log:"; tail -20 "$T/pxehubd.log"; exit 1; fi
echo "pxehubd is ready (log: $T/pxehubd.log while the demo runs)."
lab_tap tapd
if [ "$FW" = uefi ]; then
	ARGS=$(lab_uefi demo $MAC tapd)
else
	ARGS=$(lab_bios $MAC tapd)
fi

say "Booting the virtual PC; its console follows (the menu takes keys when this is a terminal)"
sleep 1
# The console goes to this terminal and into a log (to see when it is done).
# shellcheck disable=SC2086
ip netns exec "$LAB_NS" timeout -k 3 120 qemu-system-x86_64 -accel "$LAB_ACCEL" -m 256 \
	-display none -nodefaults -no-reboot -monitor none -uuid $LAB_UUID \
	-chardev stdio,id=con,logfile="$T/demo.serial",signal=on -serial chardev:con \
	$ARGS 2>"$T/demo.qemu.out" &
Q=$!
pxh_track $Q
i=0
while [ $i -lt 1100 ] && kill -0 $Q 2>/dev/null; do
	grep -qa "$LAB_DISK_MARKER" "$T/demo.serial" 2>/dev/null && break
	grep -qa "No bootable device\|Default boot device\|Boot Manager" "$T/demo.serial" 2>/dev/null && break
	sleep 0.1
	i=$((i + 1))
done
sleep 1
kill $Q 2>/dev/null
wait $Q 2>/dev/null
stty sane 2>/dev/null

say "What happened, step by step (from pxehub's /api/v1/clients)"
lab_api /api/v1/clients >"$T/clients.json" 2>/dev/null
"$LAB_PY" "$LAB_DIR/demo_explain.py" "$T/clients.json" $MAC
say "Try it yourself"
echo "Status page and API while pxehubd runs: http://10.77.0.1/ , /api/v1/clients , /metrics"
echo "The same lab drives the end-to-end tests: tests/e2e/ and docs/e2e.md."
exit 0
