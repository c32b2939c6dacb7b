#!/bin/sh
# [server] workers = 2: two worker loops, each with its own SO_REUSEPORT
# listener, serve many parallel HTTP and HTTPS downloads while /boot.ipxe
# decisions (a plugin that answers late, on the main loop), a plugin's HTTP
# route and the API cross to the main loop and back.  Both workers take
# requests (per-worker counters), every answer is right, and counters,
# events and the client history are exact (N requests: N events, N steps).
# A reload reaches the workers' settings; a stop ends the threads.
# workers = 1 keeps one listener and no worker thread.
. "$(dirname "$0")/../lib.sh"
pxh_init
for t in curl ss python3; do
	command -v $t >/dev/null || { echo "skip test_http_workers # $t missing"; exit 77; }
done
TP=$PXH_TOP/$B/tests/plugins
[ -f "$TP/tp_slow_answer.so" ] || { echo "skip test_http_workers # make test-build first"; exit 77; }
NS=$(pxh_netns wrk) || exit 1
IN="ip netns exec $NS"
U=http://127.0.0.1:8080
S=https://127.0.0.1:8443

pxh_conf "$T/c.conf"
sed -i "s|^\[server\]$|[server]\nlisten = 127.0.0.1\nworkers = 2|; s|^dir = .*|dir = $TP|" "$T/c.conf"
cat >>"$T/c.conf" <<EOF
[dhcp]
enabled = no
[tftp]
port = 0
[http]
port = 8080
https_port = 8443
EOF
printf '[tp_slow_answer]\nenabled = yes\ndelay = 150ms\n' >"$T/plugins.d/tp_slow_answer.conf"
printf '[tp_fixed]\nenabled = yes\nverdict = next\nmac_prefix = 02:00\n' >"$T/plugins.d/tp_fixed.conf"
cp "$T/c.conf" "$T/c0.conf"
head -c 4194304 /dev/urandom >"$T/http/4m.bin"
head -c 1048576 /dev/urandom >"$T/http/1m.bin"

"$PXHD" -t -c "$T/c.conf" >"$T/t.out" 2>&1 && ok conf_check || not_ok conf_check "$(cat "$T/t.out")"
# out of range: -t names the file and line
sed 's/^workers = 2$/workers = 17/' "$T/c.conf" >"$T/bad.conf"
line=$(grep -n '^workers = 17$' "$T/bad.conf" | cut -d: -f1)
if "$PXHD" -t -c "$T/bad.conf" >"$T/t.out" 2>&1; then
	not_ok conf_check_range "workers = 17 accepted"
else
	grep -q "bad.conf:$line: .*workers" "$T/t.out" && ok conf_check_range ||
		not_ok conf_check_range "$(head -3 "$T/t.out")"
fi
pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon_start "see log"; exit 1; }
ok daemon_start

