#!/bin/sh
# Boot storm: N synthetic clients (bench/storm.c, no VM) each do the whole
# network boot against pxehubd, then against dnsmasq (proxyDHCP + TFTP) with
# nginx serving the same files, with equal limits; prints per-stage and
# total p50/p99 side by side.
#
#   sh bench/storm.sh           (root; B=build dir)
#   STORM_N=1000 clients, STORM_IPS=250 client addresses, STORM_MB=20 image
#   size, STORM_RAMP=0 seconds over which clients power on (0 = all at once),
#   STORM_SERVERS="pxehub dnsmasq" which runs to make
# Prints "storm: ..." lines and a final table; JSON per run in $B/bench/.
set -u
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PXHD=$TOP/$B/sbin/pxehubd
N=${STORM_N:-1000}
K=${STORM_IPS:-250}
MB=${STORM_MB:-20}
RAMP=${STORM_RAMP:-0}
SERVERS=${STORM_SERVERS:-pxehub dnsmasq}
LOADER=/usr/lib/ipxe/undionly.kpxe
OUT=$TOP/$B/bench
[ "$(id -u)" = 0 ] || { echo "storm: skipped (needs root)"; exit 0; }
[ -x "$PXHD" ] || { echo "storm: skipped (build pxehubd first)"; exit 0; }
[ -f "$LOADER" ] || { echo "storm: skipped ($LOADER missing: package ipxe)"; exit 0; }
mkdir -p "$OUT"
cc -O2 -g -std=gnu11 -Wall -Wextra -o "$OUT/storm" "$TOP/bench/storm.c" || exit 1
# every client holds a UDP and a TCP socket; so do the servers per client
ulimit -n 20000 2>/dev/null || ulimit -n 10000

T=$(mktemp -d /tmp/pxh-bench-storm.XXXXXX)
chmod 755 "$T"
S=pxhst$$s C=pxhst$$c
SRV_PIDS=""
stop_servers() {
	for p in $SRV_PIDS; do kill "$p" 2>/dev/null; done
	for p in $SRV_PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null
	done
	SRV_PIDS=""
}
cleanup() {
	stop_servers
	ip netns del $S 2>/dev/null
	ip netns del $C 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add $S
ip netns add $C
ip -n $S link set lo up
ip -n $C link set lo up
ip link add bs0 netns $S type veth peer name bc0 netns $C
ip -n $S addr add 10.88.0.1/16 dev bs0
ip -n $C addr add 10.88.0.2/16 dev bc0
# the clients' own addresses, 10.88.1.0 on
i=0
while [ $i -lt "$K" ]; do
	echo "addr add 10.88.$((1 + i / 256)).$((i % 256))/16 dev bc0"
	i=$((i + 1))
done | ip -n $C -batch -
ip -n $S link set bs0 up
ip -n $C link set bc0 up

# the same files for every server
mkdir -p "$T/tftp" "$T/www/files" "$T/state" "$T/plugins" "$T/plugins.d"
cp "$LOADER" "$T/tftp/undionly.kpxe"
head -c $((MB * 1048576)) /dev/urandom >"$T/www/files/image.bin"
printf '#!ipxe\nchain http://10.88.0.1/files/image.bin\n' >"$T/www/boot.ipxe"
chmod -R a+rX "$T/tftp" "$T/www"
chown nobody "$T/state"

run_storm() { # NAME
	echo "storm: $1: $N clients (${K} addresses), ${MB} MiB image, ramp ${RAMP}s"
	ip netns exec $C "$OUT/storm" -n "$N" -s 10.88.0.1 -I bc0 -a 10.88.1.0 -k "$K" \
		-r "$RAMP" -d 600 -i /files/image.bin -j "$OUT/storm-$1.json" \
		>"$T/storm-$1.out" 2>&1
	sed 's/^/storm: /' "$T/storm-$1.out"
}

wait_port() { # NS PROTO PORT
	i=0
	while [ $i -lt 100 ]; do
		ip netns exec "$1" ss -Hln"$2" "sport = :$3" | grep -q . && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

for srv in $SERVERS; do
	case $srv in
	pxehub)
		cat >"$T/pxehub.conf" <<EOF
[server]
listen = bs0
user = nobody
state_dir = $T/state
[log]
level = warning
[plugins]
dir = $T/plugins
conf_dir = $T/plugins.d
[tftp]
root = $T/tftp
max_transfers = $N
[http]
root = $T/www/files
https_port = 0
max_connections = 4096
[boot]
loader_bios = undionly.kpxe
[access]
allow = all
EOF
		ip netns exec $S "$PXHD" -f -c "$T/pxehub.conf" >"$T/pxehubd.log" 2>&1 &
		SRV_PIDS=$!
		wait_port $S t 80 || { echo "storm: pxehubd did not start"; tail "$T/pxehubd.log"; exit 1; }
		run_storm pxehub
		ip netns exec $S curl -s --max-time 5 http://10.88.0.1/metrics >"$OUT/storm-pxehub.metrics" 2>/dev/null
		grep -E '^pxehub_(tftp|dhcp)_[a-z_]*(retrans|timeout|drop|error|fail)[a-z_]*' "$OUT/storm-pxehub.metrics" |
			grep -v ' 0$' | sed 's/^/storm: pxehub metric /'
		stop_servers
		;;
	dnsmasq)
		command -v dnsmasq >/dev/null && command -v nginx >/dev/null ||
			{ echo "storm: dnsmasq/nginx missing, peer run skipped"; continue; }
		# proxyDHCP + PXE menu (the 4011 REQUEST gets the loader), TFTP
		# with the same transfer limit; iPXE gets the script URL
		cat >"$T/dnsmasq.conf" <<EOF
