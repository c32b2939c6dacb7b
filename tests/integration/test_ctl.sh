#!/bin/sh
# pxehubctl: plugin list/enable/disable edit plugins.d so that an
# independent INI reader (Python's configparser) and pxehubd -t agree;
# decide runs the real chain (plugins, [access], deadline) without sending
# a packet; status reads a running pxehubd's API.
. "$(dirname "$0")/../lib.sh"
pxh_init
TP=$PXH_TOP/$B/tests/plugins
CONF=$T/pxehub.conf
pxh_conf "$CONF"
sed -i "s|^dir = .*|dir = $TP|" "$CONF"
ctl() { "$PXHCTL" -c "$CONF" "$@"; }
# has TEXT: TEXT on stdout as it is (dash's echo would expand backslashes)
has() { printf '%s\n' "$1"; }

# ini FILE SECTION KEY: the value as configparser reads it ("" if absent)
ini() {
	/usr/bin/python3 - "$@" <<'EOP'
import configparser, sys
p = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), strict=True)
p.read(sys.argv[1])
print(p.get(sys.argv[2], sys.argv[3], fallback=""))
EOP
}

# ---- plugin list / enable / disable -------------------------------------------
out=$(ctl plugin list); rc=$?
if [ $rc = 0 ] && has "$out" | grep -Eq '^tp_fixed +no +100 +yes +-$'; then ok "list shows an installed, unconfigured plugin"
else not_ok "list shows an installed, unconfigured plugin" "rc=$rc: $out"; fi

out=$(ctl plugin enable tp_fixed); rc=$?
[ $rc = 0 ] && [ "$(ini "$T/plugins.d/tp_fixed.conf" tp_fixed enabled)" = yes ] \
	&& ok "enable creates plugins.d/NAME.conf with [NAME] enabled = yes" \
	|| not_ok "enable creates plugins.d/NAME.conf with [NAME] enabled = yes" "rc=$rc: $(cat "$T/plugins.d/tp_fixed.conf")"
ctl plugin list | grep -Eq "^tp_fixed +yes +100 +yes +$T/plugins.d/tp_fixed.conf$" \
	&& ok "list shows it enabled with its file" || not_ok "list shows it enabled with its file" "$(ctl plugin list)"

# An admin's file: comments, other keys, an inline comment, a sub-section.
cat >"$T/plugins.d/tp_fixed.conf" <<EOC
# site notes: keep this comment
[tp_fixed]
priority = 7
enabled = no ; off during the migration
verdict = local
[tp_fixed.extra]
EOC
printf '[tp_fixed]\npriority = 7\nverdict = local\nenabled = yes\n' >"$T/expect"
ctl plugin enable tp_fixed >/dev/null
f=$T/plugins.d/tp_fixed.conf
if [ "$(ini "$f" tp_fixed enabled)" = yes ] && [ "$(ini "$f" tp_fixed priority)" = 7 ] &&
   [ "$(ini "$f" tp_fixed verdict)" = local ] && grep -q '^# site notes: keep this comment$' "$f" &&
   grep -q '^enabled = yes ; off during the migration$' "$f" && grep -q '^\[tp_fixed.extra\]$' "$f"; then
	ok "enable edits only the enabled line (comments, keys, sections kept)"
else not_ok "enable edits only the enabled line (comments, keys, sections kept)" "$(cat "$f")"; fi
ctl plugin disable tp_fixed >/dev/null
[ "$(ini "$f" tp_fixed enabled)" = no ] && [ "$(grep -c enabled "$f")" = 1 ] \
	&& ok "disable sets enabled = no" || not_ok "disable sets enabled = no" "$(cat "$f")"
ctl plugin list | grep -Eq '^tp_fixed +no +7 ' && ok "list shows priority and disabled state" \
	|| not_ok "list shows priority and disabled state" "$(ctl plugin list)"

# A file with sub-sections only, and one without an enabled line.
printf '# notes\n[tp_slow_answer.x]\n' >"$T/plugins.d/tp_slow_answer.conf"
ctl plugin enable tp_slow_answer >/dev/null
g=$T/plugins.d/tp_slow_answer.conf
[ "$(ini "$g" tp_slow_answer enabled)" = yes ] && [ "$(head -1 "$g")" = "# notes" ] \
	&& ok "enable adds [NAME] to a file that lacks it" || not_ok "enable adds [NAME] to a file that lacks it" "$(cat "$g")"
