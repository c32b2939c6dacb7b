#!/bin/sh
# sccm_sql in pxehubd: /boot.ipxe menus from the TDS stand-in's site
# database, boot image content fetched from a DP stand-in that demands NTLM
# (NTLMv2 verified), SHA-256 checked, cached and served from /files/sccm
# to several clients after one download; hash mismatch refused; SQL Server
# down answered by the fail policy within the deadline.  Everything runs on
# the loopback of a private network namespace.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
for t in curl sha256sum; do
	command -v $t >/dev/null || { echo "skip test_sccm_sql # $t missing"; exit 77; }
done
[ -f "$PXH_PLUGINS/sccm_sql.so" ] || { echo "skip test_sccm_sql # plugin not built"; exit 77; }
NS=$(pxh_netns sccm) || exit 1
IN="ip netns exec $NS"
U=http://127.0.0.1
TDS=$PXH_TOP/tests/tds

# ---- DP content in the IIS package share layout --------------------------
# (PackagePath http://dp01.corp.example/SMS_DP_SMSPKG$/PS100004: the plugin
# fetches PS100004/boot.PS100004.wim below dp_url)
mkdir -p "$T/dp/PS100004" "$T/dp/PS100006" "$T/dp/SMSBoot/x64" "$T/dp/SMSBoot/x86"
head -c 3000000 /dev/urandom >"$T/dp/PS100004/boot.PS100004.wim"
head -c 100000 /dev/urandom >"$T/dp/PS100006/boot.PS100006.wim"
head -c 3170304 /dev/urandom >"$T/dp/SMSBoot/boot.sdi"
head -c 20000 /dev/urandom >"$T/dp/SMSBoot/x64/BCD"
head -c 20000 /dev/urandom >"$T/dp/SMSBoot/x86/BCD"
H4=$(sha256sum "$T/dp/PS100004/boot.PS100004.wim" | cut -d" " -f1)
: >"$T/data.sql"

$IN $PY "$TDS/tds_server.py" --schema "$TDS/schema.sql" --schema "$T/data.sql" \
	--procs "$TDS/procs" --port 1433 --login 'pxehub:S3cret!' --log "$T/tds.log" &
TDS_PID=$!
pxh_track $TDS_PID
$IN $PY "$TDS/dp_server.py" --root "$T/dp" --user 'CORP\naa' --password 'N@a-pw' \
	--port 8081 --log "$T/dp.log" &
pxh_track $!
wait_for $IN $PY -c "import socket; socket.create_connection(('127.0.0.1', 1433)).close()" &&
wait_for $IN $PY -c "import socket; socket.create_connection(('127.0.0.1', 8081)).close()" ||
	{ not_ok standins_up "stand-ins did not start"; exit 1; }
ok standins_up

pxh_conf "$T/c.conf"
cat >>"$T/c.conf" <<EOF
[dhcp]
enabled = no
[tftp]
port = 0
[http]
port = 80
https_port = 0
EOF
sed -i 's/^\[server\]$/[server]\nlisten = 127.0.0.1/' "$T/c.conf"
cat >"$T/plugins.d/sccm_sql.conf" <<EOF
[sccm_sql]
enabled = yes
servers = 127.0.0.1:1433
user = pxehub
password = S3cret!
dp_name = dp01.corp.example
site_code = PS1
deadline = 800ms
fail_policy = menu
login_timeout = 1s
lookup_sql = $PXH_TOP/etc/sql/sccm_lookup_device.sql
unknown_sql = $PXH_TOP/etc/sql/sccm_unknown_computers.sql
boot_action_sql = $PXH_TOP/etc/sql/sccm_boot_action.sql
boot_images_sql = $PXH_TOP/etc/sql/sccm_boot_images.sql
dp_url = http://127.0.0.1:8081/
content_user = CORP\\naa
content_password = N@a-pw
content_auth = ntlm
cache_size_mb = 20
media_bootstrap_ini = $T/media/TsmBootstrap.ini
media_variables = $T/media/variables.dat
media_helper_dir = $PXH_TOP/etc/sccm_media
EOF
echo "wimboot" >"$T/http/wimboot"
# the boot media hand-over: a boot media's export (names as the console
# writes them, any case) and the shipped helper
mkdir -p "$T/media"
printf '[MediaInfo]\r\nMediaType=BootMedia\r\nPasswordRequired=false\r\n' >"$T/media/TsmBootstrap.ini"
head -c 5000 /dev/urandom >"$T/media/variables.dat"
# -t: a media file that is not there is refused with FILE:LINE
mkdir -p "$T/bad/plugins.d"
sed "s|^media_variables = .*|media_variables = $T/media/Variables.missing|" "$T/plugins.d/sccm_sql.conf" \
	>"$T/bad/plugins.d/sccm_sql.conf"
