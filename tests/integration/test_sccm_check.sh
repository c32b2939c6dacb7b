#!/bin/sh
# The Configuration Manager validation kit: "pxehubctl sccm check" against
# the TDS stand-in (procedure texts through sp_helptext, one lookup and
# boot action, every result checked, a sanitized fixture saved), the
# fixture replayed by the stand-in (--fixture) with the same outcome, and
# a site whose lookup answers something the plugin cannot read: the check
# fails and says so.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
CTL=$PXH_TOP/$B/bin/pxehubctl
[ -x "$CTL" ] || { echo "skip test_sccm_check # pxehubctl not built"; exit 77; }
[ -f "$PXH_PLUGINS/sccm_sql.so" ] || { echo "skip test_sccm_check # plugin not built"; exit 77; }
NS=$(pxh_netns sccmck) || exit 1
IN="ip netns exec $NS"
TDS=$PXH_TOP/tests/tds

standin() { # ARGS... : the stand-in on 1433, its pid in SPID
	$IN $PY "$TDS/tds_server.py" --schema "$TDS/schema.sql" --port 1433 \
		--login 'pxehub:S3cret!' --log "$T/tds.log" "$@" &
	SPID=$!
	pxh_track $SPID
	wait_for $IN $PY -c "import socket; socket.create_connection(('127.0.0.1', 1433)).close()"
}
conf() { # DP_NAME
	pxh_conf "$T/c.conf"
	cat >"$T/plugins.d/sccm_sql.conf" <<EOC
[sccm_sql]
enabled = yes
servers = 127.0.0.1:1433
user = pxehub
password = S3cret!
dp_name = $1
site_code = PS1
login_timeout = 2s
lookup_sql = $PXH_TOP/etc/sql/sccm_lookup_device.sql
unknown_sql = $PXH_TOP/etc/sql/sccm_unknown_computers.sql
boot_action_sql = $PXH_TOP/etc/sql/sccm_boot_action.sql
boot_images_sql = $PXH_TOP/etc/sql/sccm_boot_images.sql
EOC
}

# ---- against the stand-in's site ----------------------------------------
standin --procs "$TDS/procs" || { not_ok standin_up "no listener"; exit 1; }
conf dp01.corp.example
out=$($IN "$CTL" -c "$T/c.conf" sccm check --mac 52-54-00-00-00-01 \
	--uuid 01234567-89ab-cdef-0123-456789abcdef --save "$T/fx.json" 2>&1)
rc=$?
[ $rc = 0 ] && ok check_passes || not_ok check_passes "exit $rc: $(printf '%s' "$out" | tail -5)"
case $out in *"procedure NBS_LookupPXEDevice: "*" characters"*) ok shows_procedure_text ;;
*) not_ok shows_procedure_text "$(printf '%s' "$out" | grep procedure)" ;; esac
case $out in *"statement: EXEC NBS_LookupPXEDevice N'01234567-89AB-CDEF-0123-456789ABCDEF', N'52:54:00:00:00:01'"*"row 0: 16777220 | 1 | 16777220 | 1 | 0"*)
	ok shows_lookup ;; *) not_ok shows_lookup "$(printf '%s' "$out" | grep -A3 'statement: EXEC NBS_Lookup')" ;; esac
case $out in *"ok   lookup_result"*"key/count"*"ok   unknown_objects"*"site PS1: x86 2046820352, x64 2046820353"*"ok   boot_action_columns"*"ok   boot_images"*)
	ok checks_listed ;; *) not_ok checks_listed "$(printf '%s' "$out" | sed -n '/^checks:/,/^$/p')" ;; esac
case $out in *"d0 PS120001 task sequence PS100020 boot image PS100004 (x64) PS100004/boot.PS100004.wim required"*"d1 PS120003"*"d2 PS120002"*)
	ok shows_decision ;; *) not_ok shows_decision "$(printf '%s' "$out" | sed -n '/^decision/,$p')" ;; esac

# ---- the fixture: sanitized ------------------------------------------------
if [ -s "$T/fx.json" ] && ! grep -qi -e '52:54:00:00:00:01' -e '01234567-89AB' -e 'dp01.corp.example' "$T/fx.json" &&
	grep -q '02:00:5E:00:00:01' "$T/fx.json" && grep -q 'dp.example.invalid' "$T/fx.json"; then
	ok fixture_sanitized
else
	not_ok fixture_sanitized "$(grep -i -m3 -e '52:54' -e 'dp01' "$T/fx.json")"
fi

# ---- ... and replayed by the stand-in: the same outcome -------------------
kill $SPID; wait $SPID 2>/dev/null
standin --procs "$T/none" --fixture "$T/fx.json" || { not_ok replay_up "no listener"; exit 1; }
conf dp.example.invalid
out=$($IN "$CTL" -c "$T/c.conf" sccm check --mac 02:00:5E:00:00:01 \
	--uuid 00000000-0000-4000-8000-000000000001 2>&1)
rc=$?
case $rc:$out in 0:*"d0 PS120001 task sequence PS100020 boot image PS100004 (x64)"*"d1 PS120003"*"every check passed"*)
	ok fixture_replays ;; *) not_ok fixture_replays "exit $rc: $(printf '%s' "$out" | tail -8)" ;; esac
grep -q 'replay: not in the fixture' "$T/tds.log" && not_ok replay_complete "a statement was missing" || ok replay_complete

# ---- a site answering what the plugin cannot read: the check fails -----
kill $SPID; wait $SPID 2>/dev/null
mkdir -p "$T/odd"
cp "$TDS/procs/NBS_GetPXEBootAction.sql" "$T/odd/"
printf -- '-- params: @arg1, @arg2\nSELECT %sPC-KNOWN%s AS Name, 16777220 AS ResourceID;\n' "'" "'" \
	>"$T/odd/NBS_LookupPXEDevice.sql"
standin --procs "$T/odd" || { not_ok odd_up "no listener"; exit 1; }
conf dp01.corp.example
out=$($IN "$CTL" -c "$T/c.conf" sccm check --mac 52:54:00:00:00:01 --no-helptext 2>&1)
rc=$?
case $rc:$out in 1:*"FAIL lookup_result"*"unreadable lookup result"*"FAILED"*) ok odd_site_fails ;;
*) not_ok odd_site_fails "exit $rc: $(printf '%s' "$out" | sed -n '/^checks:/,$p')" ;; esac
case $out in *"unknown computer"*) not_ok odd_not_unknown "read as an unknown computer" ;; *) ok odd_not_unknown ;; esac
exit 0