printf '[tp_pending_work]\nwork_time = 10ms\n' >"$T/plugins.d/tp_pending_work.conf"
ctl plugin enable tp_pending_work >/dev/null
[ "$(ini "$T/plugins.d/tp_pending_work.conf" tp_pending_work enabled)" = yes ] &&
[ "$(ini "$T/plugins.d/tp_pending_work.conf" tp_pending_work work_time)" = 10ms ] \
	&& ok "enable adds the key to a section without one" || not_ok "enable adds the key to a section without one" "$(cat "$T/plugins.d/tp_pending_work.conf")"
ctl plugin disable tp_slow_answer >/dev/null
ctl plugin disable tp_pending_work >/dev/null
rm -f "$g" "$T/plugins.d/tp_pending_work.conf"

# pxehubd itself accepts what pxehubctl wrote (sub-section removed: tp_fixed
# takes none).
sed -i '/^\[tp_fixed.extra\]$/d' "$f"
ctl plugin enable tp_fixed >/dev/null
out=$("$PXHD" -t -c "$CONF" 2>&1) && ok "pxehubd -t accepts the edited files" || not_ok "pxehubd -t accepts the edited files" "$out"

out=$(ctl plugin enable ../etc/passwd 2>&1); rc=$?
[ $rc = 2 ] && [ ! -e "$T/etc" ] && ok "enable refuses a bad name (exit 2)" || not_ok "enable refuses a bad name (exit 2)" "rc=$rc: $out"
out=$(ctl plugin enable not_installed 2>&1); rc=$?
[ $rc = 0 ] && has "$out" | grep -q "not_installed.so does not exist" \
	&& ok "enable warns when the .so is missing" || not_ok "enable warns when the .so is missing" "rc=$rc: $out"
ctl plugin disable not_installed >/dev/null
rm -f "$T/plugins.d/not_installed.conf"
out=$("$PXHCTL" -c "$T/nonexistent.conf" plugin list 2>&1); rc=$?
[ $rc = 1 ] && has "$out" | grep -q "cannot read $T/nonexistent.conf" \
	&& ok "a missing config is one clear error" || not_ok "a missing config is one clear error" "rc=$rc: $out"

# ---- decide ---------------------------------------------------------------------
cat >"$f" <<EOC
[tp_fixed]
enabled = yes
mac_prefix = 52:54:00
loader = efi/fixed.efi
next_server = 10.9.8.7
option_252 = \\boot\\x64\\bcd
EOC
NS=$(pxh_netns ctl)
snmp() { ip netns exec "$NS" awk '/^Ip: [0-9]/ {print $11}' /proc/net/snmp; }
before=$(snmp)
out=$(ip netns exec "$NS" "$PXHCTL" -c "$CONF" decide --mac 52:54:00:12:34:56 --arch efi-x64 \
	--uuid 01234567-89ab-cdef-0123-456789abcdef 2>&1); rc=$?
after=$(snmp)
if [ $rc = 0 ] && has "$out" | grep -qx 'verdict: boot' && has "$out" | grep -qx 'plugin: tp_fixed' &&
   has "$out" | grep -qx 'loader: efi/fixed.efi' && has "$out" | grep -qx 'next-server: 10.9.8.7' &&
   has "$out" | grep -qx 'option: 252 len=13 "\\boot\\x64\\bcd"'; then
	ok "decide: a plugin's boot answer (loader, next-server, option 252)"
else not_ok "decide: a plugin's boot answer (loader, next-server, option 252)" "rc=$rc: $out"; fi
[ "$before" = "$after" ] && ok "decide sends nothing (IP OutRequests unchanged in its namespace)" \
	|| not_ok "decide sends nothing (IP OutRequests unchanged in its namespace)" "$before -> $after"
[ "$(stat -c %U "$T/state/plugins/tp_fixed")" = nobody ] \
	&& ok "decide runs plugins as [server] user, not root" || not_ok "decide runs plugins as [server] user, not root" "$(ls -ld "$T/state/plugins/tp_fixed")"

