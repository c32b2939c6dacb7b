# The boot lab of the e2e suite and `make demo` (sourced after ../lib.sh).
#
# Topology (every piece inside namespaces the test makes; nothing routed out):
#
#   ns site: dnsmasq, the site's DHCP server (addresses only) + IPv6 RAs
#        s0 10.77.0.2 ----+
#   ns srv:               br0 10.77.0.1/24, fd77:77::1/64: pxehubd (proxyDHCP
#                          |  67/4011, TFTP 69, HTTP 80), QEMU VMs on taps
#   ns rly (lab_relay):   r0 10.77.0.3 -- dhcrelay -- br1 10.78.0.1/24: a VM on
#                          a routed subnet of its own, RAs from a dnsmasq
#
#   lab_init                      root check, temp dir, tools (exit 77 if absent)
#   lab_net                       namespaces, bridge, site DHCP
#   lab_relay                     the relayed subnet
#   lab_conf [EXTRA_INI]          write $T/pxehub.conf (+ plugins.d/tp_e2e.conf)
#   lab_start                     start pxehubd in the srv namespace
#   lab_tap NAME [NS] [BRIDGE]    a tap device on the bridge
#   lab_boot NAME SECS MARKER NS QEMU_ARGS...   boot until MARKER on the serial
#                                 console (LAB_SECS = seconds to it)
#   lab_bios MAC TAP / lab_uefi NAME MAC TAP    QEMU argument sets
#   lab_steps MAC SPEC...         /api/v1/clients shows SPEC steps for MAC
LAB_SRV_IP=10.77.0.1
LAB_RLY_NET=10.78.0
LAB_UUID=01234567-89ab-cdef-0123-456789abcdef
LAB_SCRIPT_MARKER=PXH-E2E-SCRIPT-OK
LAB_DISK_MARKER=PXH-E2E-DISK-OK
LAB_DIR=$PXH_TOP/tests/e2e
LAB_IPXE=${LAB_IPXE:-/usr/lib/ipxe}
LAB_OVMF_CODE=${LAB_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}
LAB_OVMF_VARS=${LAB_OVMF_VARS:-/usr/share/OVMF/OVMF_VARS.fd}
# KVM does not run these guests here (iPXE triple-faults, OVMF stops): TCG.
LAB_ACCEL=${LAB_ACCEL:-tcg}
# lab_boot's machine: the emulator, its memory (MiB) and SMBIOS UUID
LAB_QEMU=${LAB_QEMU:-qemu-system-x86_64}
LAB_MEM=${LAB_MEM:-256}
LAB_VM_UUID=${LAB_VM_UUID:-$LAB_UUID}
LAB_PY=/usr/bin/python3

lab_need() {
	for _x in "$@"; do
		[ -e "$_x" ] || command -v "$_x" >/dev/null 2>&1 || {
			echo "skip $(basename "$0") # missing $_x (tests/deps.txt)"
			exit 77
		}
	done
}

lab_init() {
	pxh_init
	trap 'lab_save; pxh_cleanup' EXIT
	lab_need qemu-system-x86_64 dnsmasq curl as ld "$LAB_PY" \
		"$LAB_IPXE/undionly.kpxe" "$LAB_IPXE/snponly.efi" "$LAB_IPXE/ipxe.efi" \
		"$LAB_OVMF_CODE" "$LAB_OVMF_VARS" "$PXHD"
	[ -n "${LAB_NO_PLUGIN:-}" ] || lab_need "$PXH_TOP/$B/tests/plugins/tp_e2e.so"
	[ -c /dev/net/tun ] || { echo "skip $(basename "$0") # no /dev/net/tun"; exit 77; }
	mkdir -p "$T/tftp" "$T/http" "$T/state" "$T/plugins.d" "$T/plugins"
	cp "$LAB_IPXE/undionly.kpxe" "$LAB_IPXE/snponly.efi" "$LAB_IPXE/ipxe.efi" "$T/tftp/"
	chmod -R a+rX "$T/tftp" "$T/http"
	chown nobody "$T/state"
	# Only the e2e plugin in the plugin dir: nothing else can decide.
	[ -n "${LAB_NO_PLUGIN:-}" ] || cp "$PXH_TOP/$B/tests/plugins/tp_e2e.so" "$T/plugins/"
	lab_disk "$T/disk.img" || { not_ok "e2e-disk" "cannot build the boot sector"; exit 1; }
}