port=0
interface=bs0
bind-interfaces
dhcp-range=10.88.0.0,proxy,255.255.0.0
pid-file=$T/dnsmasq.pid
enable-tftp
tftp-root=$T/tftp
tftp-max=$N
dhcp-userclass=set:ipxe,iPXE
pxe-service=tag:!ipxe,x86PC,"storm",undionly.kpxe
dhcp-boot=tag:ipxe,http://10.88.0.1/boot.ipxe
pxe-service=tag:ipxe,x86PC,"storm ipxe",http://10.88.0.1/boot.ipxe
EOF
		# one worker, like pxehubd's one loop; same connection limit
		cat >"$T/nginx.conf" <<EOF
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx.err warn;
worker_rlimit_nofile 20000;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 10000;
	default_type application/octet-stream;
	server { listen 10.88.0.1:80; root $T/www; }
}
EOF
		ip netns exec $S dnsmasq -k -C "$T/dnsmasq.conf" >"$T/dnsmasq.log" 2>&1 &
		SRV_PIDS=$!
		ip netns exec $S nginx -c "$T/nginx.conf" -g 'daemon off;' >"$T/nginx.log" 2>&1 &
		SRV_PIDS="$SRV_PIDS $!"
		wait_port $S t 80 && wait_port $S u 69 ||
			{ echo "storm: dnsmasq/nginx did not start"; cat "$T/dnsmasq.log" "$T/nginx.log"; exit 1; }
		run_storm dnsmasq
		stop_servers
		;;
	esac
done

/usr/bin/python3 - "$OUT/storm-pxehub.json" "$OUT/storm-dnsmasq.json" <<'EOF'
import json, sys
runs = []
for f in sys.argv[1:]:
    try:
        runs.append(json.load(open(f)))
    except (OSError, ValueError):
        runs.append(None)
a, b = runs
print("storm: %-12s %21s   %21s   %s" % ("stage", "pxehub p50/p99 ms", "dnsmasq+nginx p50/p99", "p50 ratio"))
for st in ["dhcp_offer", "pxe_4011", "tftp_loader", "ipxe_dhcp", "boot_ipxe", "image", "total"]:
    def cell(r):
        if not r:
            return "%21s" % "-"
        s = r["stages"][st]
        return "%9.1f / %9.1f" % (s["p50_ms"], s["p99_ms"])
    ratio = "-"
    if a and b and b["stages"][st]["p50_ms"] > 0:
        ratio = "%.2fx" % (a["stages"][st]["p50_ms"] / b["stages"][st]["p50_ms"])
    print("storm: %-12s %s   %s   %s" % (st, cell(a), cell(b), ratio))
for name, r in (("pxehub", a), ("dnsmasq+nginx", b)):
    if r:
        print("storm: %s: %d/%d done, %d failed, wall %.1f s" % (name, r["done"], r["clients"], r["failed"], r["wall_s"]))
EOF
