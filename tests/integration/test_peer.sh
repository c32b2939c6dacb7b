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
ip -n "$CL" route add 255.255.255.255/32 dev c0

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

# ---- content: seeded on p1 only, fetched by the others -----------------------------------
held_all() { # PATH: every peer holds it
	for n in 1 2 3 4; do
		h=$(status $n | jq_ "[f['held'] for f in d['manifest']['files'] if f['path'] == '$1'][0]") || return 1
		[ "$h" = True ] || return 1
	done
}
i=0
while [ $i -lt 50 ] && ! { held_all undionly.kpxe && held_all boot/shared.img; }; do sleep 0.2; i=$((i + 1)); done
ip netns exec "$CL" curl -s --max-time 5 -o "$T/http3.out" "http://10.88.0.3/tftp/boot/shared.img"
got=$(sum "$T/http3.out")
if [ "$got" = "$(sum "$S/boot/shared.img")" ] && [ ! -e "$T/p3/tftp/boot/shared.img" ] &&
   grep -q 'boot/shared.img (1048576 bytes) from peer p[124] verified and cached' "$T/p3.log"; then
	ok file_on_one_peer_reaches_client_via_another_http
else
	not_ok file_on_one_peer_reaches_client_via_another_http "sha $got; $(grep shared.img "$T/p3.log" | tail -2)"
fi
(cd "$T" && ip netns exec "$CL" timeout 10 tftp 10.88.0.4 -m binary -c get undionly.kpxe tftp4.out) >/dev/null 2>&1
if [ "$(sum "$T/tftp4.out" 2>/dev/null)" = "$(sum "$S/undionly.kpxe")" ]; then
	ok file_on_one_peer_reaches_client_via_another_tftp
else
	not_ok file_on_one_peer_reaches_client_via_another_tftp "$(ls -l "$T/tftp4.out" 2>&1)"
fi

# ---- tampered copies: p2's seed and the upstream's ------------------------------------------
code=$(ip netns exec "$CL" curl -s -o "$T/t2.out" -w '%{http_code}' --max-time 5 "http://10.88.0.2/tftp/boot/tamper.img")
code3=$(ip netns exec "$CL" curl -s -o "$T/t3.out" -w '%{http_code}' --max-time 5 "http://10.88.0.3/tftp/boot/tamper.img")
vf=0
for n in 1 2 3 4; do vf=$((vf + $(metric $n verify_failed))); done
if [ "$code3" = 404 ] && [ "$vf" -ge 1 ] &&
   grep -q 'boot/tamper.img from upstream rejected: 200000 bytes, SHA-256 does not match' "$T/p3.log" &&
   grep -q 'seed_dir copy of boot/tamper.img differs from the manifest: not served' "$T/p2.log" &&
   [ "$(status 3 | jq_ "[f['held'] for f in d['manifest']['files'] if f['path'] == 'boot/tamper.img'][0]")" = False ]; then
	ok tampered_file_rejected
else
	not_ok tampered_file_rejected "p3 $code3, verify_failed $vf"
fi
# p2's own tampered copy (its seed_dir is the TFTP root): the plugin refuses
# it (-EACCES from the resolver), the core must not serve it from the root
if [ "$code" != 200 ] || [ "$(sum "$T/t2.out")" = "$(sum "$S/boot/tamper.img")" ]; then
	ok tampered_local_copy_not_served
else
	not_ok tampered_local_copy_not_served "HTTP $code with the tampered bytes: core/files.c goes on to the file system after a resolver refused (-EACCES)"
fi
# the upstream gets the signed content: every peer takes it, p2 serves it
cp "$S/boot/tamper.img" "$T/up/tftp/boot/tamper.img"
i=0
while [ $i -lt 75 ] && ! held_all boot/tamper.img; do sleep 0.2; i=$((i + 1)); done
got=$(ip netns exec "$CL" curl -s --max-time 5 "http://10.88.0.2/tftp/boot/tamper.img" | sha256sum | cut -d' ' -f1)
if [ "$got" = "$(sum "$S/boot/tamper.img")" ]; then ok verified_copy_replaces_tampered_one
else not_ok verified_copy_replaces_tampered_one "p2 serves $got"; fi

