#!/bin/sh
# proxyDHCP under bursts: requests arrive faster than one per wake-up, so
# pxehubd takes them in recvmmsg batches and answers with sendmmsg.  Every
# request of a burst must get its own reply (xid, chaddr, file, server id,
# UUID echo, destination), malformed packets inside a batch must not cost
# the valid ones their answer, and every request's events must reach the
# log (held per batch).  Replies decoded by scapy, not by pxehub's parser.
#
#   [cli 10.52.0.2, a relay: giaddr = itself]--veth--[srv 10.52.0.1] pxehubd
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_dhcp_burst # python3-scapy missing"; exit 77; }
[ -x "$PXHD" ] || { echo "skip test_dhcp_burst # pxehubd not built"; exit 77; }

SRV=$(pxh_netns srv) CLI=$(pxh_netns cli)
pxh_veth "$SRV" s0 10.52.0.1/24 "$CLI" c0 10.52.0.2/24

pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[boot]
loader_efi_x64 = snponly.efi
[dhcp]
rate_per_mac = 0
EOF
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start "see log"; exit 1; }

cat >"$T/burst.py" <<'EOF'
import socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from dhcp_client import request_bytes, UUID_WIRE
from scapy.layers.dhcp import BOOTP, DHCP

mode, count = sys.argv[2], int(sys.argv[3])
SRV = "10.52.0.1"
VC = "PXEClient:Arch:00007:UNDI:003000"

def mac_of(i):
    return "52:54:00:52:%02x:%02x" % (i >> 8, i & 255)

def with_giaddr(pkt, ip):
    return pkt[:24] + socket.inet_aton(ip) + pkt[28:]

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
if mode == "pxe":
    s.bind(("10.52.0.2", 0))          # 4011: the reply goes to the source
    port, mtype = 4011, 3
else:
    s.bind(("10.52.0.2", 67))         # relayed: the reply goes to giaddr:67
    port, mtype = 67, 1
sent = {}
for i in range(count):
    # a fresh xid per burst: the duplicate window must not decide
    xid = {"relay": 0x52000000, "mixed": 0x53000000, "pxe": 0x54000000}[mode] + i
    p = request_bytes(mac_of(i), xid, mtype, 7, VC)
    if mode != "pxe":
        p = with_giaddr(p, "10.52.0.2")
    if mode == "mixed" and i % 3 == 1:
        s.sendto(b"\x01\x01\x06" + bytes(40), (SRV, port))  # malformed
    s.sendto(p, (SRV, port))
    sent[xid] = mac_of(i)
s.settimeout(0.5)
good, bad, seen = 0, [], set()
deadline = time.time() + 10
while len(seen) < count and time.time() < deadline:
    try:
        data, src = s.recvfrom(2048)
    except socket.timeout:
        continue
    b = BOOTP(data)
    opts = dict(o for o in b[DHCP].options if isinstance(o, tuple) and len(o) == 2)
    mac = ":".join("%02x" % c for c in bytes(b.chaddr)[:6])
    want = 5 if mode == "pxe" else 2
    why = None
    if b.xid not in sent: why = "unknown xid %x" % b.xid
    elif b.xid in seen: why = "second reply for xid %x" % b.xid
    elif sent[b.xid] != mac: why = "xid %x chaddr %s, sent %s" % (b.xid, mac, sent[b.xid])
    elif b.op != 2 or opts.get("message-type") != want: why = "type %s" % opts.get("message-type")
    elif b.file.rstrip(b"\0") != b"snponly.efi": why = "file %r" % b.file
    elif b.siaddr != SRV or opts.get("server_id") != SRV: why = "server %s/%s" % (b.siaddr, opts.get("server_id"))
    elif bytes(opts.get("client-machine-id", opts.get(97, b""))) != UUID_WIRE and \
         UUID_WIRE not in bytes(data): why = "no option 97 echo"
    elif src[0] != SRV or src[1] != port: why = "from %s:%d" % src
    elif mode != "pxe" and b.giaddr != "10.52.0.2": why = "giaddr %s" % b.giaddr
    if why:
        bad.append(why)
    else:
        good += 1
    seen.add(b.xid)
print(good, len(bad), bad[0] if bad else "")
EOF

# burst NAME MODE COUNT: COUNT requests back to back, all answered right
burst() {
	set -- "$1" $(ip netns exec "$CLI" $PY "$T/burst.py" "$PXH_TOP/tests/integration" "$2" "$3" 2>"$T/burst.err") "$3"
	# $1 name, $2 good, $3 bad, rest: first problem..., last: count
	_n=$1 _good=${2:-0} _bad=${3:-0}
	eval "_want=\${$#}"
	if [ "$_good" = "$_want" ] && [ "$_bad" = 0 ]; then
		ok "$_n"
	else
		shift 3
		not_ok "$_n" "$_good of $_want answered right, $_bad wrong: $* $(tail -1 "$T/burst.err")"
	fi
}

before=$(grep -c 'event=dhcp_decision.*action=boot' "$T/pxehubd.log")
burst burst_300_relayed_discovers_each_answered relay 300
burst burst_malformed_inside_batches_cost_no_answer mixed 200
burst burst_100_pxe_requests_on_4011_each_acked pxe 100
sleep 0.3
after=$(grep -c 'event=dhcp_decision.*action=boot' "$T/pxehubd.log")
if [ $((after - before)) = 600 ]; then
	ok burst_every_decision_logged
else
	not_ok burst_every_decision_logged "$((after - before)) boot decisions logged, want 600"
fi
if grep -q 'dropped malformed packet' "$T/pxehubd.log"; then
	ok burst_malformed_counted_in_log
else
	not_ok burst_malformed_counted_in_log "no 'dropped malformed packet' line"
fi
kill -0 "$PXH_PID" 2>/dev/null && ok daemon_alive_after_bursts || not_ok daemon_alive_after_bursts
exit $_pxh_failed
