#!/bin/sh
# peer plugin with a real firmware client: three pxehubd peers on one bridge,
# a site DHCP server (dnsmasq, addresses only), and a QEMU BIOS machine
# (SeaBIOS + the NIC's iPXE ROM).  Only p1 has the loader (undionly.kpxe)
# and the signed manifest file; p2 and p3 get the manifest from p1 (its
# serial is in p1's heartbeats) and the loader over HTTP.  The node ids are
# set beforehand and the VM's MAC chosen so that another peer than p1 is
# elected (the ranking is recomputed here from docs/plugins/peer.md, not
# from the plugin): that peer alone answers the ROM (tp_e2e tftp_chain: the
# loader from its verified cache), the chained iPXE's DHCP, and serves
# /boot.ipxe; the VM prints the script's marker.  The heartbeats go to the
# subnet broadcast here (test_peer.sh covers multicast).
#
#   p1 10.89.0.1  p2 .2  p3 .3 (v0)   site 10.89.0.250 (dnsmasq)   tap0: VM
. "$(dirname "$0")/../lib.sh"
. "$PXH_TOP/tests/e2e/lab.sh"
pxh_init
lab_need qemu-system-x86_64 dnsmasq curl as ld openssl "$LAB_PY" "$LAB_IPXE/undionly.kpxe" "$PXHD"
for f in "$PXH_PLUGINS/peer.so" "$PXH_TOP/$B/tests/plugins/tp_e2e.so"; do
	[ -f "$f" ] || { echo "skip test_peer_qemu # $f not built (make test-build)"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "skip test_peer_qemu # no /dev/net/tun"; exit 77; }
lab_disk "$T/disk.img" || { not_ok boot_sector "as/ld failed"; exit 1; }

BR=$(pxh_netns br)
ip -n "$BR" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$BR" link set br0 type bridge mcast_snooping 0
ip -n "$BR" link set br0 up
join() { # NAME IFACE ADDR
	_ns=$(pxh_netns "$1")
	pxh_veth "$_ns" "$2" "$3" "$BR" "b-$1" ""
	ip -n "$BR" link set "b-$1" master br0
	ip -n "$_ns" route add 224.0.0.0/4 dev "$2"
	echo "$_ns"
}
P1=$(join p1 v0 10.89.0.1/24) P2=$(join p2 v0 10.89.0.2/24) P3=$(join p3 v0 10.89.0.3/24)
SITE=$(join site s0 10.89.0.250/24)
ip -n "$SITE" -6 addr add fd89:89::250/64 dev s0 nodad
cat >"$T/dnsmasq.conf" <<DNSMASQ
port=0
interface=s0
bind-interfaces
dhcp-range=10.89.0.100,10.89.0.199,255.255.255.0,10m
dhcp-authoritative
no-ping
dhcp-leasefile=$T/dnsmasq.leases
log-facility=$T/dnsmasq.log
enable-ra
dhcp-range=::,constructor:s0,ra-only,64,10m
DNSMASQ
ip netns exec "$SITE" dnsmasq -k -C "$T/dnsmasq.conf" >"$T/dnsmasq.out" 2>&1 &
pxh_track $!
ip -n "$BR" tuntap add tap0 mode tap
ip -n "$BR" link set tap0 master br0 up

