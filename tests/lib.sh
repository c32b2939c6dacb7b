# Shared helpers for tests/integration and tests/e2e scripts (sourced, sh).
#
#   . "$(dirname "$0")/../lib.sh"
#   pxh_init                      # temp dir $T, cleanup trap, root check
#   pxh_netns lab                 # namespace "pxh-$$-lab", removed at exit
#   pxh_daemon CONF [NETNS]       # start build/sbin/pxehubd -f -c CONF; sets $PXH_PID
#   ok "name" / not_ok "name" "why" / skip "name" "why"
#   check "name" COMMAND...       # ok/not_ok by the command's status
#   pxh_tshark NETNS FILE ARGS... # capture into FILE, return once capturing
#   pxh_tshark_stop               # end that capture, FILE complete
#
# Every test runs as root (network namespaces), only touches namespaces it
# created, and kills only processes it started (by PID).
B=${B:-build}
PXH_TOP=$(cd "$(dirname "$0")/../.." && pwd)
PXHD=$PXH_TOP/$B/sbin/pxehubd
PXHCTL=$PXH_TOP/$B/bin/pxehubctl
PXH_PLUGINS=$PXH_TOP/$B/lib/pxehub/plugins
_pxh_pids=""
_pxh_netns=""
_pxh_failed=0

ok() { echo "ok $1"; }
not_ok() { echo "not ok $1${2:+ # $2}"; _pxh_failed=1; }
skip() { echo "skip $1${2:+ # $2}"; }
check() {
	_n=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$_n"; else not_ok "$_n" "command failed: $*"; fi
}

# A capture that has really started: tshark (dumpcap under it) can take
# seconds to start on a loaded machine, far more than a fixed sleep allows.
# Bounded at 10 min (a whole suite may run under it); sets $PXH_TSHARK.
pxh_tshark() {
	_ns=$1 _f=$2; shift 2
	ip netns exec "$_ns" timeout 600 tshark -w "$_f" "$@" >/dev/null 2>"$_f.err" &
	PXH_TSHARK=$!
	pxh_track $PXH_TSHARK
	_i=0
	while [ $_i -lt 200 ]; do
		grep -q 'Capture started' "$_f.err" 2>/dev/null && return 0
		kill -0 $PXH_TSHARK 2>/dev/null || break
		sleep 0.1; _i=$((_i + 1))
	done
	echo "# tshark did not start: $(tail -2 "$_f.err" | tr '\n' ' ')"
	return 1
}
pxh_tshark_stop() {
	sleep 0.3 # the last frames through the kernel's ring
	kill -INT $PXH_TSHARK 2>/dev/null
	wait $PXH_TSHARK 2>/dev/null
	return 0
}

pxh_cleanup() {
	for p in $_pxh_pids; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $_pxh_pids; do kill -9 "$p" 2>/dev/null; done
	# pxh_netns runs in $(...) subshells: the names are kept in a file.
	[ -n "${T:-}" ] && [ -f "$T/.netns" ] && for n in $(cat "$T/.netns"); do
		ip netns pids "$n" 2>/dev/null | while read -r p; do kill "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
	[ -n "${T:-}" ] && [ -z "${PXH_KEEP:-}" ] && rm -rf "$T"
}

pxh_init() {
	if [ "$(id -u)" != 0 ]; then echo "skip $(basename "$0") # needs root"; exit 77; fi
	T=$(mktemp -d /tmp/pxh-test.XXXXXX)
	chmod 755 "$T"
	trap pxh_cleanup EXIT
	trap 'exit 1' INT TERM
}

# Remember a PID to kill at exit.
pxh_track() { _pxh_pids="$_pxh_pids $1"; }

# pxh_netns SHORTNAME -> creates "pxh$$SHORTNAME" with lo up; prints the name
pxh_netns() {
	_ns="pxh$$$1"
	ip netns add "$_ns" || return 1
	ip -n "$_ns" link set lo up
	echo "$_ns" >>"$T/.netns"
	echo "$_ns"
}

# pxh_veth NS1 IF1 ADDR1 NS2 IF2 ADDR2 (ADDR as 10.x.y.z/24, or "" for none)
pxh_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
	[ -n "$3" ] && ip -n "$1" addr add "$3" dev "$2"
	[ -n "$6" ] && ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# pxh_daemon CONF [NETNS]: start pxehubd in the foreground (log in
# $T/pxehubd.log), wait until it logs "ready" (10 s at most).
pxh_daemon() {
	_log=${PXH_LOG:-$T/pxehubd.log}
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" "$PXHD" -f -c "$1" ${PXH_ARGS:-} >>"$_log" 2>&1 &
	else
		"$PXHD" -f -c "$1" ${PXH_ARGS:-} >>"$_log" 2>&1 &
	fi
	PXH_PID=$!
	pxh_track $PXH_PID
	_i=0
	while [ $_i -lt 100 ]; do
		grep -q 'server: ready' "$_log" 2>/dev/null && return 0
		kill -0 $PXH_PID 2>/dev/null || { echo "# pxehubd exited:"; tail -5 "$_log" | sed 's/^/# /'; return 1; }
		sleep 0.1; _i=$((_i + 1))
	done
	echo "# pxehubd not ready after 10 s"; tail -5 "$_log" | sed 's/^/# /'
	return 1
}

# pxh_conf FILE: write a minimal test config (append sections after it).
# Uses $T as state dir and tftp/http roots; plugins from the build.
pxh_conf() {
	mkdir -p "$T/state" "$T/tftp" "$T/http" "$T/plugins.d"
	chown nobody "$T/state" 2>/dev/null
	cat >"$1" <<EOC
[server]
user = nobody
state_dir = $T/state
[log]
level = debug
[plugins]
dir = $PXH_PLUGINS
conf_dir = $T/plugins.d
[tftp]
root = $T/tftp
[http]
root = $T/http
[access]
allow = all
EOC
}

# wait_for CMD...: retry a command for up to 10 s.
wait_for() {
	_i=0
	while [ $_i -lt 100 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; _i=$((_i + 1)); done
	return 1
}
