#!/bin/sh
# Benchmark: pxehubd's HTTP(S) server side by side with nginx (sendfile on,
# one worker: pxehubd serves from one thread), both in one private network
# namespace on loopback, driven by wrk with one thread.
#
#   256 MiB file, 1 and 16 connections, plain HTTP and HTTPS (same RSA cert,
#   TLS 1.3, GnuTLS in pxehubd vs OpenSSL in nginx);
#   1000 keep-alive clients: pxehubd's /boot.ipxe (the built-in menu for a
#   client with facts) vs nginx serving a static file of the same size;
#   errors and p99 latency reported.
#
# Every case runs RUNS times, the servers interleaved (the order turns each
# run) so a neighbour's load on this shared machine falls on all of them;
# the table gives medians, the spread (min-max) and each run's ratio, and
# the CPU time each server spent per GB or per request (from schedstat: a
# busy neighbour lowers throughput but hardly this).
#
#   sh bench/http.sh            (root; B=build dir)
#   SECS=8 RUNS=3               seconds per wrk run, runs per case
#   CASES="h1 h16 s1 s16 boot"  which cases
#   BASE=/path/to/pxehubd       also run another build (e.g. the previous
#                               commit's) on ports 8082/8444: "before/after"
#   WORKERS=N                   pxehubd's [server] workers (default: the
#                               old single loop, 1) and nginx's
#                               worker_processes; WRK_THREADS=N wrk threads
#                               (default 1): per-core scaling is the CPU
#                               time per GB staying flat while MB/s grows;
#                               BASE_WORKERS=N the same for BASE (BASE may be
#                               this very build: workers 1 vs 2 interleaved)
#   PERF=CASE                   perf record -g pxehubd during CASE's first
#                               run; the data is kept in PERF_OUT
#                               (default /tmp/pxh-http-CASE.perf)
# Prints "http: ..." lines and a final "http ratio" line (median ratios).
set -u
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PXHD=${PXHD:-$TOP/$B/sbin/pxehubd}
SECS=${SECS:-8}
RUNS=${RUNS:-3}
CASES=${CASES:-h1 h16 s1 s16 boot}
BASE=${BASE:-}
PERF=${PERF:-}
WORKERS=${WORKERS:-1}
WRK_THREADS=${WRK_THREADS:-1}
BASE_WORKERS=${BASE_WORKERS:-}
for t in wrk nginx curl; do
	command -v $t >/dev/null 2>&1 || { echo "http: skipped ($t missing)"; exit 0; }
done
[ -x "$PXHD" ] || { echo "http: skipped (build pxehubd first)"; exit 0; }
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "http: BASE $BASE is not a program"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "http: skipped (needs root)"; exit 0; }