out=$(ctl decide --mac 00:11:22:33:44:55 --arch efi-x64 2>&1)
has "$out" | grep -qx 'plugin: default' && has "$out" | grep -qx 'loader: snponly.efi (default for efi-x64)' \
	&& ok "decide: default_action when plugins say next" || not_ok "decide: default_action when plugins say next" "$out"
out=$(ctl decide --mac 52:54:00:12:34:56 --arch bios --user-class iPXE 2>&1)
has "$out" | grep -qx 'boot-file: http://127.0.0.1/boot.ipxe' \
	&& ok "decide: iPXE in the DHCP phase gets the script URL" || not_ok "decide: iPXE in the DHCP phase gets the script URL" "$out"
out=$(ctl decide --mac 52:54:00:12:34:56 --arch efi-x64 --phase ipxe 2>&1)
has "$out" | grep -qx 'echo fixed' && ok "decide --phase ipxe prints the script" || not_ok "decide --phase ipxe prints the script" "$out"
out=$(ctl decide --mac 00:11:22:33:44:55 --arch efi-x64 --phase ipxe 2>&1)
has "$out" | grep -q '^menu ' && ok "decide --phase ipxe: the built-in menu by default" || not_ok "decide --phase ipxe: the built-in menu by default" "$out"

sed -i 's/^allow = all$/allow = all\ndeny = 52:54:00:12/' "$CONF"
out=$(ctl decide --mac 52:54:00:12:34:56 --arch bios 2>&1)
has "$out" | grep -qx 'verdict: ignore' && has "$out" | grep -qx 'plugin: access' \
	&& ok "decide applies [access] before plugins" || not_ok "decide applies [access] before plugins" "$out"
sed -i '/^deny = 52:54:00:12$/d' "$CONF"

# A plugin slower than the deadline: the default applies at the deadline.
printf '[boot]\ndecision_timeout = 300ms\n' >>"$CONF"
ctl plugin disable tp_fixed >/dev/null
printf '[tp_slow_answer]\nenabled = yes\ndelay = 3s\n' >"$T/plugins.d/tp_slow_answer.conf"
out=$(ctl decide --mac 52:54:00:12:34:56 --arch bios 2>&1); rc=$?
ms=$(has "$out" | sed -n 's/^time: \([0-9]*\)\..*/\1/p')
if [ $rc = 0 ] && has "$out" | grep -qx 'plugin: default' && has "$out" | grep -q 'tp_slow_answer did not answer within 300 ms' &&
   [ "${ms:-9999}" -ge 290 ] && [ "${ms:-9999}" -lt 1000 ]; then ok "decide: a slow plugin hits [boot] decision_timeout (${ms} ms)"
else not_ok "decide: a slow plugin hits [boot] decision_timeout" "rc=$rc ${ms}ms: $out"; fi
printf '[tp_slow_answer]\nenabled = yes\ndelay = 20ms\n' >"$T/plugins.d/tp_slow_answer.conf"
out=$(ctl decide --mac 52:54:00:12:34:56 --arch bios 2>&1)
has "$out" | grep -qx 'plugin: tp_slow_answer' && ok "decide waits for a deferred answer in time" || not_ok "decide waits for a deferred answer in time" "$out"

printf '[tp_slow_answer]\nenabled = yes\nbogus = 1\n' >"$T/plugins.d/tp_slow_answer.conf"
out=$(ctl decide --mac 52:54:00:12:34:56 --arch bios 2>&1); rc=$?
[ $rc = 1 ] && has "$out" | grep -q "tp_slow_answer.conf:3: unknown key 'bogus'" \
	&& ok "decide reports a plugin's bad key as FILE:LINE" || not_ok "decide reports a plugin's bad key as FILE:LINE" "rc=$rc: $out"
rm -f "$T/plugins.d/tp_slow_answer.conf"
out=$(ctl decide --mac nonsense 2>&1); rc=$?
[ $rc = 2 ] && ok "decide refuses a bad MAC (exit 2)" || not_ok "decide refuses a bad MAC (exit 2)" "rc=$rc: $out"

