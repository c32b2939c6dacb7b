#!/bin/sh
# Boot storm: N synthetic clients (bench/storm.c, no VM) each do the whole
# network boot against pxehubd, then against dnsmasq (proxyDHCP + TFTP) with
# nginx serving the same files, with equal limits; prints per-stage and
# total p50/p99 side by side.
#
#   sh bench/storm.sh           (root; B=build dir)
#   STORM_N=1000 clients, STORM_IPS=250 client addresses, STORM_MB=20 image
#   size, STORM_RAMP=0 seconds over which clients power on (0 = all at once),
#   STORM_DEADLINE=120 seconds a client may take (later = failed),
#   STORM_SERVERS="pxehub dnsmasq" which servers (add "base" and
#   STORM_BASE=/path/to/old/pxehubd for a before/after), STORM_RUNS=3 runs,
#   interleaved (pxehub, dnsmasq, pxehub, ...) so a machine's load hits both
#   alike; STORM_TLS=1 fetches the image over HTTPS (pxehub's https_port,
#   nginx `ssl` with the same certificate; the client pins one cipher suite,
#   TLS 1.3 AES-128-GCM, so both servers do the same work);
#   STORM_RCVBUF=BYTES each simulated client's HTTP receive buffer
#   (SO_RCVBUF, default 262144: iPXE's largest receive window, see below;
#   0 = this kernel's autotuning, up to tcp_rmem's max per socket),
#   STORM_WORKERS=N pxehub's [server] workers (and nginx's worker_processes;
#   default 1: one loop each), STORM_BASE_WORKERS=N the same for "base" (with
#   STORM_BASE this very build: workers 1 vs 2 in one interleaved run)
# Prints "storm: ..." lines, a table per run and one of the medians over the
# runs (pxehub's event loop turn length too); JSON per run in $B/bench/.
#
# Why a 256 KiB receive buffer: the clients fetch the image as iPXE does,
# and iPXE never advertises more than TCP_MAX_WINDOW_SIZE = 256 KiB
# (src/include/ipxe/tcp.h; tcp_xmit() also caps it at 3/4 of free memory
# and the application's window, window scale 9).  EDK2's HTTP boot asks
# its TCP for 64 KiB without window scaling up to edk2-stable202308
# (HttpDxe HTTP_BUFFER_SIZE_DEAULT 65535; Debian 12's OVMF is 2022.11) and
# 2 MiB with scaling from edk2-stable202311 (commit b240eab035).  Linux
# autotuning instead lets each of 1000 sockets grow toward tcp_rmem's max
# (32 MiB here): no firmware does that, and then this one kernel runs out
# of TCP memory and drops segments, which stalls clients for a minute
# (docs/http.md "Worker loops").  Linux doubles SO_RCVBUF for its own
# bookkeeping: 262144 gives a 512 KiB buffer, whose advertised window
# measured on loopback up to 384 KiB (median 66 KiB for a slow reader):
# the same order as iPXE's, not an exact copy.
set -u
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PXHD=$TOP/$B/sbin/pxehubd
N=${STORM_N:-1000}
K=${STORM_IPS:-250}
MB=${STORM_MB:-20}
RAMP=${STORM_RAMP:-0}
SERVERS=${STORM_SERVERS:-pxehub dnsmasq}
RUNS=${STORM_RUNS:-3}
DEADLINE=${STORM_DEADLINE:-120}
BASE=${STORM_BASE:-}
TLS=${STORM_TLS:-0}
WORKERS=${STORM_WORKERS:-1}
RCVBUF=${STORM_RCVBUF:-262144}
BASE_WORKERS=${STORM_BASE_WORKERS:-}
LOADER=/usr/lib/ipxe/undionly.kpxe
OUT=$TOP/$B/bench
[ "$(id -u)" = 0 ] || { echo "storm: skipped (needs root)"; exit 0; }
[ -x "$PXHD" ] || { echo "storm: skipped (build pxehubd first)"; exit 0; }
[ -f "$LOADER" ] || { echo "storm: skipped ($LOADER missing: package ipxe)"; exit 0; }
mkdir -p "$OUT"
cc -O2 -g -std=gnu11 -Wall -Wextra -o "$OUT/storm" "$TOP/bench/storm.c" -lgnutls || exit 1
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

