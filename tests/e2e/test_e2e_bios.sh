#!/bin/sh
# Real BIOS firmware (SeaBIOS + the iPXE ROM of QEMU's e1000) booting from
# pxehubd: straight to the script, a forced firmware path through TFTP
# undionly.kpxe, a relayed client, and a client the chain ignores that falls
# through to its disk.  One VM at a time; each case bounded.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lab.sh"
set -u
lab_init
lab_net || { not_ok e2e-lab "network setup"; exit 1; }
lab_relay || { not_ok e2e-lab "relay setup"; exit 1; }

M_BIOS=52:54:00:e2:00:01
M_FORCED=52:54:00:e2:00:02
M_IGNORED=52:54:00:e2:00:06
M_RELAYED=52:54:00:e2:00:07
LAB_PLUGIN_CONF="ignore = $M_IGNORED
tftp_chain = $M_FORCED
script = #!ipxe\necho $LAB_SCRIPT_MARKER mac=\${net0/mac} uuid=\${uuid} platform=\${platform} chip=\${net0/chip}\nexit"
# dhcrelay forwards from r0 (10.77.0.3), not from its giaddr 10.78.0.1:
# pxehub takes such requests only from the relays it is told about.
lab_conf "[dhcp]
relays = 10.77.0.3"
lab_start || { not_ok e2e-pxehubd "did not start"; exit 1; }

for t in tap1 tap2 tap6; do lab_tap $t; done

# The iPXE ROM is iPXE already: pxehub hands it the script URL at once.
lab_case bios 60 $LAB_SCRIPT_MARKER "$LAB_NS" $M_BIOS $(lab_bios $M_BIOS tap1) -- \
	dhcp_request dhcp_decision:boot script_served:boot \
	'!tftp_start' client.uuid=$LAB_UUID client.arch=bios

# Firmware path: the ROM is sent to TFTP undionly.kpxe, which asks DHCP
# again as iPXE and gets the script.
lab_case bios-tftp-undionly 60 $LAB_SCRIPT_MARKER "$LAB_NS" $M_FORCED $(lab_bios $M_FORCED tap2) -- \
	dhcp_decision:boot tftp_start@undionly.kpxe tftp_end:end@undionly.kpxe \
	dhcp_decision:boot script_served:boot

# Relayed: the VM sits on 10.78.0.0/24 behind dhcrelay.
lab_case bios-relayed 60 $LAB_SCRIPT_MARKER "$LAB_RLY" $M_RELAYED $(lab_bios $M_RELAYED tapr) -- \
	dhcp_request dhcp_decision:boot script_served:boot client.relay=$LAB_RLY_NET.1

# Ignored: no answer from pxehub; the firmware boots its disk.
lab_case bios-ignored-disk 60 $LAB_DISK_MARKER "$LAB_NS" $M_IGNORED $(lab_bios $M_IGNORED tap6) -- \
	dhcp_request '!script_served' '!tftp_start'
if [ -s "$T/bios-ignored-disk.serial" ]; then
	if grep -qa "$LAB_SCRIPT_MARKER" "$T/bios-ignored-disk.serial"; then
		not_ok bios-ignored-no-script "the ignored client ran a script"
	else
		ok bios-ignored-no-script
	fi
fi
exit 0
