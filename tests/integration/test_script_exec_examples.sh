#!/bin/sh
# The example scripts shipped in etc/scripts/, run by the script_exec plugin
# through `pxehubctl decide` (the daemon's own decision chain, dry run, as
# the daemon's user): allowlist.sh, bios_check.py, mdt_lookup.py (SQLite
# built from mdt_example.sql with python3's sqlite3), technician_menu.py.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
[ -x "$PXHCTL" ] && [ -f "$PXH_PLUGINS/script_exec.so" ] ||
	{ echo "skip test_script_exec_examples # pxehubctl or script_exec.so not built"; exit 77; }
$PY -c 'import sqlite3' 2>/dev/null || { echo "skip test_script_exec_examples # python3 sqlite3 missing"; exit 77; }

S=$T/scripts
mkdir -p "$S"
cp "$PXH_TOP"/etc/scripts/* "$S/"
chmod 755 "$S" "$S"/*.sh "$S"/*.py
$PY -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()' \
	"$S/mdt.sqlite" "$S/mdt_example.sql"
chmod 644 "$S/mdt.sqlite" "$S"/*.txt "$S"/*.json
printf '52:54:00:12:34:56\n01234567-89ab-cdef-0123-456789abcdef # by UUID\n' >"$S/allowlist.txt"
pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[server]
server_ip = 10.9.0.1
[boot]
loader_bios = undionly.kpxe
loader_efi_x64 = snponly.efi
EOF
# the [server] section twice is an error: merge it into the first one
$PY - "$T/pxehub.conf" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
i = [k for k, l in enumerate(lines) if l == "[server]"]
if len(i) == 2:
    extra = lines[i[1] + 1]
    del lines[i[1]:i[1] + 2]
    lines.insert(i[0] + 1, extra)
open(p, "w").write("\n".join(lines))
EOF

# use KEY=PATH [env]: the plugin's config for the next decisions
use() {
	printf '[script_exec]\nenabled = yes\n%s\ntimeout = 3s\n%s\n' "$1" "${2:+env = $2}" \
		>"$T/plugins.d/script_exec.conf"
}
decide() { "$PXHCTL" -c "$T/pxehub.conf" decide "$@" 2>"$T/ctl.err"; }
# has NAME OUTPUT LINE...: every LINE is a whole line of OUTPUT
has() {
	_n=$1 _o=$2; shift 2
	for l in "$@"; do
		if ! printf '%s\n' "$_o" | grep -qxF -- "$l"; then
			not_ok "$_n" "no line '$l' in: $(printf '%s' "$_o" | tr '\n' '|' | cut -c1-400) $(tail -2 "$T/ctl.err")"
			return
		fi
	done
	ok "$_n"
}

use "allow_boot = $S/allowlist.sh" "ALLOWLIST=$S/allowlist.txt"
has allowlist_mac_boots "$(decide --mac 52:54:00:12:34:56 --arch bios)" \
	"verdict: boot" "plugin: script_exec" "reason: in the allowlist" "boot-file: undionly.kpxe"
has allowlist_uuid_boots "$(decide --mac 52:54:00:99:99:99 --arch efi-x64 --uuid 01234567-89AB-CDEF-0123-456789ABCDEF)" \
	"verdict: boot" "boot-file: snponly.efi"
has allowlist_other_ignored "$(decide --mac 52:54:00:12:34:57 --arch bios)" \
	"verdict: ignore" "reason: not in the allowlist"
rm "$S/allowlist.txt"
has allowlist_missing_list_ignores "$(decide --mac 52:54:00:12:34:56 --arch bios)" \
	"verdict: ignore" "reason: allowlist not readable"

use "boot_images = $S/bios_check.py" "BIOS_TABLE=$S/bios_table.json OS_INSTALL=/files/boot/install.ipxe"
has bios_managed_model_checked "$(decide --mac 52:54:00:20:00:01 --arch efi-x64 --phase ipxe \
	--manufacturer 'Dell Inc.' --product 'OptiPlex 7080')" \
	"verdict: boot" "reason: firmware check for Dell Inc.|OptiPlex 7080" \
	'iseq ${smbios/0.5.0} 1.16.0 && goto fw_ok ||' \
	"chain /files/firmware/optiplex7080.ipxe || goto fw_failed" ":fw_ok" \
	"chain /files/boot/install.ipxe"
has bios_other_model_installs "$(decide --mac 52:54:00:20:00:02 --arch bios --phase ipxe \
	--manufacturer 'ACME' --product 'Box')" \
	"verdict: boot" "chain http://10.9.0.1/files/boot/install.ipxe"
use "boot_images = $S/bios_check.py" "BIOS_TABLE=$S/missing.json"
has bios_missing_table_is_a_failure "$(decide --mac 52:54:00:20:00:03 --arch bios --phase ipxe)" \
	"plugin: default"

use "boot_images = $S/mdt_lookup.py" "MDT_DB=$S/mdt.sqlite"
has mdt_mac_role_winpe "$(decide --mac 52:54:00:10:00:01 --arch efi-x64 --phase ipxe)" \
	"verdict: boot" "reason: mdt: DESK-001 (id 1) role Windows Desktop -> wimboot" \
	"kernel http://10.9.0.1/files/wimboot || goto pxh_fail" \
	"initrd -n boot.wim http://10.9.0.1/files/boot/x64/boot.wim boot.wim || goto pxh_fail"
has mdt_uuid_role_linux "$(decide --mac 52:54:00:10:00:02 --arch efi-x64 --phase ipxe \
	--uuid 01234567-89ab-cdef-0123-456789abcdef)" \
	"reason: mdt: SRV-001 (id 2) role Linux Server -> kernel" \
	"kernel http://10.9.0.1/files/debian/linux auto=true priority=critical initrd=initrd.gz || goto pxh_fail"
has mdt_serial_role_kiosk "$(decide --mac 52:54:00:10:00:03 --arch bios --phase ipxe --serial SN-KIOSK-01)" \
	"chain http://10.9.0.1/files/kiosk/boot.ipxe"
has mdt_first_role_wins_local "$(decide --mac 52:54:00:10:00:04 --arch bios --phase ipxe)" \
	"verdict: local" "reason: mdt: OLD-PC (id 4) role Retired -> local"
has mdt_unknown_machine_next "$(decide --mac 52:54:00:10:00:99 --arch bios --phase ipxe)" \
	"plugin: default"

printf '52:54:00:30:00:01\n' >"$S/technicians.txt"
use "boot_images = $S/technician_menu.py" "TECH_MACS=$S/technicians.txt"
has technician_menu_bios "$(decide --mac 52:54:00:30:00:01 --arch bios --phase ipxe)" \
	"menu pxehub technician menu (52:54:00:30:00:01)" "item diag Hardware diagnostics" \
	"item memtest Memory test (memtest86+)" "item shell iPXE shell" \
	"item disk Boot the local disk" "set pxh_defopt disk" \
	"kernel http://10.9.0.1/files/memtest/memtest.bin || goto pxh_fail"
has technician_menu_others_next "$(decide --mac 52:54:00:30:00:02 --arch bios --phase ipxe)" \
	"plugin: default"
exit $_pxh_failed