sed "s|^conf_dir = .*|conf_dir = $T/bad/plugins.d|" "$T/c.conf" >"$T/bad/c.conf"
out=$("$PXHD" -t -c "$T/bad/c.conf" 2>&1)
rc=$?
case $rc:$out in [!0]*:*"$T/bad/plugins.d/sccm_sql.conf:"[0-9]*": [sccm_sql] media_variables: $T/media/Variables.missing: No such file"*) ok media_missing_t ;;
*) not_ok media_missing_t "rc $rc: $(printf '%s' "$out" | tail -3)" ;; esac

pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon_start "see log"; exit 1; }
ok daemon_start

KNOWN="mac=52-54-00-00-00-01&uuid=01234567-89ab-cdef-0123-456789abcdef&arch=x86_64&platform=efi"
script() { $IN curl -s -m 10 "$U/boot.ipxe?$1"; }

# ---- the known machine: menu, content copied in the background ----------
s=$(script "$KNOWN")
case $s in
*"menu Configuration Manager: this machine"*"item d0 PS120001 - PS100020 (required)"*"item d1 PS120003"*"item d2 PS120002"*"item local"*)
	ok known_menu ;;
*) not_ok known_menu "got: $(printf '%s' "$s" | head -12)" ;;
esac
case $s in *"set pxh_defopt d0"*"set pxh_timeout 10000"*|*"set pxh_timeout 10000"*"set pxh_defopt d0"*) ok required_default_countdown ;;
*) not_ok required_default_countdown "no default d0 with 10 s" ;; esac
case $s in *PS120004*|*PS120005*|*PS12000B*) not_ok filtered "undeployable entries shown" ;;
*) ok filtered ;; esac

# wait until the three files are cached (first client)
i=0
while [ $i -lt 100 ] && [ "$(grep -c 'sccm_sql: content .* cached' "$T/pxehubd.log")" -lt 3 ]; do
	sleep 0.1; i=$((i + 1))
done
s=$(script "$KNOWN")
case $s in
*"kernel http://127.0.0.1/files/wimboot"*"initrd -n BCD http://127.0.0.1/files/sccm/x64/BCD"*"initrd -n boot.sdi http://127.0.0.1/files/sccm/boot.sdi"*"initrd -n boot.wim http://127.0.0.1/files/sccm/PS100004/boot.wim"*)
	ok wimboot_script ;;
*) not_ok wimboot_script "got: $(printf '%s' "$s" | grep -E 'kernel|initrd|echo' | head -5)" ;;
esac

# ---- content: NTLM at the DP, hash, one download for several clients ----
code=$($IN curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8081/SMSBoot/boot.sdi)
[ "$code" = 401 ] && ok dp_refuses_anonymous || not_ok dp_refuses_anonymous "got $code"
if grep -q 'GET /PS100004/boot.PS100004.wim 200 CORP\\naa' "$T/dp.log"; then
	ok dp_ntlm_download
else
	not_ok dp_ntlm_download "$(tail -3 "$T/dp.log")"
fi
ok_all=1
for n in 1 2 3; do
	got=$($IN curl -s "$U/files/sccm/PS100004/boot.wim" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$H4" ] || ok_all=0
done
got=$($IN curl -s "$U/files/sccm/x64/BCD" | sha256sum | cut -d' ' -f1)
[ "$got" = "$(sha256sum <"$T/dp/SMSBoot/x64/BCD" | cut -d' ' -f1)" ] || ok_all=0
[ $ok_all = 1 ] && ok content_served_intact || not_ok content_served_intact "hash differs"
# a second machine with the same boot image: no new download
s=$(script "mac=52-54-00-00-00-02&uuid=00000000-0000-0000-0000-000000000002&arch=x86_64&platform=efi")
case $s in *"initrd -n TsmBootstrap.ini http://127.0.0.1/files/sccm/media/TsmBootstrap.ini TsmBootstrap.ini"*"initrd -n Variables.dat http://127.0.0.1/files/sccm/media/Variables.dat Variables.dat"*"initrd -n winpeshl.ini http://127.0.0.1/files/sccm/media/winpeshl.ini winpeshl.ini"*"initrd -n pxehub-media.js http://127.0.0.1/files/sccm/media/pxehub-media.js pxehub-media.js"*"initrd -n boot.wim"*)
	ok media_injected ;; *) not_ok media_injected "got: $(printf '%s' "$s" | grep -E 'initrd' | head -8)" ;; esac
