#!/bin/sh
# pxehubd core behaviour: -t reports problems as FILE:LINE, privileges are
# dropped after binding, SIGHUP keeps the old config when the new one is
# bad, SIGTERM stops cleanly, startup failures say why.
. "$(dirname "$0")/../lib.sh"
pxh_init
NS=$(pxh_netns core)

# ---- -t on good and bad configs ------------------------------------------
pxh_conf "$T/good.conf"
out=$("$PXHD" -t -c "$T/good.conf" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q "configuration OK"; then ok "-t accepts a good config"
else not_ok "-t accepts a good config" "rc=$rc: $out"; fi

cat >"$T/bad.conf" <<EOC
[server]
user = nobody
colour = blue
[boot]
default_action = reboot
decision_timeout = forever
[plugins]
conf_dir = $T/plugins.d
dir = $PXH_PLUGINS
EOC
out=$("$PXHD" -t -c "$T/bad.conf" 2>&1); rc=$?
[ $rc = 1 ] && ok "-t exits 1 on a bad config" || not_ok "-t exits 1 on a bad config" "rc=$rc"
echo "$out" | grep -qx "$T/bad.conf:3: unknown key 'colour' in \[server\]" \
	&& ok "-t names FILE:LINE of an unknown key" || not_ok "-t names FILE:LINE of an unknown key" "$out"
echo "$out" | grep -qx "$T/bad.conf:5: \[boot\] default_action: 'reboot' is not one of menu|local|ignore" \
	&& ok "-t names FILE:LINE of a bad value" || not_ok "-t names FILE:LINE of a bad value" "$out"
[ "$(echo "$out" | wc -l)" = 3 ] && ok "-t prints one line per problem" || not_ok "-t prints one line per problem" "$out"

# An enabled plugin's keys are checked too (tp_fixed from tests/plugins).
TP=$PXH_TOP/$B/tests/plugins
pxh_conf "$T/plug.conf"
sed -i "s|^dir = .*|dir = $TP|" "$T/plug.conf"
printf '[tp_fixed]\nenabled = yes\nverdict = perhaps\n' >"$T/plugins.d/tp_fixed.conf"
out=$("$PXHD" -t -c "$T/plug.conf" 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "$T/plugins.d/tp_fixed.conf:3: \[tp_fixed\] verdict: 'perhaps' is not one of"; then
	ok "-t checks enabled plugins' keys"
else not_ok "-t checks enabled plugins' keys" "rc=$rc: $out"; fi
printf '[tp_fixed]\nenabled = yes\n' >"$T/plugins.d/tp_fixed.conf"
printf '[nosuch]\nenabled = yes\n' >"$T/plugins.d/nosuch.conf"
out=$("$PXHD" -t -c "$T/plug.conf" 2>&1)
echo "$out" | grep -q "plugin nosuch is enabled but $TP/nosuch.so does not exist" \
	&& ok "-t reports a missing plugin file" || not_ok "-t reports a missing plugin file" "$out"
rm -f "$T/plugins.d/"*.conf

# [server] user = root: -t rejects it with FILE:LINE and what to write instead
# (the daemon would refuse to start: it could regain root after the drop).
pxh_conf "$T/root.conf"
sed -i 's/^user = nobody/user = root/' "$T/root.conf"
out=$("$PXHD" -t -c "$T/root.conf" 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "^$T/root.conf:2: \[server\] user: 'root' is uid 0" &&
   echo "$out" | grep -q "user = pxehub" && echo "$out" | grep -q "(user =) to stay as started"; then
	ok "-t rejects user = root with FILE:LINE and the fix"
else not_ok "-t rejects user = root with FILE:LINE and the fix" "rc=$rc: $out"; fi
sed -i 's/^user = root/user =/' "$T/root.conf"
"$PXHD" -t -c "$T/root.conf" >/dev/null 2>&1 && ok "-t accepts user = (stay as started)" ||
	not_ok "-t accepts user = (stay as started)"

# ---- startup failures are one clear line ------------------------------------
pxh_conf "$T/nouser.conf"
sed -i 's/^user = nobody/user = no_such_user_pxh/' "$T/nouser.conf"
out=$(ip netns exec "$NS" "$PXHD" -f -c "$T/nouser.conf" 2>&1); rc=$?
if [ $rc != 0 ] && echo "$out" | grep -q "user 'no_such_user_pxh' does not exist"; then ok "unknown user: clear error, non-zero exit"
else not_ok "unknown user: clear error, non-zero exit" "rc=$rc: $out"; fi
out=$("$PXHD" -f -c "$T/bad.conf" 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "not starting" && ok "bad config: refuses to start" || not_ok "bad config: refuses to start" "rc=$rc"

"$PXHD" --version | grep -q "^pxehubd [0-9]" && ok "--version" || not_ok "--version"

# ---- -f: stderr whatever [log] target says ------------------------------------
pxh_conf "$T/fg.conf"
sed -i 's/^level = debug/level = info\ntarget = syslog/' "$T/fg.conf"
printf '[dhcp]\nenabled = no\n[tftp]\nport = 0\n[http]\nport = 0\n' >>"$T/fg.conf"
if PXH_LOG=$T/fg.log pxh_daemon "$T/fg.conf" "$NS"; then
	grep -q "server: -f: logging to stderr" "$T/fg.log" && grep -q "server: ready" "$T/fg.log" &&
		ok "-f logs to stderr over target = syslog" || not_ok "-f logs to stderr over target = syslog"
	kill $PXH_PID; wait $PXH_PID 2>/dev/null
else not_ok "-f daemon starts" "$(tail -3 "$T/fg.log")"; fi

# ---- privileges -------------------------------------------------------------------
pxh_conf "$T/run.conf"
if pxh_daemon "$T/run.conf" "$NS"; then
	st=/proc/$PXH_PID/status
	uids=$(awk '/^Uid:/{print $2,$3,$4,$5}' $st)
	[ "$uids" = "65534 65534 65534 65534" ] && ok "runs as nobody after binding" || not_ok "runs as nobody after binding" "Uid: $uids"
	caps=$(awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/{printf "%s=%s ", $1, $2}' $st)
	if awk '/^Cap(Prm|Eff|Amb):/{ if ($2 != "0000000000000000") bad=1 } END { exit bad }' $st; then
		ok "no capabilities left"
	else not_ok "no capabilities left" "$caps"; fi
	grep -q '^NoNewPrivs:[[:space:]]*1' $st && ok "no_new_privs set for plugins and scripts" || not_ok "no_new_privs set"
	grep -q "server: running as user=nobody" "$T/pxehubd.log" && ok "logs the user it runs as" || not_ok "logs the user it runs as"
	# keys were read as root: the process stays non-dumpable, so another
	# process of the service user can neither read its memory nor attach
	# (reading environ needs ptrace-read access; 16 = PTRACE_ATTACH)
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups \
	        cat /proc/$PXH_PID/environ >/dev/null 2>&1 &&
	   ! setpriv --reuid=65534 --regid=65534 --clear-groups \
	        /usr/bin/python3 -c 'import ctypes,sys; l=ctypes.CDLL(None, use_errno=True); sys.exit(0 if l.ptrace(16, int(sys.argv[1]), 0, 0) == 0 else 1)' $PXH_PID 2>/dev/null; then
		ok "non-dumpable after the drop: the service user cannot ptrace or read it"
	else not_ok "non-dumpable after the drop" "nobody read /proc/PID/environ or attached"; fi

	# ---- reload -----------------------------------------------------------------
	cp "$T/run.conf" "$T/run.conf.good"
	printf '[boot]\ndefault_action = sometimes\n' >>"$T/run.conf"
	kill -HUP $PXH_PID
	wait_for grep -q "reload refused" "$T/pxehubd.log"
	if grep -q "run.conf:[0-9]*: \[boot\] default_action: 'sometimes'" "$T/pxehubd.log" && kill -0 $PXH_PID; then
		ok "SIGHUP with a bad config: refused with FILE:LINE, old config keeps running"
	else not_ok "SIGHUP with a bad config" "$(tail -3 $T/pxehubd.log)"; fi
	cp "$T/run.conf.good" "$T/run.conf"
	sed -i 's/^\[server\]/[server]\nlisten = 127.0.0.1/' "$T/run.conf"
	kill -HUP $PXH_PID
	wait_for grep -q "server: reloaded" "$T/pxehubd.log" && ok "SIGHUP with a good config reloads" || not_ok "SIGHUP with a good config reloads"
	grep -q "\[server\] listen changed: takes effect after a restart" "$T/pxehubd.log" \
		&& ok "reload says which changes need a restart" || not_ok "reload says which changes need a restart"
	# [log] level applies on reload; a size fixed at start says it waits
	ip netns exec "$NS" curl -s -o /dev/null http://127.0.0.1/reload-probe-1
	wait_for grep -q "GET /reload-probe-1 -> 404" "$T/pxehubd.log" || not_ok "debug lines before the reload"
	sed -i 's/^level = debug/level = notice/; s/^\[plugins\]$/[plugins]\nworkers = 3/' "$T/run.conf"
	n=$(grep -c "server: reloaded" "$T/pxehubd.log")
	kill -HUP $PXH_PID
	wait_for sh -c "[ \$(grep -c 'server: reloaded' '$T/pxehubd.log') -gt $n ]"
	code=$(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/reload-probe-2)
	# a notice line after it: the log is written in order, so a debug line
	# for the probe would be there by then
	n=$(grep -c "server: reloaded" "$T/pxehubd.log")
	kill -HUP $PXH_PID
	wait_for sh -c "[ \$(grep -c 'server: reloaded' '$T/pxehubd.log') -gt $n ]"
	if [ "$code" = 404 ] && [ "$(grep -c 'server: reloaded' "$T/pxehubd.log")" -gt "$n" ] &&
	   ! grep -q "reload-probe-2" "$T/pxehubd.log"; then ok "reload applies [log] level"
	else not_ok "reload applies [log] level" "curl $code; $(grep -c reload-probe-2 "$T/pxehubd.log") debug lines"; fi
	grep -q "\[plugins\] workers changed: takes effect after a restart" "$T/pxehubd.log" &&
		ok "reload says [plugins] workers needs a restart" ||
		not_ok "reload says [plugins] workers needs a restart" "$(tail -3 "$T/pxehubd.log")"

	# ---- stop --------------------------------------------------------------------
	kill -TERM $PXH_PID
	i=0; while kill -0 $PXH_PID 2>/dev/null && [ $i -lt 70 ]; do sleep 0.1; i=$((i+1)); done
	if ! kill -0 $PXH_PID 2>/dev/null && grep -q "server: stopped" "$T/pxehubd.log"; then ok "SIGTERM stops within the grace period"
	else not_ok "SIGTERM stops within the grace period"; fi
	wait $PXH_PID; rc=$?
	[ $rc = 0 ] && ok "exit status 0 after SIGTERM" || not_ok "exit status 0 after SIGTERM" "rc=$rc"
else
	not_ok "daemon starts" "$(tail -5 $T/pxehubd.log)"
fi