# ---- a forged manifest (newer serial, another key) ----------------------------------------------
cp "$T/up/manifest" "$T/manifest.good"; cp "$T/up/manifest.sig" "$T/manifest.good.sig"
r0=$(metric 1 manifest_rejected)
sh "$PXH_TOP/etc/scripts/peer_manifest.sh" "$K/forger.pem" "$S" 200 "$T/up/manifest" \
	undionly.kpxe 2>/dev/null
i=0
while [ $i -lt 40 ] && [ "$(metric 1 manifest_rejected)" = "$r0" ]; do sleep 0.2; i=$((i + 1)); done
if [ "$(metric 1 manifest_rejected)" -gt "$r0" ] && [ "$(metric 1 manifest_serial)" = 100 ] &&
   grep -q 'manifest from http://10.88.0.250:8000/manifest rejected: signature does not verify' "$T/p1.log"; then
	ok forged_manifest_rejected
else
	not_ok forged_manifest_rejected "rejected $(metric 1 manifest_rejected), serial $(metric 1 manifest_serial)"
fi
cp "$T/manifest.good" "$T/up/manifest"; cp "$T/manifest.good.sig" "$T/up/manifest.sig"

# ---- the heartbeat on the wire, replayed and altered -------------------------------------------------
hb=$(ip netns exec "$UP" $PY "$I/peer_wire.py" capture 10.88.0.250 $GROUP $PORT "$K/peer.key" "$T/hb.bin" 2>&1)
if printf '%s' "$hb" | jq_ 'd["hmac_ok"] and d["version"] == 1 and d["type"] == 1 and d["name"] == "p%s" % d["addr"].split(".")[-1] and d["serial"] == 100 and d["http_port"] == 80' | grep -qx True; then
	ok heartbeat_wire_format
else
	not_ok heartbeat_wire_format "$hb"
fi
sender=$(printf '%s' "$hb" | jq_ 'd["addr"].split(".")[-1]' 2>/dev/null)
others=""
for n in 1 2 3 4; do [ "$n" != "$sender" ] && others="$others $n"; done
for n in $others; do eval "rp$n=\$(metric $n rx_replay) au$n=\$(metric $n rx_auth)"; done
ip netns exec "$UP" $PY "$I/peer_wire.py" replay "$T/hb.bin" $GROUP $PORT
ip netns exec "$UP" $PY "$I/peer_wire.py" replay "$T/hb.bin" $GROUP $PORT --flip 60
sleep 0.5
bad=""
for n in $others; do
	eval "a=\$rp$n b=\$au$n"
	[ "$(metric $n rx_replay)" -ge $((a + 3)) ] || bad="$bad p$n:replay=$(metric $n rx_replay)-was-$a"
	[ "$(metric $n rx_auth)" -ge $((b + 3)) ] || bad="$bad p$n:auth=$(metric $n rx_auth)-was-$b"
done
if [ -z "$bad" ] && [ -n "$sender" ] && grep -q "peer: replayed heartbeat of p$sender" "$T/p$(echo $others | cut -d' ' -f1).log"; then
	ok replayed_heartbeat_rejected
	ok altered_heartbeat_rejected
else
	not_ok replayed_heartbeat_rejected "$bad"
	not_ok altered_heartbeat_rejected "$bad"
fi

