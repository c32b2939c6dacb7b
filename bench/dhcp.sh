#!/bin/sh
# Benchmark: proxy OFFERs per second, pxehubd vs dnsmasq in proxy mode.
#
# perfdhcp (Kea, package kea-admin) runs in its own namespace as a relay
# (giaddr) with a PXE vendor class, arch 7 and a UUID, DISCOVER/OFFER only
# (-i), single thread, 100000 client MACs so the per-MAC rate limit does not
# decide the figure.  For each server the rate is stepped up; the figure is
# the highest offered rate answered with under 1% drops.  Reply latency
# p50/p99 comes from packet timestamps (tcpdump on the server's link, one
# run at a fixed rate), since perfdhcp prints no percentiles.
#
#   sh bench/dhcp.sh            (root; B=build dir; SECONDS_PER_STEP=5)
# Prints "dhcp: ..." lines and a final "dhcp ratio" line.
set -u
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PXHD=$TOP/$B/sbin/pxehubd
STEP=${SECONDS_PER_STEP:-5}
RATES=${RATES:-4000 6000 8000 10000 12000 15000 20000 25000 30000 40000 50000 60000 80000}
LAT_RATE=${LAT_RATE:-5000}
for t in perfdhcp dnsmasq tcpdump tshark; do
	command -v $t >/dev/null 2>&1 || { echo "dhcp: skipped ($t missing; perfdhcp is in kea-admin)"; exit 0; }
done
[ -x "$PXHD" ] || { echo "dhcp: skipped (build pxehubd first)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "dhcp: skipped (needs root)"; exit 0; }

T=$(mktemp -d /tmp/pxh-bench-dhcp.XXXXXX)
chmod 755 "$T"
S=pxhb$$s C=pxhb$$c
SRV_PID=""
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	sleep 0.3
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
ip -n $S addr add 10.70.0.1/24 dev bs0
ip -n $C addr add 10.70.0.2/24 dev bc0
ip -n $S link set bs0 up
ip -n $C link set bc0 up

VC=$(printf 'PXEClient:Arch:00007:UNDI:003000' | od -An -tx1 | tr -d ' \n')
UUID=0067452301ab89efcd0123456789abcdef
PERF="perfdhcp -4 -i -g single -R 100000 -l 10.70.0.2 -o 60,$VC -o 93,0007 -o 97,$UUID"

# perfdhcp_run RATE SECONDS -> "sent received"
perfdhcp_run() {
	ip netns exec $C timeout $(($2 + 10)) $PERF -r "$1" -p "$2" -W 200000 10.70.0.1 \
		>"$T/perf.out" 2>&1
	sent=$(sed -n 's/^ *sent packets: *\([0-9]*\).*/\1/p' "$T/perf.out" | head -1)
	recv=$(sed -n 's/^ *received packets: *\([0-9]*\).*/\1/p' "$T/perf.out" | head -1)
	echo "${sent:-0} ${recv:-0}"
}

# max_rate NAME: step the rate up; the best rate with < 1% drops
max_rate() {
	best=0
	for r in $RATES; do
		set -- $(perfdhcp_run "$r" "$STEP")
		sent=$1 recv=$2
		[ "$sent" -gt 0 ] || break
		got=$((recv / STEP))
		lost=$(( (sent - recv) * 1000 / sent ))
		echo "dhcp: $NAME rate=$r/s sent=$sent received=$recv ($got/s) loss=$((lost / 10)).$((lost % 10))%"
		if [ "$lost" -lt 10 ]; then best=$got; else break; fi
	done
	echo "$best" >"$T/$NAME.best"
}

# latency NAME: p50/p99 DISCOVER->OFFER from packet timestamps
latency() {
	ip netns exec $S tcpdump -Z root -i bs0 -n -s 0 -U -w "$T/$NAME.pcap" udp port 67 >/dev/null 2>&1 &
	td=$!
	sleep 1
	perfdhcp_run "$LAT_RATE" 3 >/dev/null
	sleep 0.5
	kill $td 2>/dev/null; wait $td 2>/dev/null
	tshark -r "$T/$NAME.pcap" -T fields -e frame.time_epoch -e dhcp.id -e dhcp.option.dhcp \
		2>/dev/null | /usr/bin/python3 -c '
import sys
disc, lat = {}, []
for line in sys.stdin:
    f = line.split("\t")
    if len(f) < 3: continue
    t, xid, ty = float(f[0]), f[1], f[2].strip()
    if ty == "1": disc.setdefault(xid, t)
    elif ty == "2" and xid in disc: lat.append((t - disc.pop(xid)) * 1e6)
lat.sort()
if not lat: print("0 0 0"); sys.exit()
print(len(lat), int(lat[len(lat) // 2]), int(lat[min(len(lat) - 1, len(lat) * 99 // 100)]))'
}

# --- pxehubd ---------------------------------------------------------------
mkdir -p "$T/tftp" "$T/http" "$T/state" "$T/plugins.d"
chown nobody "$T/state"
cat >"$T/pxehub.conf" <<EOF
[server]
user = nobody
state_dir = $T/state
[log]
level = warning
[plugins]
dir = $TOP/$B/lib/pxehub/plugins
conf_dir = $T/plugins.d
[tftp]
root = $T/tftp
[http]
root = $T/http
port = 0
https_port = 0
[access]
allow = all
[boot]
loader_efi_x64 = snponly.efi
EOF
ip netns exec $S "$PXHD" -f -c "$T/pxehub.conf" >"$T/pxehubd.log" 2>&1 &
SRV_PID=$!
i=0
while [ $i -lt 300 ] && ! ip netns exec $S ss -Huln 'sport = :67' | grep -q .; do sleep 0.1; i=$((i + 1)); done
sleep 1
NAME=pxehub
max_rate
set -- $(latency)
echo "dhcp: pxehub latency n=$1 p50=${2}us p99=${3}us at $LAT_RATE/s"
PXH_P50=$2 PXH_P99=$3
kill $SRV_PID; wait $SRV_PID 2>/dev/null; SRV_PID=""

# --- dnsmasq, proxy mode -----------------------------------------------------
cat >"$T/dnsmasq.conf" <<EOF
port=0
interface=bs0
bind-interfaces
dhcp-range=10.70.0.0,proxy
pxe-service=X86-64_EFI,"boot",snponly.efi
log-facility=$T/dnsmasq.log
EOF
ip netns exec $S dnsmasq -k -u root -C "$T/dnsmasq.conf" >"$T/dnsmasq.out" 2>&1 &
SRV_PID=$!
sleep 1
NAME=dnsmasq
max_rate
set -- $(latency)
echo "dhcp: dnsmasq latency n=$1 p50=${2}us p99=${3}us at $LAT_RATE/s"
kill $SRV_PID; wait $SRV_PID 2>/dev/null; SRV_PID=""

p=$(cat "$T/pxehub.best") d=$(cat "$T/dnsmasq.best")
if [ "$d" -gt 0 ]; then
	ratio=$(awk -v p="$p" -v d="$d" 'BEGIN { printf "%.2f", p / d }')
else
	ratio=n/a
fi
echo "dhcp ratio: pxehub ${p}/s vs dnsmasq ${d}/s = ${ratio}x (p50 ${PXH_P50}us p99 ${PXH_P99}us; perfdhcp -i -g single -R 100000, <1% loss)"