T=$(mktemp -d /tmp/pxh-bench-http.XXXXXX)
chmod 755 "$T"
NS=pxhb$$h
PX_PID="" BA_PID="" NG_PID=""
cleanup() {
	for p in $PX_PID $BA_PID $NG_PID; do kill "$p" 2>/dev/null; done
	sleep 0.3
	ip netns del $NS 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add $NS
ip -n $NS link set lo up
IN="ip netns exec $NS"
ulimit -n 20000 2>/dev/null

mkdir -p "$T/www/files" "$T/state" "$T/state2" "$T/plugins.d" "$T/ng" "$T/res"
chown nobody "$T/state" "$T/state2"
head -c 268435456 /dev/urandom >"$T/www/files/big.bin"
FACTS="mac=52:54:00:12:34:56&uuid=01234567-89AB-CDEF-0123-456789ABCDEF&arch=x86_64&platform=efi&manufacturer=QEMU&product=Standard%20PC&serial=S1&asset="

# pxh_conf NAME HTTP-PORT HTTPS-PORT STATE-DIR
pxh_conf() {
	cat >"$T/$1.conf" <<EOF
[server]
user = nobody
listen = 127.0.0.1
$([ "$1" = pxh ] && echo "workers = $WORKERS")
$([ "$1" = base ] && [ -n "$BASE_WORKERS" ] && echo "workers = $BASE_WORKERS")
fqdn = bench.test
state_dir = $4
[log]
level = notice
[plugins]
conf_dir = $T/plugins.d
[dhcp]
enabled = no
[tftp]
port = 0
[http]
port = $2
https_port = $3
root = $T/www/files
max_connections = 4096
# wrk's 1000 clients share one address: they stand for 1000 machines
max_per_client = 0
[access]
allow = all
EOF
}
pxh_wait() {
	i=0
	while [ $i -lt 100 ] && ! grep -q 'server: ready' "$T/$1.log"; do sleep 0.1; i=$((i + 1)); done
	grep -q 'server: ready' "$T/$1.log" || { echo "http: $1 did not start"; tail -3 "$T/$1.log"; exit 1; }
}
pxh_conf pxh 8081 8443 "$T/state"
$IN "$PXHD" -f -c "$T/pxh.conf" >"$T/pxh.log" 2>&1 &
PX_PID=$!
pxh_wait pxh
if [ -n "$BASE" ]; then
	# the same certificate, so both do the same TLS work
	cp -p "$T/state/"https-*.pem "$T/state2/"
	pxh_conf base 8082 8444 "$T/state2"
	$IN "$BASE" -f -c "$T/base.conf" >"$T/base.log" 2>&1 &
	BA_PID=$!
	pxh_wait base
fi
# nginx gets the same certificate and a static file as big as the script
$IN curl -s -o "$T/www/files/boot.ipxe" "http://127.0.0.1:8081/boot.ipxe?$FACTS"
SCRIPT_BYTES=$(stat -c %s "$T/www/files/boot.ipxe")
cat >"$T/ng/nginx.conf" <<EOF
worker_processes $WORKERS;
pid $T/ng/nginx.pid;
error_log $T/ng/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	default_type application/octet-stream;
	client_body_temp_path $T/ng;
	proxy_temp_path $T/ng;
	fastcgi_temp_path $T/ng;
	uwsgi_temp_path $T/ng;
	scgi_temp_path $T/ng;
	server {
		listen 127.0.0.1:9081;
		listen 127.0.0.1:9443 ssl;
		ssl_certificate $T/state/https-cert.pem;
		ssl_certificate_key $T/state/https-key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $T/www;
	}
}
EOF
$IN nginx -c "$T/ng/nginx.conf" -g 'daemon off;' >"$T/ng/out.log" 2>&1 &
NG_PID=$!
sleep 1
$IN curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9081/files/boot.ipxe | grep -q 200 ||
	{ echo "http: nginx did not start"; cat "$T/ng/error.log"; exit 1; }

cat >"$T/report.lua" <<'EOF'
done = function(summary, latency, requests)
	local errs = summary.errors.connect + summary.errors.read + summary.errors.write
	             + summary.errors.status + summary.errors.timeout
	io.write(string.format("RESULT %.0f %.0f %d %.3f\n",
		summary.bytes / (summary.duration / 1e6),
		summary.requests / (summary.duration / 1e6),
		errs, latency:percentile(99) / 1000))
end
EOF
case_label() {
	case $1 in
	h1) echo "256MiB http 1 conn" ;;
	h16) echo "256MiB http 16 conns" ;;
	s1) echo "256MiB https 1 conn" ;;
	s16) echo "256MiB https 16 conns" ;;
	boot) echo "boot.ipxe ${SCRIPT_BYTES}B 1000 keep-alive" ;;
	esac
}
# case_args CASE SERVER(pxh|base|nginx): "CONNS URL"
case_args() {
	case $2 in pxh) hp=8081 sp=8443 ;; base) hp=8082 sp=8444 ;; *) hp=9081 sp=9443 ;; esac
	case $1 in
	h1) echo "1 http://127.0.0.1:$hp/files/big.bin" ;;
	h16) echo "16 http://127.0.0.1:$hp/files/big.bin" ;;
	s1) echo "1 https://127.0.0.1:$sp/files/big.bin" ;;
	s16) echo "16 https://127.0.0.1:$sp/files/big.bin" ;;
	boot)
		if [ "$2" = nginx ]; then echo "1000 http://127.0.0.1:$hp/files/boot.ipxe"
		else echo "1000 http://127.0.0.1:$hp/boot.ipxe?$FACTS"; fi ;;
	esac
}
# cpu_ns PID...: nanoseconds on CPU of these processes and their children's
# threads (nginx: master and worker), from schedstat
cpu_ns() {
	for p in "$@"; do
		echo "$p"
		cat /proc/"$p"/task/*/children 2>/dev/null
	done | sort -u | while read -r q; do
		cat /proc/"$q"/task/*/schedstat 2>/dev/null
	done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
# one CASE SERVER RUN: appends "bytes/s req/s errors p99ms cpu-seconds" to
# res/CASE.SERVER
one() {
	set -- "$1" "$2" "$3" $(case_args "$1" "$2")
	case $2 in pxh) pid=$PX_PID ;; base) pid=$BA_PID ;; *) pid=$NG_PID ;; esac
	pp=""
	if [ "$PERF" = "$1" ] && [ "$3" = 1 ] && [ "$2" != nginx ]; then
		perf record -q -g -p "$pid" -o "${PERF_OUT:-/tmp/pxh-http-$1-$2.perf}" \
			-- sleep "$SECS" >/dev/null 2>&1 &
		pp=$!
	fi
	c0=$(cpu_ns "$pid")
	# wrk wants at least one connection per thread
	th=$WRK_THREADS
	[ "$th" -gt "$4" ] && th=$4
	r=$($IN wrk -t"$th" -c"$4" -d"${SECS}s" --timeout 30s -s "$T/report.lua" "$5" 2>&1 |
		sed -n 's/^RESULT //p')
	c1=$(cpu_ns "$pid")
	[ -n "$pp" ] && wait "$pp"
	echo "${r:-0 0 -1 0} $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" \
		>>"$T/res/$1.$2"
}
SERVERS="pxh nginx"
[ -n "$BASE" ] && SERVERS="pxh base nginx"
run=1
while [ $run -le "$RUNS" ]; do
	for c in $CASES; do
		# the order turns each run: nobody always goes first
		order=$SERVERS
		k=1
		while [ $k -lt $run ]; do
			order="$(echo $order | cut -d' ' -f2-) $(echo $order | cut -d' ' -f1)"
			k=$((k + 1))
		done
		for sv in $order; do one "$c" "$sv" "$run"; done
	done
	run=$((run + 1))
