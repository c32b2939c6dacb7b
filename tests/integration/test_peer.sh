#!/bin/sh
# peer plugin end to end: four pxehubd peers, each in its own namespace on
# one bridge, an upstream (python http.server) with the signed manifest,
# scapy PXE clients, and a stranger with another key:
#
#   p1 10.88.0.1  p2 .2  p3 .3  p4 .4  (peers, v0)    cl 10.88.0.200 (clients)
#   up 10.88.0.250 (upstream files + manifest, stranger pxehubd, replayer)
#   all joined by br0 in namespace br
#
# Cases: membership over multicast; a file seeded on one peer only reaches a
# client through another (HTTP and TFTP); a tampered copy (a peer's seed and
# the upstream's) is rejected and never served, the right one is taken once
# the upstream has it; a forged manifest is refused; 1000 clients with 5%
# heartbeat loss (nftables in the peers' namespaces) get exactly one answer
# each (<= 0.1% double answers, none unanswered after two retries); the
# heartbeat's wire format checked by an independent decoder; replayed and
# altered heartbeats rejected; the stranger never becomes a member; the
# elected peer killed mid-run and the next boots still answered.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_peer # python3-scapy missing"; exit 77; }
[ -x "$PXHD" ] && [ -f "$PXH_PLUGINS/peer.so" ] ||
	{ echo "skip test_peer # pxehubd or peer.so not built"; exit 77; }
for c in curl nft openssl tftp; do
	command -v $c >/dev/null || { echo "skip test_peer # $c missing"; exit 77; }
done
I=$PXH_TOP/tests/integration
GROUP=239.255.80.88
PORT=4017

# ---- the segment ---------------------------------------------------------------
BR=$(pxh_netns br)
ip -n "$BR" link add br0 type bridge
# flood multicast to every port (no IGMP querier here)
ip -n "$BR" link set br0 type bridge mcast_snooping 0
ip -n "$BR" link set br0 up
join() { # NAME IFACE ADDR MAC
	_ns=$(pxh_netns "$1")
	pxh_veth "$_ns" "$2" "$3" "$BR" "b-$1" ""
	ip -n "$BR" link set "b-$1" master br0
	[ -n "${4:-}" ] && ip -n "$_ns" link set "$2" address "$4"
	ip -n "$_ns" route add 224.0.0.0/4 dev "$2"
	echo "$_ns"
}
P1=$(join p1 v0 10.88.0.1/24) P2=$(join p2 v0 10.88.0.2/24)
P3=$(join p3 v0 10.88.0.3/24) P4=$(join p4 v0 10.88.0.4/24)
CL=$(join cl c0 10.88.0.200/24 52:54:00:88:00:c8)
UP=$(join up u0 10.88.0.250/24)

# ---- keys, files, manifest -----------------------------------------------------------
K=$T/keys
mkdir -p "$K" "$T/up/tftp/boot"
openssl genpkey -algorithm ed25519 -out "$K/upstream.pem" 2>/dev/null
openssl pkey -in "$K/upstream.pem" -pubout -out "$K/upstream.pub" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$K/forger.pem" 2>/dev/null
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$K/peer.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$K/stranger.key"
chmod 755 "$K"; chmod 644 "$K"/*
# what the upstream signs (made in a scratch dir)
S=$T/src
mkdir -p "$S/boot"
head -c 81920 /dev/urandom >"$S/undionly.kpxe"
head -c 1048576 /dev/urandom >"$S/boot/shared.img"
head -c 200000 /dev/urandom >"$S/boot/tamper.img"
sh "$PXH_TOP/etc/scripts/peer_manifest.sh" "$K/upstream.pem" "$S" 100 "$T/up/manifest" \
	undionly.kpxe boot/shared.img boot/tamper.img 2>/dev/null
sum() { sha256sum <"$1" | cut -d' ' -f1; }
# the upstream serves the manifest, and a tampered tamper.img only
cp "$S/boot/tamper.img" "$T/up/tftp/boot/tamper.img"
printf 'X' | dd of="$T/up/tftp/boot/tamper.img" bs=1 seek=1000 conv=notrunc 2>/dev/null
(cd "$T/up" && exec ip netns exec "$UP" $PY -m http.server -b 10.88.0.250 8000 \
	>"$T/up.log" 2>&1) &
pxh_track $!

# ---- the peers -------------------------------------------------------------------------
peer_conf() { # N KEYFILE PREFERENCE [extra core lines]
	_d=$T/p$1
	mkdir -p "$_d"
	( T=$_d; pxh_conf "$_d/pxehub.conf" )
	cat >>"$_d/pxehub.conf" <<EOC
[boot]
loader_bios = undionly.kpxe
[dhcp]
rate_per_mac = 0
$4
EOC
	cat >"$_d/plugins.d/peer.conf" <<EOC
[peer]
enabled = yes
priority = 10
key_file = $2
interface = ${5:-v0}
name = p$1
preference = $3
public_key = $K/upstream.pub
manifest = http://10.88.0.250:8000/manifest
manifest_interval = 2s
upstream = http://10.88.0.250:8000
seed_dir = $_d/tftp
cache_max_mb = 64
EOC
}
for n in 1 2 3 4; do peer_conf $n "$K/peer.key" 100; done
# seeds: p1 alone has the loader and shared.img; p2 a tampered tamper.img
cp "$S/undionly.kpxe" "$T/p1/tftp/"
mkdir -p "$T/p1/tftp/boot" "$T/p2/tftp/boot"
cp "$S/boot/shared.img" "$T/p1/tftp/boot/"
cp "$T/up/tftp/boot/tamper.img" "$T/p2/tftp/boot/"
chmod -R a+rX "$T"
start_peer() { # N
	eval "_ns=\$P$1"
	PXH_LOG=$T/p$1.log pxh_daemon "$T/p$1/pxehub.conf" "$_ns" || return 1
	eval "PID$1=$PXH_PID"
}
for n in 1 2 3 4; do start_peer $n || { not_ok peers_start "$(tail -3 "$T/p$n.log")"; exit 1; }; done

status() { # N -> JSON of /plugins/peer/ on peer N
	ip netns exec "$CL" curl -s --max-time 3 "http://10.88.0.$1/plugins/peer/"
}
jq_() { $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
metric() { # N NAME
	ip netns exec "$CL" curl -s --max-time 3 "http://10.88.0.$1/metrics" |
		awk -v n="pxehub_plugin_peer_$2" '$1 == n { print $2 }'
}
members_ok() {
	for n in 1 2 3 4; do
		a=$(status $n | jq_ 'sum(1 for p in d["peers"] if p["alive"] and p["state"] == "member")') || return 1
		[ "$a" = 4 ] || return 1
	done
}
i=0
while [ $i -lt 50 ] && ! members_ok; do sleep 0.2; i=$((i + 1)); done
if members_ok; then ok peers_see_each_other
else not_ok peers_see_each_other "$(status 1 | head -40)"; fi