# A 1 MiB raw disk whose boot sector prints $LAB_DISK_MARKER.
lab_disk() {
	as --32 -o "$T/bootsect.o" "$LAB_DIR/bootsect.S" &&
	ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$T/bootsect.bin" "$T/bootsect.o" &&
	[ "$(stat -c %s "$T/bootsect.bin")" = 512 ] &&
	truncate -s 1M "$1" &&
	dd if="$T/bootsect.bin" of="$1" conv=notrunc status=none
}

lab_net() {
	LAB_NS=$(pxh_netns srv) || return 1
	LAB_SITE=$(pxh_netns site) || return 1
	ip -n "$LAB_NS" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$LAB_NS" addr add $LAB_SRV_IP/24 dev br0
	ip -n "$LAB_NS" -6 addr add fd77:77::1/64 dev br0 nodad
	ip -n "$LAB_NS" link set br0 up
	ip link add s0 netns "$LAB_SITE" type veth peer name sitep netns "$LAB_NS" || return 1
	ip -n "$LAB_SITE" addr add 10.77.0.2/24 dev s0
	ip -n "$LAB_SITE" -6 addr add fd77:77::2/64 dev s0 nodad
	ip -n "$LAB_SITE" link set s0 up
	ip -n "$LAB_NS" link set sitep master br0 up
	# The site's DHCP server: addresses only, no boot options (pxehub is
	# the proxy), no-ping (else +3 s per offer), router advertisements so
	# iPXE's IPv6 autoconfiguration ends at once (else ~13 s per iPXE).
	cat >"$T/dnsmasq.conf" <<EOF
port=0
interface=s0
bind-interfaces
dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,10m
dhcp-range=set:relayed,$LAB_RLY_NET.100,$LAB_RLY_NET.199,255.255.255.0,10m
dhcp-option=tag:relayed,option:router,$LAB_RLY_NET.1
dhcp-authoritative
no-ping
log-dhcp
dhcp-leasefile=$T/dnsmasq.leases
log-facility=$T/dnsmasq.log
pid-file=$T/dnsmasq.pid
enable-ra
${LAB_SITE_RA:-dhcp-range=::,constructor:s0,ra-only,64,10m}
${LAB_SITE_EXTRA:-}
EOF
	ip netns exec "$LAB_SITE" dnsmasq -k -C "$T/dnsmasq.conf" >"$T/dnsmasq.out" 2>&1 &
	pxh_track $!
}

# The relayed subnet: br1 in its own namespace, dhcrelay forwarding to
# pxehub and the site's DHCP server, routed both ways.
lab_relay() {
	LAB_RLY=$(pxh_netns rly) || return 1
	ip link add r0 netns "$LAB_RLY" type veth peer name rlyp netns "$LAB_NS" || return 1
	ip -n "$LAB_RLY" addr add 10.77.0.3/24 dev r0
	ip -n "$LAB_RLY" link set r0 up
	ip -n "$LAB_NS" link set rlyp master br0 up
	ip -n "$LAB_RLY" link add br1 type bridge stp_state 0 forward_delay 0
	ip -n "$LAB_RLY" addr add $LAB_RLY_NET.1/24 dev br1
	ip -n "$LAB_RLY" -6 addr add fd77:78::1/64 dev br1 nodad
	ip -n "$LAB_RLY" link set br1 up
	ip netns exec "$LAB_RLY" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$LAB_NS" route add $LAB_RLY_NET.0/24 via 10.77.0.3
	ip -n "$LAB_SITE" route add $LAB_RLY_NET.0/24 via 10.77.0.3
	cat >"$T/dnsmasq-ra.conf" <<EOF
port=0
interface=br1
bind-interfaces
pid-file=$T/dnsmasq-ra.pid
enable-ra
dhcp-range=::,constructor:br1,ra-only,64,10m
EOF
	ip netns exec "$LAB_RLY" dnsmasq -k -C "$T/dnsmasq-ra.conf" >"$T/dnsmasq-ra.out" 2>&1 &
	pxh_track $!
	lab_tap tapr "$LAB_RLY" br1 || return 1
	# -id: the clients' side, -iu: towards the servers
	ip netns exec "$LAB_RLY" dhcrelay -4 -d -id br1 -iu r0 $LAB_SRV_IP 10.77.0.2 \
		>"$T/dhcrelay.log" 2>&1 &
	pxh_track $!
}