# ---- a stranger: another key, the highest preference -------------------------------------------------
mkdir -p "$T/x"
( T=$T/x; pxh_conf "$T/pxehub.conf" )
cat >>"$T/x/pxehub.conf" <<EOC
[dhcp]
port = 0
pxe_port = 0
[tftp]
enabled = no
EOC
cat >"$T/x/plugins.d/peer.conf" <<EOC
[peer]
enabled = yes
key_file = $K/stranger.key
interface = u0
name = stranger
preference = 1000
join_wait = 0
EOC
PXH_LOG=$T/x.log pxh_daemon "$T/x/pxehub.conf" "$UP" || not_ok stranger_start "$(tail -3 "$T/x.log")"
au=$(metric 1 rx_auth)
sleep 1.5
names=$(status 1 | jq_ '" ".join(sorted(p["name"] for p in d["peers"]))')
if [ "$names" = "p1 p2 p3 p4" ] && [ "$(metric 1 rx_auth)" -ge $((au + 2)) ]; then
	ok peer_without_key_ignored
else
	not_ok peer_without_key_ignored "members '$names', rx_auth $au -> $(metric 1 rx_auth)"
fi

# ---- 1000 clients, 5% heartbeat loss between the peers -----------------------------------------------
for n in 1 2 3 4; do
	eval "_ns=\$P$n"
	ip netns exec "$_ns" nft -f - <<EON || not_ok nft_loss "nft failed in p$n"
table inet peerloss {
	chain in {
		type filter hook input priority 0;
		udp dport $PORT numgen random mod 100 < 5 counter drop
	}
}
EON
done 2>/dev/null
sleep 1 # a few heartbeats lost already, as during the run
# DISCOVERs 100 a second; a client unanswered 1 s tries again 3 s later, twice
res=$(ip netns exec "$CL" $PY "$I/peer_clients.py" run 10.88.0.200 52:54:01:00 0 1000 "$T/run1.json" \
	--rate 100 --wait 1 --retries 2 --retry-gap 3 2>"$T/run1.err")
echo "# 1000 clients: $res"
drops=""
for n in 1 2 3 4; do
	eval "_ns=\$P$n"
	drops="$drops p$n:$(ip netns exec "$_ns" nft list table inet peerloss | awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')"
done
echo "# heartbeats dropped by nftables:$drops"
doubles=$(printf '%s' "$res" | jq_ 'd["doubles"]' 2>/dev/null)
unans=$(printf '%s' "$res" | jq_ 'd["unanswered"]' 2>/dev/null)
# The 0.1% bound is a timing property of the release build: under ASan the
# peers run several times slower and heartbeats arrive late, so that pass
# only checks the bound loosely (1%); the plain pass holds it to 0.1%.
max_doubles=1
case " ${SANITIZE:-} ${MAKEFLAGS:-} " in *SANITIZE=1*|" 1 "*) max_doubles=10 ;; esac
if [ "$doubles" = "" ] || [ "$doubles" -gt "$max_doubles" ]; then not_ok loss5_double_answers_at_most_0.1pct "$res $(tail -2 "$T/run1.err")"
else ok loss5_double_answers_at_most_0.1pct; fi
if [ "$unans" = 0 ]; then ok loss5_none_unanswered_after_two_retries
else not_ok loss5_none_unanswered_after_two_retries "$res"; fi
if $PY - "$T/run1.json" <<'EOP'
import json, sys
files = set(); servers = set()
for line in open(sys.argv[1]):
    c = json.loads(line)
    for t in c["tries"]:
        if t["from"]:
            files.add(t["file"]); servers.update(t["from"])
sys.exit(not (files == {"undionly.kpxe"} and len(servers) == 4))
EOP
then ok loss5_every_peer_answers_its_share_with_the_loader
else not_ok loss5_every_peer_answers_its_share_with_the_loader "$res"; fi
for n in 1 2 3 4; do eval "_ns=\$P$n"; ip netns exec "$_ns" nft delete table inet peerloss; done