done

# stats FILE COLUMN: "median min max" of that column
stats() {
	cut -d' ' -f"$2" "$1" | sort -g | awk '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%s %s %s\n", m, v[1], v[NR] }'
}
# ratios A B COLUMN: each run's ratio of COLUMN, A over B
ratios() {
	paste -d' ' "$1" "$2" | awk -v c="$3" '{ if ($(c + 5) > 0) printf "%.2f ", $c / $(c + 5); else printf "n/a " }'
}
RATIOS=""
for c in $CASES; do
	col=1
	[ "$c" = boot ] && col=2
	line="http: $(printf '%-32s' "$(case_label "$c")")"
	for sv in $SERVERS; do
		set -- $(stats "$T/res/$c.$sv" $col) $(stats "$T/res/$c.$sv" 4)
		errs=$(awk '$3 < 0 { f++ } $3 > 0 { s += $3 } END { printf "%d%s", s, f ? ", failed runs " f : "" }' "$T/res/$c.$sv")
		# CPU the server spent per GB or per request: what the neighbours
		# on this machine cannot take away
		cpu=$(awk -v col=$col -v secs="$SECS" '{ u = col == 1 ? $1 / 1e9 : $2; if (u > 0) print $5 / (u * secs) }' \
			"$T/res/$c.$sv" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
		if [ $col = 1 ]; then
			line="$line $sv $(awk -v a="$1" -v b="$2" -v d="$3" -v u="${cpu:-0}" 'BEGIN { printf "%.0f MB/s [%.0f-%.0f] cpu %.0f ms/GB", a / 1e6, b / 1e6, d / 1e6, u * 1e3 }')"
		else
			line="$line $sv $(awk -v a="$1" -v b="$2" -v d="$3" -v p="$4" -v u="${cpu:-0}" 'BEGIN { printf "%.0f req/s [%.0f-%.0f] p99 %.0f ms cpu %.1f us/req", a, b, d, p, u * 1e6 }')"
		fi
		[ "$errs" = 0 ] || line="$line (errors $errs)"
		line="$line;"
	done
	pm=$(stats "$T/res/$c.pxh" $col | cut -d' ' -f1)
	nm=$(stats "$T/res/$c.nginx" $col | cut -d' ' -f1)
	r=$(awk -v a="$pm" -v b="$nm" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
	line="$line ratio $r (runs $(ratios "$T/res/$c.pxh" "$T/res/$c.nginx" $col | sed 's/ $//'))"
	if [ -n "$BASE" ]; then
		bm=$(stats "$T/res/$c.base" $col | cut -d' ' -f1)
		line="$line; base ratio $(awk -v a="$bm" -v b="$nm" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
	fi
	echo "$line"
	RATIOS="$RATIOS $c=$r"
done
echo "http ratio (pxehub/nginx, medians of $RUNS runs of ${SECS}s):$RATIOS"