# HTTPS: one certificate for both servers
if [ "$TLS" = 1 ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=10.88.0.1 \
		-addext subjectAltName=IP:10.88.0.1 -keyout "$T/key.pem" \
		-out "$T/cert.pem" >/dev/null 2>&1 || { echo "storm: openssl failed"; exit 1; }
	chmod 644 "$T/key.pem"
	IMG="-S 443"
	SUF=-tls
else
	IMG=""
	SUF=""
fi

softnet_drops() { # every CPU's backlog drops so far (/proc/net/softnet_stat, column 2, hex)
	n=0
	for x in $(awk '{ print $2 }' /proc/net/softnet_stat); do n=$((n + 0x$x)); done
	echo $n
}

run_storm() { # NAME RUN
	echo "storm: $1 run $2: $N clients (${K} addresses), ${MB} MiB image$([ "$TLS" = 1 ] && echo ' over HTTPS'), ramp ${RAMP}s, client SO_RCVBUF $([ "$RCVBUF" = 0 ] && echo autotuned || echo "$RCVBUF"), load $(cut -d' ' -f1-3 /proc/loadavg)"
	# shortly before the deadline, the TCP state of the HTTP connections
	# still open on both sides (a late client's: did the server stop
	# sending, the client stop reading, or TCP back off?)
	rm -f "$T/ss-$1.txt"
	( trap 'kill $sp 2>/dev/null; exit 0' TERM
	  sleep $((DEADLINE + ${RAMP%.*} - 3)) & sp=$!
	  wait $sp &&
	  { echo "server side:"; ip netns exec $S ss -Htino state connected '( sport = :80 or sport = :443 )';
	    echo "client side:"; ip netns exec $C ss -Htino state established '( dport = :80 or dport = :443 )'; } \
		>"$T/ss-$1.txt" 2>&1 ) &
	SS_PID=$!
	drops0=$(softnet_drops)
	cpu0=$(ns_cpu $S)
	# shellcheck disable=SC2086
	ip netns exec $C "$OUT/storm" -n "$N" -s 10.88.0.1 -I bc0 -a 10.88.1.0 -k "$K" \
		-r "$RAMP" -d "$DEADLINE" -i /files/image.bin $IMG -R "$RCVBUF" -j "$OUT/storm$SUF-$1-$2.json" \
		>"$T/storm-$1.out" 2>&1
	kill $SS_PID 2>/dev/null
	wait $SS_PID 2>/dev/null
	sed 's/^/storm: /' "$T/storm-$1.out"
	echo "storm: $1 run $2: server cpu: $(($(ns_cpu $S) - cpu0)) ticks of $(getconf CLK_TCK) per s (user + sys, every process in the server namespace)"
	# packets the kernel's per-CPU backlog dropped (veth delivers through
	# it; netdev_max_backlog): a dropped window update leaves a sender in
	# zero-window probing, whose interval doubles up to 120 s
	echo "storm: $1 run $2: backlog drops during the run: $(($(softnet_drops) - drops0)) (netdev_max_backlog $(cat /proc/sys/net/core/netdev_max_backlog))"
	[ -s "$T/ss-$1.txt" ] && sed 's/^/storm: late tcp: /' "$T/ss-$1.txt"
	# TCP's drops, retransmissions and probes so far in each namespace
	# (totals since the namespaces were made: compare run to run)
	for ns in $S $C; do
		echo "storm: $1 run $2: tcp totals $([ $ns = $S ] && echo server || echo client) side:" \
			$(ip netns exec $ns nstat -asz 2>/dev/null | awk '$1 ~ /^(TcpRetransSegs|TcpExtTCPTimeouts|TcpExtTCPWinProbe|TcpExtTCPZeroWindowDrop|TcpExtTCPRcvQDrop|TcpExtTCPBacklogDrop|TcpExtTCPOFODrop|TcpExtPruneCalled|TcpExtRcvPruned|TcpExtTCPToZeroWindowAdv|TcpExtTCPFromZeroWindowAdv|TcpExtTCPLossProbes)$/ { printf "%s=%s ", $1, $2 }')
	done
}

# CPU ticks (user + sys, all threads) of the processes in namespace NS
ns_cpu() {
	# shellcheck disable=SC2046
	cat $(ip netns pids "$1" | sed 's|.*|/proc/&/stat|') 2>/dev/null |
		awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
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

run=0
while [ $run -lt "$RUNS" ]; do
run=$((run + 1))
for srv in $SERVERS; do
	case $srv in
	pxehub|base)
		if [ $srv = base ]; then
			[ -x "$BASE" ] || { echo "storm: STORM_BASE=$BASE is no pxehubd"; continue; }
			BIN=$BASE
		else
			BIN=$PXHD
		fi
		cat >"$T/pxehub.conf" <<EOF
[server]
listen = bs0
user = nobody
state_dir = $T/state
$([ $srv = pxehub ] && echo "workers = $WORKERS")
$([ $srv = base ] && [ -n "$BASE_WORKERS" ] && echo "workers = $BASE_WORKERS")
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
$([ "$TLS" = 1 ] && printf 'https_port = 443\ncert = %s\nkey = %s' "$T/cert.pem" "$T/key.pem" || echo 'https_port = 0')
max_connections = 4096
[boot]
loader_bios = undionly.kpxe
[access]
allow = all
EOF
		ip netns exec $S "$BIN" -f -c "$T/pxehub.conf" >"$T/pxehubd.log" 2>&1 &
		SRV_PIDS=$!
		wait_port $S t 80 || { echo "storm: pxehubd did not start"; tail "$T/pxehubd.log"; exit 1; }
		run_storm $srv $run
		M=$OUT/storm$SUF-$srv-$run.metrics
		ip netns exec $S curl -s --max-time 5 http://10.88.0.1/metrics >"$M" 2>/dev/null
		grep -E '^pxehub_(tftp|dhcp)_[a-z_]*(retrans|timeout|drop|error|fail)[a-z_]*|^pxehub_http_rejected_total\{reason="timeout"\}' "$M" |
			grep -v ' 0$' | sed "s/^/storm: $srv metric /"
		grep -E '^pxehub_loop_turn' "$M" | sed "s/^/storm: $srv metric /"
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
		# STORM_WORKERS workers, like pxehubd's loops; same connection limit
		cat >"$T/nginx.conf" <<EOF
worker_processes $WORKERS;
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
	server {
		listen 10.88.0.1:80;
		listen 10.88.0.1:443 ssl;
		ssl_certificate $T/cert.pem;
		ssl_certificate_key $T/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $T/www;
	}
}
EOF
		[ "$TLS" = 1 ] || sed -i '/443\|ssl_/d' "$T/nginx.conf"
		ip netns exec $S dnsmasq -k -C "$T/dnsmasq.conf" >"$T/dnsmasq.log" 2>&1 &
		SRV_PIDS=$!
		ip netns exec $S nginx -c "$T/nginx.conf" -g 'daemon off;' >"$T/nginx.log" 2>&1 &
		SRV_PIDS="$SRV_PIDS $!"
		wait_port $S t 80 && wait_port $S u 69 ||
			{ echo "storm: dnsmasq/nginx did not start"; cat "$T/dnsmasq.log" "$T/nginx.log"; exit 1; }
		run_storm dnsmasq $run
		stop_servers
		;;
	esac
