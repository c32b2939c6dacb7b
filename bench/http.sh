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
#   sh bench/http.sh            (root; B=build dir; SECS=8 per run)
# Prints "http: ..." lines and a final "http ratio" line.
set -u
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PXHD=$TOP/$B/sbin/pxehubd
SECS=${SECS:-8}
for t in wrk nginx curl; do
	command -v $t >/dev/null 2>&1 || { echo "http: skipped ($t missing)"; exit 0; }
done
[ -x "$PXHD" ] || { echo "http: skipped (build pxehubd first)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "http: skipped (needs root)"; exit 0; }

T=$(mktemp -d /tmp/pxh-bench-http.XXXXXX)
chmod 755 "$T"
NS=pxhb$$h
PX_PID="" NG_PID=""
cleanup() {
	[ -n "$PX_PID" ] && kill "$PX_PID" 2>/dev/null
	[ -n "$NG_PID" ] && kill "$NG_PID" 2>/dev/null
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

mkdir -p "$T/www/files" "$T/state" "$T/tftp" "$T/plugins.d" "$T/ng"
chown nobody "$T/state"
head -c 268435456 /dev/urandom >"$T/www/files/big.bin"
FACTS="mac=52:54:00:12:34:56&uuid=01234567-89AB-CDEF-0123-456789ABCDEF&arch=x86_64&platform=efi&manufacturer=QEMU&product=Standard%20PC&serial=S1&asset="

cat >"$T/pxh.conf" <<EOF
[server]
user = nobody
listen = 127.0.0.1
fqdn = bench.test
state_dir = $T/state
[log]
level = notice
[plugins]
conf_dir = $T/plugins.d
[dhcp]
enabled = no
[tftp]
port = 0
[http]
port = 8081
https_port = 8443
root = $T/www/files
max_connections = 4096
[access]
allow = all
EOF
$IN "$PXHD" -f -c "$T/pxh.conf" >"$T/pxh.log" 2>&1 &
PX_PID=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'server: ready' "$T/pxh.log"; do sleep 0.1; i=$((i + 1)); done
grep -q 'server: ready' "$T/pxh.log" || { echo "http: pxehubd did not start"; tail -3 "$T/pxh.log"; exit 1; }
# nginx gets the same certificate and a static file as big as the script
$IN curl -s -o "$T/www/files/boot.ipxe" "http://127.0.0.1:8081/boot.ipxe?$FACTS"
SCRIPT_BYTES=$(stat -c %s "$T/www/files/boot.ipxe")
cat >"$T/ng/nginx.conf" <<EOF
worker_processes 1;
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
# run NAME CONNS URL: prints "bytes/s req/s errors p99ms"
run() {
	$IN wrk -t1 -c"$2" -d"${SECS}s" --timeout 30s -s "$T/report.lua" "$3" 2>&1 |
		sed -n 's/^RESULT //p'
}
row() { # label pxh-result nginx-result metric(1=bytes 2=req)
	p=$(echo "$2" | cut -d' ' -f"$4"); n=$(echo "$3" | cut -d' ' -f"$4")
	pe=$(echo "$2" | cut -d' ' -f3); ne=$(echo "$3" | cut -d' ' -f3)
	pl=$(echo "$2" | cut -d' ' -f4); nl=$(echo "$3" | cut -d' ' -f4)
	r=$(awk -v a="${p:-0}" -v b="${n:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
	if [ "$4" = 1 ]; then
		printf 'http: %-34s pxehub %8.1f MB/s  nginx %8.1f MB/s  ratio %s  (errors %s/%s)\n' "$1" \
			"$(awk -v a="${p:-0}" 'BEGIN{print a/1e6}')" "$(awk -v a="${n:-0}" 'BEGIN{print a/1e6}')" "$r" "$pe" "$ne"
	else
		printf 'http: %-34s pxehub %8.0f req/s  nginx %8.0f req/s  ratio %s  (errors %s/%s, p99 %s/%s ms)\n' "$1" \
			"${p:-0}" "${n:-0}" "$r" "$pe" "$ne" "$pl" "$nl"
	fi
	RATIOS="$RATIOS $1=$r"
}
RATIOS=""
BIG=files/big.bin
row "256MiB http 1 conn" "$(run a 1 http://127.0.0.1:8081/$BIG)" "$(run b 1 http://127.0.0.1:9081/$BIG)" 1
row "256MiB http 16 conns" "$(run a 16 http://127.0.0.1:8081/$BIG)" "$(run b 16 http://127.0.0.1:9081/$BIG)" 1
row "256MiB https 1 conn" "$(run a 1 https://127.0.0.1:8443/$BIG)" "$(run b 1 https://127.0.0.1:9443/$BIG)" 1
row "256MiB https 16 conns" "$(run a 16 https://127.0.0.1:8443/$BIG)" "$(run b 16 https://127.0.0.1:9443/$BIG)" 1
row "boot.ipxe ${SCRIPT_BYTES}B 1000 keep-alive" "$(run a 1000 "http://127.0.0.1:8081/boot.ipxe?$FACTS")" \
	"$(run b 1000 http://127.0.0.1:9081/files/boot.ipxe)" 2
echo "http ratio (pxehub/nginx):$RATIOS"