# ---- a reload (SIGHUP) keeps the node and its membership ----------------------------------------------
kill -HUP "$PID2"
sleep 0.5
i=0
while [ $i -lt 40 ] && ! members_ok; do sleep 0.2; i=$((i + 1)); done
n2=$(status 1 | jq_ 'sum(1 for p in d["peers"] if p["name"] == "p2")')
if members_ok && [ "$n2" = 1 ] && kill -0 "$PID2" && ! grep -q 'UDP port.*Address already in use' "$T/p2.log"; then
	ok reload_keeps_node_and_membership
else
	not_ok reload_keeps_node_and_membership "p2 listed $n2 times; $(grep -i 'peer' "$T/p2.log" | tail -3)"
fi

# ---- the elected peer killed mid-run ---------------------------------------------------------------------
# clients p1 answered above boot again; p1 dies (SIGKILL, no goodbye) 1 s in
$PY -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    c = json.loads(line)
    a = [t for t in c["tries"] if t["from"]]
    if a and a[0]["from"] == ["10.88.0.1"] and n < 200:
        print(c["mac"]); n += 1' "$T/run1.json" >"$T/p1macs"
np1=$(wc -l <"$T/p1macs")
echo "# $np1 clients p1 answered boot again; p1 is killed 1 s in"
ip netns exec "$CL" $PY "$I/peer_clients.py" run 10.88.0.200 52:54:01:00 0 1000 "$T/run2.json" \
	--rate 50 --wait 1 --retries 2 --retry-gap 3 --macs "$T/p1macs" >"$T/run2.res" 2>"$T/run2.err" &
RUN2=$!
sleep 1
t_kill=$(date +%s.%N)
kill -9 "$PID1"
wait $RUN2
res=$(cat "$T/run2.res")
echo "# after the kill: $res"
if [ "$(printf '%s' "$res" | jq_ 'd["unanswered"]')" = 0 ] &&
   [ "$(printf '%s' "$res" | jq_ 'd["doubles"]')" = 0 ] &&
   [ "$np1" -ge 50 ]; then
	ok elected_peer_killed_next_boots_answered
else
	not_ok elected_peer_killed_next_boots_answered "$res ($np1 clients)"
fi
# how long the others took: the first answer of another peer after the kill
$PY - "$T/run2.json" "$t_kill" <<'EOP'
import json, sys
t_kill = float(sys.argv[2]); first = None; by = {}
for line in open(sys.argv[1]):
    c = json.loads(line)
    for t in c["tries"]:
        if t["from"] and t["from"][0] != "10.88.0.1":
            by[t["from"][0]] = by.get(t["from"][0], 0) + 1
            if t["at"] >= t_kill and (first is None or t["at"] < first):
                first = t["at"]
print("# takeover: first answer by another peer %.2f s after the kill; answered by %s"
      % ((first or 0) - t_kill, by))
EOP
if grep -q 'p1 (10.88.0.1) silent for .* gone; its clients go to the next peer' "$T/p2.log" &&
   grep -q 'action=takeover' "$T/p2.log" "$T/p3.log" "$T/p4.log"; then
	ok failover_events
else
	not_ok failover_events "$(grep -h 'p1 (10.88.0.1)' "$T/p2.log" | tail -2)"
fi
# a taken-over client completes its boot from its new peer (TFTP loader)
new=$($PY -c '
import json, sys
for line in open(sys.argv[1]):
    c = json.loads(line)
    a = [t for t in c["tries"] if t["from"] and t["from"][0] != "10.88.0.1"]
    if a:
        print(a[-1]["from"][0]); break' "$T/run2.json")
rm -f "$T/tftp5.out"
[ -n "$new" ] && (cd "$T" && ip netns exec "$CL" timeout 10 tftp "$new" -m binary -c get undionly.kpxe tftp5.out) >/dev/null 2>&1
if [ -n "$new" ] && [ "$(sum "$T/tftp5.out" 2>/dev/null)" = "$(sum "$S/undionly.kpxe")" ]; then
	ok taken_over_client_gets_loader_from_new_peer
else
	not_ok taken_over_client_gets_loader_from_new_peer "new peer '$new'"
fi