# ... and served byte for byte
for f in TsmBootstrap.ini:$T/media/TsmBootstrap.ini Variables.dat:$T/media/variables.dat \
	winpeshl.ini:$PXH_TOP/etc/sccm_media/winpeshl.ini pxehub-media.js:$PXH_TOP/etc/sccm_media/pxehub-media.js; do
	got=$($IN curl -s "$U/files/sccm/media/${f%%:*}" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(sha256sum <"${f#*:}" | cut -d' ' -f1)" ] || { not_ok media_served "${f%%:*} differs"; break; }
done && ok media_served
case $s in *"initrd -n boot.wim http://127.0.0.1/files/sccm/PS100004/boot.wim"*) ok second_client_cached ;;
*) not_ok second_client_cached "got: $(printf '%s' "$s" | grep -E 'initrd|echo' | head -3)" ;; esac
n=$(grep -c 'GET /PS100004/boot.PS100004.wim 200' "$T/dp.log")
[ "$n" = 1 ] && ok downloaded_once || not_ok downloaded_once "$n downloads"
case $s in *"prompt --timeout 5000"*) ok already_run_prompt ;; *) not_ok already_run_prompt "no key prompt" ;; esac

# ---- an unknown BIOS machine gets this site's x86 object and image ------
s=$(script "mac=02-00-00-00-00-99&uuid=&arch=i386&platform=pcbios")
case $s in *PS120008*) ok unknown_computer ;; *) not_ok unknown_computer "got: $(printf '%s' "$s" | head -8)" ;; esac
case $s in *PS120007*|*CAS20001*) not_ok unknown_x86_only "x64 or other site's deployment offered" ;;
*) ok unknown_x86_only ;; esac
i=0
while [ $i -lt 50 ] && ! grep -q 'GET /PS100006/boot.PS100006.wim 200' "$T/dp.log"; do
	sleep 0.1; i=$((i + 1))
done
grep -q 'GET /PS100006/boot.PS100006.wim 200' "$T/dp.log" && ok smspkg_layout_fetch ||
	not_ok smspkg_layout_fetch "boot.PS100006.wim not fetched from the package share layout"

# ---- timings (printed, not asserted): a fresh lookup vs the cache -------
t1=$($IN curl -s -o /dev/null -w '%{time_total}' "$U/boot.ipxe?mac=52-54-00-00-00-0e&uuid=&arch=x86_64&platform=efi")
t2=$($IN curl -s -o /dev/null -w '%{time_total}' "$U/boot.ipxe?mac=52-54-00-00-00-0e&uuid=&arch=x86_64&platform=efi")
echo "# /boot.ipxe with a fresh SQL lookup: ${t1}s, from the cache: ${t2}s"

# ---- the validation kit's route is not served over the network ----------
code=$($IN curl -s -o /dev/null -w '%{http_code}' "$U/plugins/sccm_sql/check?mac=52:54:00:00:00:01")
case $code in 200) not_ok check_route_not_remote "served over HTTP" ;; *) ok check_route_not_remote ;; esac

# ---- metrics --------------------------------------------------------------
m=$($IN curl -s "$U/metrics")
case $m in *"pxehub_plugin_sccm_sql_content_fetched"*"pxehub_plugin_sccm_sql_lookups"*|*"pxehub_plugin_sccm_sql_lookups"*"pxehub_plugin_sccm_sql_content_fetched"*)
	ok metrics ;; *) not_ok metrics "no sccm_sql figures" ;; esac

# ---- SQL Server down: fail policy within the deadline, event says why ----
kill $TDS_PID
wait $TDS_PID 2>/dev/null
start=$(date +%s%N)
s=$(script "mac=52-54-00-00-00-0f&uuid=00000000-0000-0000-0000-00000000000F&arch=x86_64&platform=efi")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
case $s in *"item local"*) ok down_default_menu ;; *) not_ok down_default_menu "got: $(printf '%s' "$s" | head -3)" ;; esac
[ $ms -lt 2000 ] && ok down_fast || not_ok down_fast "$ms ms"
echo "# SQL Server down: /boot.ipxe answered in $ms ms"
grep -q 'event=plugin.*action=error.*fail policy menu' "$T/pxehubd.log" && ok down_event ||
	not_ok down_event "no plugin event"
kill -0 $PXH_PID && ok daemon_alive || not_ok daemon_alive "pxehubd died"
exit 0