# ---- two worker threads, two listeners on each port ----------------------------
names=$(cat /proc/$PXH_PID/task/*/comm | sort | tr '\n' ' ')
case "$names" in *pxh-http-1*pxh-http-2*) ok worker_threads ;; *) not_ok worker_threads "threads: $names" ;; esac
n80=$($IN ss -Hltn 'sport = :8080' | wc -l)
n443=$($IN ss -Hltn 'sport = :8443' | wc -l)
[ "$n80" = 2 ] && [ "$n443" = 2 ] && ok reuseport_listeners || not_ok reuseport_listeners "8080: $n80, 8443: $n443"
grep -q 'http: 2 worker loops' "$T/pxehubd.log" && ok worker_log || not_ok worker_log "$(grep 'http:' "$T/pxehubd.log" | head -3)"
# kernel TLS: probed once (as root); the log says whether the kernel has
# the tls module, and available means the kernel now shows its TLS stats
if grep -q 'http: kernel TLS is available' "$T/pxehubd.log"; then
	[ -e /proc/net/tls_stat ] && ok ktls_probe || not_ok ktls_probe "available, but no /proc/net/tls_stat"
else
	grep -q 'http: no kernel TLS (setsockopt TCP_ULP "tls": ' "$T/pxehubd.log" && ok ktls_probe ||
		not_ok ktls_probe "no kTLS line in the log"
fi

# ---- many parallel downloads and decisions --------------------------------------
# 24 plain 4 MiB, 24 HTTPS 1 MiB, 32 /boot.ipxe (each its own MAC; the plugin
# answers after 150 ms on the main loop), 8 plugin route requests
mkdir -p "$T/out"
pids=""
i=0
while [ $i -lt 24 ]; do
	$IN curl -m 60 -s -o "$T/out/h$i" "$U/files/4m.bin" &
	pids="$pids $!"
	$IN curl -m 60 -sk -o "$T/out/s$i" "$S/files/1m.bin" &
	pids="$pids $!"
	i=$((i + 1))
done
i=0
while [ $i -lt 32 ]; do
	mac=52:54:00:aa:00:$(printf %02x $i)
	$IN curl -m 60 -s -o "$T/out/b$i" "$U/boot.ipxe?mac=$mac&arch=x86_64&platform=efi" &
	pids="$pids $!"
	i=$((i + 1))
done
i=0
while [ $i -lt 8 ]; do
	$IN curl -m 60 -s -o "$T/out/p$i" "$U/plugins/tp_fixed/hello?n=$i" &
	pids="$pids $!"
	i=$((i + 1))
done
# the curls only (a bare wait would wait for pxehubd too)
for p in $pids; do wait "$p"; done
bad=""
i=0
while [ $i -lt 24 ]; do
	cmp -s "$T/out/h$i" "$T/http/4m.bin" || bad="$bad h$i"
	cmp -s "$T/out/s$i" "$T/http/1m.bin" || bad="$bad s$i"
	i=$((i + 1))
done
[ -z "$bad" ] && ok downloads_exact || not_ok downloads_exact "differ:$bad"
bad=""
i=0
while [ $i -lt 32 ]; do
	grep -q 'echo slow-answer' "$T/out/b$i" || bad="$bad b$i"
	i=$((i + 1))
done
[ -z "$bad" ] && ok decisions_answered || not_ok decisions_answered "wrong:$bad $(head -c 200 "$T/out/b${bad##* b}" 2>/dev/null)"
bad=""
i=0
while [ $i -lt 8 ]; do
	grep -q "path=/hello query=n=$i" "$T/out/p$i" || bad="$bad p$i"
	i=$((i + 1))
done
[ -z "$bad" ] && ok plugin_route || not_ok plugin_route "wrong:$bad $(cat "$T/out/p0")"

# counters: both workers read requests; their sum is every request; the
# events arrive on the main loop (a worker's download_end crosses there), so
# give them a moment, bounded
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/m.txt"; }
i=0
while [ $i -lt 50 ]; do
	$IN curl -m 60 -s "$U/metrics" >"$T/m.txt"
	[ "$(metric 'pxehub_events_total{kind="download_end"}')" = 48 ] && break
	sleep 0.1; i=$((i + 1))
done
w1=$(metric 'pxehub_http_worker_requests_total{worker="1"}')
w2=$(metric 'pxehub_http_worker_requests_total{worker="2"}')
all=$(awk '/^pxehub_http_requests_total\{/ { s += $2 } END { print s }' "$T/m.txt")
[ "${w1:-0}" -gt 0 ] && [ "${w2:-0}" -gt 0 ] && [ $((w1 + w2)) = "$all" ] &&
	ok both_workers_serve || not_ok both_workers_serve "worker 1: $w1, worker 2: $w2, requests: $all"
ds=$(metric 'pxehub_events_total{kind="download_start"}')
de=$(metric 'pxehub_events_total{kind="download_end"}')
ss_=$(metric 'pxehub_events_total{kind="script_served"}')
dl=$(metric 'pxehub_http_downloads_total')
sc=$(metric 'pxehub_http_scripts_total')
[ "$ds" = 48 ] && [ "$de" = 48 ] && [ "$dl" = 48 ] && [ "$ss_" = 32 ] && [ "$sc" = 32 ] &&
	ok counters_exact || not_ok counters_exact "download_start $ds, download_end $de, downloads $dl, script_served $ss_, scripts $sc"
sent=$(metric 'pxehub_http_sent_bytes_total')
[ "${sent:-0}" -gt $((24 * 4194304 + 24 * 1048576)) ] && ok bytes_counted || not_ok bytes_counted "sent $sent"
# the history: each of the 32 machines has exactly one script_served step
$IN curl -m 60 -s "$U/api/v1/clients" >"$T/clients.json"
python3 - "$T/clients.json" >"$T/hist.out" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["clients"] if isinstance(d, dict) else d
n = 0
for c in rows:
    if not c.get("mac", "").startswith("52:54:00:aa:00:"):
        continue
    steps = [s for s in c.get("steps", []) if s.get("event") == "script_served"]
    if len(steps) != 1:
        print("mac %s has %d script_served steps" % (c["mac"], len(steps)))
        sys.exit(1)
    n += 1
print(n)
sys.exit(0 if n == 32 else 1)
EOF
[ $? = 0 ] && ok history_exact || not_ok history_exact "$(tail -3 "$T/hist.out")"

# ---- a boot's requests on one keep-alive connection, many at once ---------------
# Like iPXE (and bench/storm.sh): GET /boot.ipxe, GET /boot.ipxe?mac=...
# (the plugin answers late, on the main loop) and then a bulk file (over
# 256 KiB: the home worker's bulk queue) on the same connection; each
# request crosses to the main loop and back.  3 rounds of 24 clients: every
# file arrives byte-exact within 30 s, on one connection per client.
rounds=0
bad=""
while [ $rounds -lt 3 ]; do
	pids=""
	i=0
	while [ $i -lt 24 ]; do
		mac=52:54:00:bb:0$rounds:$(printf %02x $i)
		$IN curl -m 30 -s -w '%{num_connects}\n' \
			-o /dev/null "$U/boot.ipxe" \
			-o "$T/out/ka$i.ipxe" "$U/boot.ipxe?mac=$mac&arch=x86_64&platform=efi" \
			-o "$T/out/ka$i" "$U/files/1m.bin" >"$T/out/ka$i.conns" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do wait "$p" || bad="$bad curl:$p"; done
	i=0
	while [ $i -lt 24 ]; do
		cmp -s "$T/out/ka$i" "$T/http/1m.bin" || bad="$bad r$rounds/$i"
		grep -q 'echo slow-answer' "$T/out/ka$i.ipxe" || bad="$bad script:r$rounds/$i"
		[ "$(tr -d '\n' <"$T/out/ka$i.conns")" = 100 ] || bad="$bad conns:r$rounds/$i=$(tr '\n' , <"$T/out/ka$i.conns")"
		rm -f "$T/out/ka$i"
		i=$((i + 1))
	done
	rounds=$((rounds + 1))
done
[ -z "$bad" ] && ok keepalive_boot_then_bulk || not_ok keepalive_boot_then_bulk "failed:$bad"

# ---- a reload reaches the workers ------------------------------------------------
# max_per_client = 2: with two connections held open, a third from the same
# address is refused by whichever worker accepts it
sed -i 's/^https_port = 8443$/https_port = 8443\nmax_per_client = 2/' "$T/c.conf"
sed -i 's/^workers = 2$/workers = 3/' "$T/c.conf"
n0=$(grep -c 'server: reloaded' "$T/pxehubd.log")
kill -HUP $PXH_PID
i=0
while [ $i -lt 50 ] && [ "$(grep -c 'server: reloaded' "$T/pxehubd.log")" = "$n0" ]; do sleep 0.1; i=$((i + 1)); done
grep -q '\[server\] workers changed: takes effect after a restart' "$T/pxehubd.log" &&
	ok reload_workers_needs_restart || not_ok reload_workers_needs_restart "$(grep -i 'reload\|restart' "$T/pxehubd.log" | tail -3)"
$IN python3 - >"$T/reload.out" 2>&1 <<'EOF'
import socket, subprocess, time
held = []
for _ in range(2):
    s = socket.create_connection(("127.0.0.1", 8080), timeout=5)
    held.append(s)
time.sleep(0.3)  # both accepted (whichever worker)
codes = []
for _ in range(4):
    r = subprocess.run(["curl", "-m", "20", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        "http://127.0.0.1:8080/files/1m.bin"], capture_output=True, text=True)
    codes.append(r.stdout)
for s in held:
    s.close()
time.sleep(0.3)
r = subprocess.run(["curl", "-m", "20", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                    "http://127.0.0.1:8080/files/1m.bin"], capture_output=True, text=True)
print(" ".join(codes), r.stdout)
EOF
[ "$(cat "$T/reload.out")" = "503 503 503 503 200" ] && ok reload_settings_on_workers ||
	not_ok reload_settings_on_workers "codes: $(cat "$T/reload.out")"

# ---- stop: the threads end, the process exits cleanly ---------------------------
kill -TERM $PXH_PID
i=0
while kill -0 $PXH_PID 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
wait $PXH_PID 2>/dev/null
rc=$?
! kill -0 $PXH_PID 2>/dev/null && [ $rc = 0 ] && grep -q 'server: stopped' "$T/pxehubd.log" &&
	ok stop_clean || not_ok stop_clean "rc=$rc $(tail -3 "$T/pxehubd.log")"
grep -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error' "$T/pxehubd.log" >"$T/san.out" &&
	not_ok sanitizer_clean "$(head -3 "$T/san.out")" || ok sanitizer_clean

# ---- workers = 1: today's single loop -------------------------------------------
sed -i 's/^workers = 2$/workers = 1/' "$T/c0.conf"
PXH_LOG=$T/one.log pxh_daemon "$T/c0.conf" "$NS" || { not_ok one_start "see log"; exit 1; }
names=$(cat /proc/$PXH_PID/task/*/comm | sort | tr '\n' ' ')
n80=$($IN ss -Hltn 'sport = :8080' | wc -l)
code=$($IN curl -m 60 -s -o "$T/out/one" -w '%{http_code}' "$U/files/4m.bin")
scode=$($IN curl -m 60 -sk -o "$T/out/ones" -w '%{http_code}' "$S/files/1m.bin")
case "$names" in *pxh-http*) w=yes ;; *) w=no ;; esac
[ "$w" = no ] && [ "$n80" = 1 ] && [ "$code" = 200 ] && cmp -s "$T/out/one" "$T/http/4m.bin" &&
	[ "$scode" = 200 ] && cmp -s "$T/out/ones" "$T/http/1m.bin" &&
	ok workers_one_single_loop || not_ok workers_one_single_loop "threads: $names listeners: $n80 code $code https $scode"
kill -TERM $PXH_PID
wait $PXH_PID 2>/dev/null
exit $_pxh_failed