done
done

/usr/bin/python3 - "$OUT" "$SUF" "$RUNS" "$SERVERS" <<'EOF'
import json, re, statistics, sys
out, suf, runs, servers = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
label = {"pxehub": "pxehub", "base": "pxehub (base)", "dnsmasq": "dnsmasq+nginx"}
stages = ["dhcp_offer", "pxe_4011", "tftp_loader", "ipxe_dhcp", "boot_ipxe", "image", "total"]

def load(srv, r):
    try:
        return json.load(open("%s/storm%s-%s-%d.json" % (out, suf, srv, r)))
    except (OSError, ValueError):
        return None

def cell(r, st):
    if not r:
        return "%25s" % "-"
    s = r["stages"][st]
    return "%7.0f /%7.0f /%7.0f" % (s["p50_ms"], s["p99_ms"], s["max_ms"])

def table(title, res):
    print("storm: %s (ms: p50 / p99 / max)" % title)
    print("storm: %-12s %s   %s" % ("stage", "   ".join("%25s" % label.get(v, v) for v in servers),
                                 "p50 pxehub/peer"))
    for st in stages:
        a, b = res.get("pxehub"), res.get("dnsmasq")
        ratio = "-"
        if a and b and b["stages"][st]["p50_ms"] > 0:
            ratio = "%.2fx" % (a["stages"][st]["p50_ms"] / b["stages"][st]["p50_ms"])
        print("storm: %-12s %s   %s" % (st, "   ".join(cell(res.get(v), st) for v in servers), ratio))
    for v in servers:
        r = res.get(v)
        if r:
            print("storm: %s: %d/%d done, %d failed, wall %.1f s" % (label.get(v, v), r["done"], r["clients"], r["failed"], r["wall_s"]))

def median(rs):
    rs = [r for r in rs if r]
    if not rs:
        return None
    m = {"done": min(r["done"] for r in rs), "clients": rs[0]["clients"],
         "failed": sum(r["failed"] for r in rs),
         "wall_s": statistics.median(r["wall_s"] for r in rs), "stages": {}}
    for st in stages:
        m["stages"][st] = {k: statistics.median(r["stages"][st][k] for r in rs)
                           for k in ("p50_ms", "p99_ms", "max_ms")}
    return m

def loop_turn(srv, r):
    try:
        t = open("%s/storm%s-%s-%d.metrics" % (out, suf, srv, r)).read()
    except OSError:
        return None
    q = dict(re.findall(r'^pxehub_loop_turn_seconds\{loop="main",quantile="([0-9.]+)"\} (\S+)', t, re.M))
    mx = re.search(r'^pxehub_loop_turn_max_seconds\{loop="main"\} (\S+)', t, re.M)
    if not q or not mx:
        return None
    return float(q["0.5"]) * 1e3, float(q["0.99"]) * 1e3, float(mx.group(1)) * 1e3

every = {v: [] for v in servers}
turns = {v: [] for v in servers}
for r in range(1, runs + 1):
    res = {v: load(v, r) for v in servers}
    for v in servers:
        every[v].append(res[v])
    table("run %d" % r, res)
    for v in servers:
        lt = loop_turn(v, r)
        if lt:
            turns[v].append(lt)
            print("storm: %s loop turn, run %d: p50 %.2f ms, p99 %.1f ms, max %.1f ms" % ((label[v], r) + lt))
if runs > 1:
    table("median of %d runs (failed: sum of the runs)" % runs, {v: median(every[v]) for v in servers})
    for v in servers:
        if turns[v]:
            print("storm: %s loop turn, median of the runs: p50 %.2f ms, p99 %.1f ms, max %.1f ms" %
                  ((label[v],) + tuple(statistics.median(t[i] for t in turns[v]) for i in range(3))))
EOF