# ---- status ------------------------------------------------------------------------
ctl plugin enable tp_slow_events >/dev/null
if pxh_daemon "$CONF" "$NS"; then
	ip netns exec "$NS" "$PXHCTL" -c "$CONF" decide --mac 52:54:00:00:00:01 >/dev/null 2>&1
	out=$(ip netns exec "$NS" "$PXHCTL" -c "$CONF" status 2>&1); rc=$?
	if [ $rc = 0 ] && has "$out" | grep -q '^server: http://127.0.0.1:80$' && has "$out" | grep -qi 'uptime'; then
		ok "status reads the daemon's API (default URL from the config)"
	else not_ok "status reads the daemon's API (default URL from the config)" "rc=$rc: $out"; fi
	has "$out" | grep -q 'tp_slow_events' && ok "status shows the plugins" || not_ok "status shows the plugins" "$out"
	ip netns exec "$NS" "$PXHCTL" status --url http://127.0.0.1:80/ --json |
		/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if isinstance(d, dict) else 1)' \
		&& ok "status --json is the API's JSON" || not_ok "status --json is the API's JSON"
	out=$(ip netns exec "$NS" "$PXHCTL" status --url http://127.0.0.1:81 2>&1); rc=$?
	[ $rc = 1 ] && has "$out" | grep -q "cannot connect" && ok "status: a refused connection is one clear error" \
		|| not_ok "status: a refused connection is one clear error" "rc=$rc: $out"
	out=$("$PXHCTL" status --url https://127.0.0.1:8050 2>&1); rc=$?
	[ $rc = 1 ] && has "$out" | grep -q "curl" && ok "status: https points to curl" || not_ok "status: https points to curl" "rc=$rc: $out"

	# ---- reload: SIGHUP and the verdict, as an exit status ---------------------
	jq_status() { # PYTHON-EXPRESSION over the status JSON d
		ip netns exec "$NS" "$PXHCTL" status --url http://127.0.0.1:80 --json |
			/usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
	}
	[ "$(jq_status 'd["pid"]')" = "$PXH_PID" ] && ok "status names the daemon's pid" ||
		not_ok "status names the daemon's pid" "$(jq_status 'd.get("pid")') vs $PXH_PID"
	out=$(ip netns exec "$NS" "$PXHCTL" -c "$CONF" reload 2>&1); rc=$?
	if [ $rc = 0 ] && has "$out" | grep -q "pxehubd (pid $PXH_PID) reloaded" &&
	   grep -q "server: reloaded" "$T/pxehubd.log" &&
	   [ "$(jq_status 'd["config"]["reloads"], d["config"]["last_reload"]')" = "1 ok" ]; then
		ok "reload: signals the daemon and reports it reloaded"
	else not_ok "reload: signals the daemon and reports it reloaded" "rc=$rc: $out"; fi
	cp "$CONF" "$T/good.conf"
	printf '[boot]\ndefault_action = sometimes\n' >>"$CONF"
	out=$(ip netns exec "$NS" "$PXHCTL" -c "$T/good.conf" reload 2>&1); rc=$?
	if [ $rc = 1 ] && has "$out" | grep -q "refused the reload" &&
	   has "$out" | grep -q "pxehub.conf:[0-9]*: \[boot\] default_action: 'sometimes'" &&
	   [ "$(jq_status 'd["config"]["reloads_refused"], d["config"]["last_reload"]')" = "1 refused" ] &&
	   kill -0 "$PXH_PID"; then
		ok "reload: a refused reload exits 1 with the first problem as FILE:LINE"
	else not_ok "reload: a refused reload exits 1 with the first problem as FILE:LINE" "rc=$rc: $out"; fi
	ip netns exec "$NS" curl -s http://127.0.0.1/metrics >"$T/metrics"
	grep -q '^pxehub_reloads_total{result="refused"} 1$' "$T/metrics" &&
		grep -q '^pxehub_reloads_total{result="ok"} 1$' "$T/metrics" &&
		ok "/metrics counts reloads by result" || not_ok "/metrics counts reloads by result" "$(grep reloads "$T/metrics")"
	cp "$T/good.conf" "$CONF"
	out=$("$PXHCTL" reload --url http://127.0.0.1:81 2>&1); rc=$?
	[ $rc = 1 ] && ok "reload: no daemon is one clear error" || not_ok "reload: no daemon is one clear error" "rc=$rc: $out"
else
	not_ok "status reads the daemon's API (default URL from the config)" "pxehubd did not start"
fi
