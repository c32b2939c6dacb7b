#!/bin/sh
# The Configuration Manager validation kit: "pxehubctl sccm check" against
# the TDS stand-in (procedure texts through sp_helptext, one lookup and
# boot action, every result checked, a sanitized fixture saved), the
# fixture replayed by the stand-in (--fixture) with the same outcome, and
# a site whose lookup answers something the plugin cannot read: the check
# fails and says so.  The same for the management point: "sccm check --mp
# --save" against the MP stand-in (tests/mp/mp_server.py) writes a
# sanitized fixture, the stand-in replays it (--fixture) and sccm_mp_http
# comes to the same decision for the sanitized machine.
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

# ---- the management point: --mp --save, then the stand-in replays it -----
if [ -f "$PXH_PLUGINS/sccm_mp_http.so" ]; then
	kill $SPID; wait $SPID 2>/dev/null
	mp() { # ARGS... : the MP stand-in on 8080, its pid in MPID
		$IN $PY "$PXH_TOP/tests/mp/mp_server.py" --port 8080 --log "$T/mp.log" "$@" &
		MPID=$!
		pxh_track $MPID
		wait_for $IN $PY -c "import socket; socket.create_connection(('127.0.0.1', 8080)).close()"
	}
	mpconf() {
		pxh_conf "$T/m.conf"
		sed -i "s|^conf_dir = .*|conf_dir = $T/mpd|" "$T/m.conf"
		mkdir -p "$T/mpd"
		cat >"$T/mpd/sccm_mp_http.conf" <<EOC
[sccm_mp_http]
enabled = yes
deadline = 3s
header_template = $PXH_TOP/etc/sccm_mp/header.xml
lookup_template = $PXH_TOP/etc/sccm_mp/lookup.xml
boot_action_template = $PXH_TOP/etc/sccm_mp/boot_action.xml
signing_key = $T/sign.key
auth_client_id = GUID:6F1C3E2A-5B7D-4E8F-9A0B-1C2D3E4F5A6B
[sccm_mp_http.mp1]
url = http://127.0.0.1:8080
EOC
	}
	openssl genrsa -out "$T/sign.key" 2048 2>/dev/null && chmod 644 "$T/sign.key"
	mpconf
	mp || { not_ok mp_up "no listener"; exit 1; }
	# a known machine with a required deployment, a second one without
	for who in "52:54:00:00:00:01 01234567-89AB-CDEF-0123-456789ABCDEF known" \
		"52:54:00:00:00:02 - nodeploy"; do
		set -- $who
		uarg=; [ "$2" = - ] || uarg="--uuid $2"
		# shellcheck disable=SC2086
		$IN "$CTL" -c "$T/m.conf" sccm check --mp --mac "$1" $uarg --save "$T/mp-$3.json" \
			>"$T/mp-$3.out" 2>&1
		echo "rc=$?" >>"$T/mp-$3.out"
	done
	out=$(cat "$T/mp-known.out")
	case $out in *"decision: boot by sccm_mp_http"*"fixture (sanitized) written"*"rc=0"*) ok mp_check_saves ;;
	*) not_ok mp_check_saves "$(printf '%s' "$out" | tail -6 | tr '\n' '|')" ;; esac
	# sanitized: no MAC, GUID, machine or host name, key or signature of the site
	leak=$(grep -i -o -e '52:54:00:00:00:0[12]' -e '52-54-00' -e '01234567-89AB' -e 'PC-KNOWN' -e 'PC-NODEPLOY' \
		-e '2a4e09ce' -e 'GUID:01000004' -e '6F1C3E2A' -e 'dp01' -e '"PublicKey">[0-9A-F]' \
		-e 'Signature">[0-9A-F]' "$T/mp-known.json" "$T/mp-nodeploy.json" | head -3)
	if [ -s "$T/mp-known.json" ] && [ -z "$leak" ] && grep -q '02:00:5E:00:00:01' "$T/mp-known.json" &&
		grep -q '00000000-0000-4000-8000-000000000001' "$T/mp-known.json" &&
		grep -q '<NetbiosName>HOST2<' "$T/mp-known.json" && grep -q '(removed)' "$T/mp-known.json"; then
		ok mp_fixture_sanitized
	else
		not_ok mp_fixture_sanitized "leak: $leak"
	fi
	# the unknown-machine GUIDs: replaced the same way in the site facts and
	# in the boot action request that names them
	$PY - "$T/mp-known.json" >"$T/mp-consistent.out" 2>&1 <<'PYEOF'
import json, sys
fx = json.load(open(sys.argv[1]))
lookup = [x for x in fx["exchanges"] if x["kind"] == "lookup"][0]
action = [x for x in fx["exchanges"] if x["kind"] == "boot_action"][0]
import re
cid = re.search(r"<ClientID>([^<]*)</ClientID>", lookup["reply"]).group(1)
assert cid and cid in action["payload"], (cid, action["payload"])
assert fx["site"]["unknown_x64"].startswith("00000000-0000-4000-8000-"), fx["site"]
print("consistent", cid)
PYEOF
	grep -q '^consistent GUID:00000000-0000-4000-8000-' "$T/mp-consistent.out" && ok mp_fixture_consistent ||
		not_ok mp_fixture_consistent "$(tail -2 "$T/mp-consistent.out")"
	kill $MPID; wait $MPID 2>/dev/null
	for who in "02:00:5E:00:00:01 00000000-0000-4000-8000-000000000001 known" "02:00:5E:00:00:01 - nodeploy"; do
		set -- $who
		uarg=; [ "$2" = - ] || uarg="--uuid $2"
		mp --fixture "$T/mp-$3.json" || { not_ok mp_replay_up "no listener"; exit 1; }
		: >"$T/mp.log"
		# shellcheck disable=SC2086
		out=$($IN "$CTL" -c "$T/m.conf" sccm check --mp --mac "$1" $uarg 2>&1)
		rc=$?
		want=$(grep '^decision:' "$T/mp-$3.out" | sed -e 's/PC-KNOWN/HOST2/; s/PC-NODEPLOY/HOST2/' \
			-e 's/52:54:00:00:00:0[12]/02:00:5E:00:00:01/g; s/01234567-89AB-CDEF-0123-456789ABCDEF/00000000-0000-4000-8000-000000000001/g')
		got=$(printf '%s\n' "$out" | grep '^decision:')
		if [ -n "$want" ] && [ "$got" = "$want" ] && grep -q 'CCM_POST replay' "$T/mp.log" &&
			! grep -q 'not in the fixture' "$T/mp.log"; then
			ok "mp_fixture_replays_$3"
		else
			not_ok "mp_fixture_replays_$3" "rc $rc want '$want' got '$got' $(tail -2 "$T/mp.log" | tr '\n' '|')"
		fi
		kill $MPID; wait $MPID 2>/dev/null
	done
	# another machine than the recorded one: the replay refuses, not invents
	mp --fixture "$T/mp-known.json" || exit 1
	out=$($IN "$CTL" -c "$T/m.conf" sccm check --mp --mac 02:00:5E:00:00:07 2>&1)
	grep -q 'replay: not in the fixture' "$T/mp.log" && case $out in *"FAIL lookup"*) true ;; *) false ;; esac &&
		ok mp_replay_only_recorded || not_ok mp_replay_only_recorded "$(tail -2 "$T/mp.log")"
fi
exit 0