# keys and the manifest (a file of p1's)
K=$T/keys
mkdir -p "$K" "$T/p1/tftp"
openssl genpkey -algorithm ed25519 -out "$K/upstream.pem" 2>/dev/null
openssl pkey -in "$K/upstream.pem" -pubout -out "$K/upstream.pub" 2>/dev/null
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$K/peer.key"
cp "$LAB_IPXE/undionly.kpxe" "$T/p1/tftp/"
sh "$PXH_TOP/etc/scripts/peer_manifest.sh" "$K/upstream.pem" "$T/p1/tftp" 7 "$K/manifest" 2>/dev/null
chmod 755 "$K"; chmod 644 "$K"/*

# node ids chosen here; the VM's MAC: the first whose highest score (equal
# weights: the largest u) is not p1's
for n in 1 2 3; do
	mkdir -p "$T/p$n/state/plugins/peer"
	printf '%032x' $((n * 7919)) >"$T/p$n/state/plugins/peer/node_id"
done
pick=$($LAB_PY - "$T" <<'PYEOF'
import hashlib, math, sys
t = sys.argv[1]
peers = [("p%d" % n, bytes.fromhex(open("%s/p%d/state/plugins/peer/node_id" % (t, n)).read()))
         for n in (1, 2, 3)]
def score(nid, mac):
    h = int.from_bytes(hashlib.sha256(nid + bytes.fromhex(mac.replace(":", ""))).digest()[:8], "big")
    return 1.0 / -math.log(((h >> 11) + 0.5) / 2.0**53)
for i in range(1, 64):
    mac = "52:54:00:89:00:%02x" % i
    win = max(peers, key=lambda p: (score(p[1], mac), [-b for b in p[1]]))[0]
    if win != "p1":
        print(mac, win)
        break
PYEOF
)
MAC=${pick% *} WIN=${pick#* }
echo "# VM $MAC; elected (computed here): $WIN"
MARK=PXH-PEER-QEMU-OK
for n in 1 2 3; do
	d=$T/p$n
	mkdir -p "$d/plugins"
	( T=$d; pxh_conf "$d/pxehub.conf" )
	cp "$PXH_PLUGINS/peer.so" "$PXH_TOP/$B/tests/plugins/tp_e2e.so" "$d/plugins/"
	sed -i "s|^dir = .*|dir = $d/plugins|" "$d/pxehub.conf"
	cat >>"$d/pxehub.conf" <<CONF
[boot]
loader_bios = undionly.kpxe
[dhcp]
rate_per_mac = 0
CONF
	mf=""
	[ $n = 1 ] && mf="manifest = $K/manifest"
	cat >"$d/plugins.d/peer.conf" <<CONF
[peer]
enabled = yes
priority = 10
key_file = $K/peer.key
interface = v0
group = broadcast
name = p$n
public_key = $K/upstream.pub
$mf
seed_dir = $d/tftp
CONF
	printf '[tp_e2e]\nenabled = yes\npriority = 100\ntftp_chain = %s\nscript = #!ipxe\\necho %s\\nexit\n' \
		"$MAC" "$MARK" >"$d/plugins.d/tp_e2e.conf"
	chown -R nobody "$d/state"
	chmod -R a+rX "$d"
done
for n in 1 2 3; do
	eval "_ns=\$P$n"
	PXH_LOG=$T/p$n.log pxh_daemon "$T/p$n/pxehub.conf" "$_ns" ||
		{ not_ok peers_start "$(tail -3 "$T/p$n.log")"; exit 1; }
done
ready() {
	for n in 1 2 3; do
		ip netns exec "$P1" curl -s --max-time 2 "http://10.89.0.$n/plugins/peer/" |
			$LAB_PY -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not (d["peers_alive"] == 3 and all(p["ready"] and p["state"] == "member" for p in d["peers"])))' || return 1
	done
}
i=0
while [ $i -lt 60 ] && ! ready; do sleep 0.25; i=$((i + 1)); done
if ready && [ ! -e "$T/p2/tftp/undionly.kpxe" ] &&
   grep -q 'manifest serial 7 (1 files) from peer p1 accepted' "$T/p2.log" "$T/p3.log"; then
	ok manifest_and_loader_reach_peers_from_p1
else
	not_ok manifest_and_loader_reach_peers_from_p1 "$(ip netns exec "$P1" curl -s http://10.89.0.2/plugins/peer/ | head -20)"
fi

if lab_boot vm 60 "$MARK" "$BR" $(lab_bios "$MAC" tap0); then
	ok "qemu_bios_client_boots_through_elected_peer # ${LAB_SECS}s"
else
	not_ok qemu_bios_client_boots_through_elected_peer "no marker in ${LAB_SECS}s: $(tr -d '\r' <"$T/vm.serial" | tail -3 | tr '\n' '|')"
fi
# only the elected peer answered it (the other peers stood down for its
# MAC), sent its loader and served its script
w=${WIN#p}
served() { # N -> "loaders scripts boots" on peer N (only the VM boots here)
	printf '%s %s %s' "$(grep -c 'event=tftp_end.*file=undionly.kpxe' "$T/p$1.log")" \
		"$(grep -c 'event=script_served' "$T/p$1.log")" \
		"$(grep -c "event=decision mac=$MAC.*action=boot" "$T/p$1.log")"
}
bad=""
for n in 1 2 3; do
	[ $n = "$w" ] && continue
	[ "$(served $n)" = "0 0 0" ] && grep -q "event=decision mac=$MAC.*action=ignore plugin=peer msg=\"dhcp phase: ignore by peer: p$w answers" "$T/p$n.log" ||
		bad="$bad p$n:$(served $n)"
done
case $(served "$w") in
0\ *|*\ 0\ *|*\ 0) bad="$bad elected p$w: $(served "$w")" ;;
esac
if [ -z "$bad" ]; then ok only_the_elected_peer_answered
else not_ok only_the_elected_peer_answered "$bad"; fi