# lab_conf [EXTRA]: pxehub's config for the lab; EXTRA (INI text) is
# appended.  The e2e plugin's config comes from $LAB_PLUGIN_CONF.
lab_conf() {
	cat >"$T/pxehub.conf" <<EOF
[server]
listen = br0
user = nobody
state_dir = $T/state
[log]
level = debug
[plugins]
dir = $T/plugins
conf_dir = $T/plugins.d
[tftp]
root = $T/tftp
[http]
root = $T/http
https_port = 0
# the steps checks read client facts (uuid) anonymously on this closed lab
public_facts = yes
[boot]
loader_bios = undionly.kpxe
loader_efi_x64 = ${LAB_LOADER_EFI_X64:-ipxe.efi}
${LAB_BOOT_EXTRA:-}
[access]
allow = all
${1:-}
EOF
	if [ -n "${LAB_PLUGIN_CONF:-}" ]; then
		printf '[tp_e2e]\nenabled = yes\n%s\n' "$LAB_PLUGIN_CONF" >"$T/plugins.d/tp_e2e.conf"
	else
		rm -f "$T/plugins.d/tp_e2e.conf"
	fi
}

# Keep the lab's logs, consoles and configs under $B/test-logs/e2e/ (CI
# artifacts; a failed boot is read from its console).
lab_save() {
	_dst=$PXH_TOP/$B/test-logs/e2e/$(basename "$0" .sh)
	rm -rf "$_dst"
	mkdir -p "$_dst"
	cp "$T"/*.log "$T"/*.serial "$T"/*.conf "$T"/*.steps "$T"/timings "$_dst"/ 2>/dev/null
	cp "$T"/*.pcap "$_dst"/ 2>/dev/null
	cp -r "$T/plugins.d" "$_dst"/ 2>/dev/null
	return 0
}

lab_start() {
	if [ -n "${E2E_PCAP:-}" ]; then
		ip netns exec "$LAB_NS" tcpdump -U -i br0 -n -s 0 -w "$T/lab.pcap" >"$T/tcpdump.out" 2>&1 &
		pxh_track $!
	fi
	PXH_LOG=$T/pxehubd.log pxh_daemon "$T/pxehub.conf" "$LAB_NS"
}

# lab_tap NAME [NS] [BRIDGE]
lab_tap() {
	_ns=${2:-$LAB_NS}
	ip -n "$_ns" tuntap add "$1" mode tap || return 1
	ip -n "$_ns" link set "$1" master "${3:-br0}" up
}

# QEMU arguments: a BIOS machine (SeaBIOS + the iPXE ROM of the NIC) whose
# text console goes to the serial log; network first, then the small disk.
lab_bios() { # MAC TAP
	echo "-machine pc,graphics=off -boot order=nc,reboot-timeout=0" \
	     "-drive file=$T/disk.img,format=raw,if=ide,snapshot=on" \
	     "-netdev tap,id=n0,ifname=$2,script=no,downscript=no" \
	     "-device e1000,netdev=n0,mac=$1"
}

# A UEFI machine (OVMF, fresh NVRAM copy) with EDK2's own network stack:
# virtio-net without an option ROM (romfile=), so no iPXE until pxehub
# sends one.
lab_uefi() { # NAME MAC TAP
	cp "$LAB_OVMF_VARS" "$T/vars-$1.fd"
	echo "-machine q35" \
	     "-drive if=pflash,format=raw,unit=0,readonly=on,file=$LAB_OVMF_CODE" \
	     "-drive if=pflash,format=raw,unit=1,file=$T/vars-$1.fd" \
	     "-netdev tap,id=n0,ifname=$3,script=no,downscript=no" \
	     "-device virtio-net-pci,netdev=n0,mac=$2,romfile=,bootindex=1"
}

# lab_boot NAME SECS MARKER NS QEMU_ARGS...: run the VM until MARKER is on
# its serial console (0) or it stops / SECS pass (1).  Sets LAB_SECS.
lab_boot() {
	_name=$1 _secs=$2 _marker=$3 _ns=$4
	shift 4
	_log=$T/$_name.serial
	: >"$_log"
	_t0=$(date +%s.%N)
	ip netns exec "$_ns" timeout -k 3 "$_secs" "$LAB_QEMU" \
		-accel "$LAB_ACCEL" -m "$LAB_MEM" -display none -nodefaults -no-reboot \
		-monitor none -serial "file:$_log" -uuid "$LAB_VM_UUID" "$@" \
		>"$T/$_name.qemu.out" 2>&1 &
	_q=$!
	pxh_track $_q
	_seen=1 _i=0
	while [ $_i -lt $((_secs * 10 + 50)) ]; do
		if grep -qa "$_marker" "$_log"; then _seen=0; break; fi
		kill -0 $_q 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	LAB_SECS=$(echo "$(date +%s.%N) $_t0" | awk '{printf "%.1f", $1 - $2}')
	# the marker line is complete once the next line starts; give it a moment
	[ $_seen = 0 ] && sleep 0.3
	kill $_q 2>/dev/null
	wait $_q 2>/dev/null
	[ $_seen = 0 ] || { lab_console "$_name" | tail -15 | sed 's/^/# console: /'; }
	return $_seen
}

# The serial log without ANSI escapes and CRs.
lab_console() {
	tr -d '\r' <"$T/$1.serial" | sed 's/\x1b\[[0-9;?=]*[a-zA-Z]//g; s/\x1b[()][0-9A-Za-z]//g'
}

lab_api() { # PATH
	ip netns exec "$LAB_NS" curl -fsS --max-time 5 "http://$LAB_SRV_IP$1"
}

# lab_steps MAC SPEC...: each SPEC is EVENT[:ACTION][@FILE-SUBSTRING]; they
# must appear in this order among the client's steps in /api/v1/clients.
lab_steps() {
	_mac=$1
	shift
	lab_api /api/v1/clients >"$T/clients.json" 2>"$T/clients.err" || {
		echo "# /api/v1/clients: $(cat "$T/clients.err")"
		return 1
	}
	"$LAB_PY" "$LAB_DIR/steps.py" "$T/clients.json" "$_mac" "$@"
}

# lab_case NAME SECS MARKER NS MAC QEMU_ARGS... -- SPEC...: boot, then check
# the console marker and the client's steps; one ok / not ok line.  A SPEC
# "console:TEXT" must be on the console (fixed string) instead.
lab_case() {
	_cn=$1 _cs=$2 _cm=$3 _cns=$4 _cmac=$5
	shift 5
	case "$_cn" in ${E2E_CASES:-*}) ;; *) skip "$_cn" "not in E2E_CASES"; return 0 ;; esac
	_args=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _args="$_args $1"; shift; done
	[ "${1:-}" = -- ] && shift
	# shellcheck disable=SC2086
	if ! lab_boot "$_cn" "$_cs" "$_cm" "$_cns" $_args; then
		not_ok "$_cn" "no '$_cm' on the console within ${_cs}s"
		return 1
	fi
	sleep 0.3 # events reach the history on the next loop turn
	echo "$_cn $LAB_SECS" >>"$T/timings"
	for _sp in "$@"; do
		case "$_sp" in console:*) ;; *) continue ;; esac
		lab_console "$_cn" | grep -qF -- "${_sp#console:}" && continue
		not_ok "$_cn" "booted (${LAB_SECS}s to the marker) but the console lacks '${_sp#console:}'"
		return 1
	done
	if ! lab_steps "$_cmac" "$@" >"$T/$_cn.steps" 2>&1; then
		sed 's/^/# /' "$T/$_cn.steps"
		not_ok "$_cn" "booted (${LAB_SECS}s to the marker) but the steps in /api/v1/clients are wrong"
		return 1
	fi
	ok "$_cn # ${LAB_SECS}s to the marker"
	return 0
}
