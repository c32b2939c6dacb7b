#!/bin/sh
# sccm_mp_http in pxehubd against the management point stand-in
# (tests/mp/mp_server.py): site facts (UTF-16) over HTTPS with a test CA
# and a client certificate, CCM_POST lookups and boot actions (multipart,
# UTF-16 header with BOM, zlib body marked by Hook3, terminator and Length
# as sccmwtf sends them, signed with a key registered with the stand-in;
# the stand-in's refusals checked with requests built in Python and
# openssl, not by pxehub), known device, unknown computer,
# no deployment, already run, duplicate MAC / SMBIOS GUID / both, the first
# MP down, slow and failing (failover to the second), both down (fail
# policy within the deadline).  Boot image content from a local copy.
# Everything runs on the loopback of a private network namespace.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
for t in curl openssl sha256sum; do
	command -v $t >/dev/null || { echo "skip test_sccm_mp_http # $t missing"; exit 77; }
done
[ -f "$PXH_PLUGINS/sccm_mp_http.so" ] || { echo "skip test_sccm_mp_http # plugin not built"; exit 77; }
NS=$(pxh_netns mp) || exit 1
IN="ip netns exec $NS"
U=http://127.0.0.1
MP=$PXH_TOP/tests/mp/mp_server.py

# ---- a test CA, the MP's certificate, pxehub's client certificate --------
mkdir -p "$T/pki"
(
	cd "$T/pki" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=pxehub test CA" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout mp.key -out mp.csr -subj "/CN=localhost" 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >mp.ext
	openssl x509 -req -in mp.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out mp.pem \
		-days 2 -extfile mp.ext 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
		-subj "/CN=pxehub-pxe-point" 2>/dev/null
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out client.pem -days 2 2>/dev/null
	chmod 644 ./*.key
) || { not_ok pki "openssl failed"; exit 1; }

# ---- boot image content (a local synced copy of the DP) -----------------
mkdir -p "$T/dp/SMSImages/PS100004" "$T/dp/SMSImages/PS100006" "$T/dp/SMSBoot/x64" "$T/dp/SMSBoot/x86"
head -c 200000 /dev/urandom >"$T/dp/SMSImages/PS100004/boot.PS100004.wim"
head -c 100000 /dev/urandom >"$T/dp/SMSImages/PS100006/boot.PS100006.wim"
head -c 50000 /dev/urandom >"$T/dp/SMSBoot/boot.sdi"
head -c 2000 /dev/urandom >"$T/dp/SMSBoot/x64/BCD"
head -c 2000 /dev/urandom >"$T/dp/SMSBoot/x86/BCD"

# pxehub's signing key and its registration with the site: the stand-in
# knows GUID:<id> with this key's PUBLICKEYBLOB (built here from openssl's
# modulus, independently of the plugin)
openssl genrsa -out "$T/pki/sign.key" 2048 2>/dev/null || { not_ok pki "genrsa"; exit 1; }
openssl genrsa -out "$T/pki/other.key" 2048 2>/dev/null
chmod 644 "$T/pki/sign.key" "$T/pki/other.key" # pxehubd runs as its own user
blob() { # KEY -> PUBLICKEYBLOB hex
	$PY -c 'import sys
n = bytes.fromhex(sys.argv[1].split("=")[1])
print(("0602000000A4000052534131" + (len(n) * 8).to_bytes(4, "little").hex() + "01000100" + n[::-1].hex()).upper())' \
		"$(openssl rsa -in "$1" -noout -modulus 2>/dev/null)"
}
AUTH_ID=GUID:6F1C3E2A-5B7D-4E8F-9A0B-1C2D3E4F5A6B
printf '%s %s\n' "$AUTH_ID" "$(blob "$T/pki/sign.key")" >"$T/registered"

# mp2 (HTTPS, client certificate required, UTF-16 site facts, signatures
# checked); mp1 on 8001 is down at first
start_mp() { # NAME PORT ARGS...
	_n=$1 _p=$2
	shift 2
	$IN $PY "$MP" --name "$_n" --port "$_p" --log "$T/mp.log" "$@" &
	_pid=$!
	pxh_track $_pid
	wait_for $IN $PY -c "import socket; socket.create_connection(('127.0.0.1', $_p)).close()"
}
start_mp mp2 8002 --cert "$T/pki/mp.pem" --key "$T/pki/mp.key" --client-ca "$T/pki/ca.pem" \
	--site-utf16 --registered "$T/registered" || { not_ok standin_up "mp2 did not start"; exit 1; }
MP2=$_pid
ok standin_up
# the stand-in really demands the client certificate
code=$($IN curl -s -o /dev/null -w '%{http_code}' --cacert "$T/pki/ca.pem" \
	"https://localhost:8002/SMS_MP/.sms_aut?MPKEYINFORMATIONMEDIA")
[ "$code" = 000 ] && ok standin_needs_client_cert || not_ok standin_needs_client_cert "got $code"

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
sed -i 's/^\[server\]$/[server]\nlisten = 127.0.0.1\nfqdn = pxe01.corp.example/' "$T/c.conf"
echo wimboot >"$T/http/wimboot"
cat >"$T/plugins.d/sccm_mp_http.conf" <<EOF
[sccm_mp_http]
enabled = yes
deadline = 2500ms
fail_policy = menu
no_deployment = ignore
negative_ttl = 1s
header_template = $PXH_TOP/etc/sccm_mp/header.xml
lookup_template = $PXH_TOP/etc/sccm_mp/lookup.xml
boot_action_template = $PXH_TOP/etc/sccm_mp/boot_action.xml
signing_key = $T/pki/sign.key
auth_client_id = $AUTH_ID
retries = 1
retry_backoff = 100ms
down_time = 1s
content_dir = $T/dp
cache_size_mb = 20

[sccm_mp_http.mp1]
url = https://localhost:8001
ca_file = $T/pki/ca.pem
client_cert = $T/pki/client.pem
client_key = $T/pki/client.key
timeout = 700ms
connect_timeout = 500ms

[sccm_mp_http.mp2]
url = https://localhost:8002/
ca_file = $T/pki/ca.pem
client_cert = $T/pki/client.pem
client_key = $T/pki/client.key
timeout = 2s
EOF

pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon_start "see log"; exit 1; }
ok daemon_start
grep -q 'sccm_mp_http (experimental)' "$T/pxehubd.log" && ok says_experimental ||
	not_ok says_experimental "no start line"

i=0
while [ $i -lt 50 ] && ! grep -q 'sccm_mp_http: site PS1' "$T/pxehubd.log"; do
	sleep 0.1; i=$((i + 1))
done
grep -q 'sccm_mp_http: site PS1, unknown machines x86 2a4e09ce-0001-4c18-bd7d-f8d32f4e3b58 x64 2a4e09ce-0002' \
	"$T/pxehubd.log" && ok site_facts_utf16_failover || not_ok site_facts_utf16_failover "$(grep -i 'site' "$T/pxehubd.log" | tail -2)"

script() { $IN curl -s -m 10 "$U/boot.ipxe?$1"; }
wait_content() { # the three files of PS100004 cached
	i=0
	while [ $i -lt 50 ] && [ "$(grep -c 'sccm_mp_http: content .* cached' "$T/pxehubd.log")" -lt "$1" ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# ---- known device: the required deployment as default, wimboot --------
KNOWN="mac=52-54-00-00-00-01&uuid=01234567-89ab-cdef-0123-456789abcdef&arch=x86_64&platform=efi"
s=$(script "$KNOWN")
case $s in
*"menu Configuration Manager: PC-KNOWN"*"item d0 PS120001 - PS100005 (required)"*"item local"*)
	ok known_device ;;
*) not_ok known_device "got: $(printf '%s' "$s" | head -8 | tr '\n' '|')" ;;
esac
case $s in *"set pxh_timeout 10000"*) ok required_countdown ;; *) not_ok required_countdown "no countdown" ;; esac
grep -q 'mp2 CCM_POST lookup mac=52:54:00:00:00:01 guid=01234567-89AB-CDEF-0123-456789ABCDEF -> PC-KNOWN' "$T/mp.log" &&
grep -q 'mp2 CCM_POST action item=16777220 client=GUID:01000004-0000-0000-0000-000000000000 -> PS120001' "$T/mp.log" &&
	ok lookup_then_boot_action || not_ok lookup_then_boot_action "$(tail -3 "$T/mp.log")"
grep -q 'mp2 CCM_POST refused\|CCM_POST bad' "$T/mp.log" && not_ok signed_requests "$(grep 'refused\|bad' "$T/mp.log" | head -2)" ||
	ok signed_requests
wait_content 3
s=$(script "$KNOWN")
case $s in
*"kernel http://127.0.0.1/files/wimboot"*"initrd -n BCD http://127.0.0.1/files/sccm/x64/BCD"*"initrd -n boot.sdi http://127.0.0.1/files/sccm/boot.sdi"*"initrd -n boot.wim http://127.0.0.1/files/sccm/PS100004/boot.wim"*)
	ok wimboot_script ;;
*) not_ok wimboot_script "got: $(printf '%s' "$s" | grep -E 'kernel|initrd|echo' | head -4 | tr '\n' '|')" ;;
esac
got=$($IN curl -s "$U/files/sccm/PS100004/boot.wim" | sha256sum | cut -d' ' -f1)
[ "$got" = "$(sha256sum <"$T/dp/SMSImages/PS100004/boot.PS100004.wim" | cut -d' ' -f1)" ] &&
	ok content_served || not_ok content_served "hash differs"
n=$(grep -c 'mp2 CCM_POST lookup mac=52:54:00:00:00:01' "$T/mp.log")
[ "$n" = 1 ] && ok cached_answer || not_ok cached_answer "$n lookups for one machine"

# ---- the stand-in refuses what a management point refuses ---------------
# requests built here (Python, openssl for the RSA signature), one rule
# broken at a time; the first one is valid and must pass
cat >"$T/rules.py" <<'PYEOF'
import ssl, subprocess, sys, urllib.request, zlib
T, auth, blob_ok, blob_other = sys.argv[1:5]
B = "aAbBcCdDv1234567890VxXyYzZ"
body_xml = ('<ClientIDRequest SchemaVersion="1.0" SiteCode="PS1"><Identification><Machine>'
            '<MACAddress>52:54:00:00:00:01</MACAddress><SMBIOSGUID></SMBIOSGUID></Machine>'
            '</Identification></ClientIDRequest>')
def rsig(key, data):
    s = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=data,
                       capture_output=True, check=True).stdout
    return s[::-1].hex().upper()
def send(hook3=True, bom=True, length_delta=0, term=True, sign=True, key="sign.key",
         blob=None, compress=True, source=None):
    src = source or auth
    body = body_xml.encode("utf-16-le") + (b"\x00\x00\r\n" if term else b"\r\n")
    wire = zlib.compress(body) if compress else body
    k = "%s/pki/%s" % (T, key)
    auth_xml = ""
    if sign:
        auth_xml = ('<Hook2 Name="clientauth"><Property Name="AuthSenderMachine">t</Property>'
                    '<Property Name="PublicKey">%s</Property><Property Name="ClientIDSignature">%s'
                    '</Property><Property Name="PayloadSignature">%s</Property>'
                    '<Property Name="HashAlgorithm">1.2.840.113549.1.1.11</Property></Hook2>'
                    % (blob or blob_ok, rsig(k, src.encode("utf-16-le") + b"\x00\x00"), rsig(k, wire)))
    hdr = ('<Msg ReplyCompression="zlib" SchemaVersion="1.1"><Body Type="ByteRange" Length="%d" '
           'Offset="0" /><Hooks>%s%s</Hooks><SourceID>%s</SourceID><TargetEndpoint>MP_ClientIDManager'
           '</TargetEndpoint></Msg>' % (len(body) - 2 + length_delta, auth_xml,
                                        '<Hook3 Name="zlib-compress" />' if hook3 else "", src))
    h = hdr.encode("utf-16") if bom else hdr.encode("utf-16-le")
    data = (("--%s\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n" % B).encode() + h +
            ("\r\n--%s\r\ncontent-type: application/octet-stream\r\n\r\n" % B).encode() + wire +
            ("\r\n--%s--" % B).encode())
    ctx = ssl.create_default_context(cafile=T + "/pki/ca.pem")
    ctx.load_cert_chain(T + "/pki/client.pem", T + "/pki/client.key")
    req = urllib.request.Request("https://localhost:8002/ccm_system/request", data=data,
                                 method="CCM_POST",
                                 headers={"Content-Type": 'multipart/mixed; boundary="%s"' % B})
    try:
        return urllib.request.urlopen(req, context=ctx, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code
cases = [("valid", {}, 200),
         ("no_hook3", {"hook3": False}, 400),
         ("hook3_uncompressed", {"compress": False}, 400),
         ("header_without_bom", {"bom": False}, 400),
         ("length_compressed_size", {"length_delta": 7}, 400),
         ("no_terminator", {"term": False}, 400),
         ("unsigned", {"sign": False}, 403),
         ("bad_signature", {"key": "other.key"}, 403),
         ("unregistered_key", {"key": "other.key", "blob": blob_other}, 403),
         ("unregistered_client", {"source": "GUID:00000000-1111-2222-3333-444444444444"}, 403)]
for name, kw, want in cases:
    got = send(**kw)
    print("%s %s %d" % ("PASS" if got == want else "FAIL", "mp_rule_" + name, got))
PYEOF
$IN $PY "$T/rules.py" "$T" "$AUTH_ID" "$(blob "$T/pki/sign.key")" "$(blob "$T/pki/other.key")" \
	>"$T/rules.out" 2>&1
grep -q PASS "$T/rules.out" || not_ok mp_rules "$(tail -3 "$T/rules.out")"
while read -r st name code; do
	case $st in PASS) ok "$name" ;; FAIL) not_ok "$name" "HTTP $code" ;; esac
done <"$T/rules.out"

# ---- the validation kit against the management point ---------------------
out=$($IN "$PXHCTL" -c "$T/c.conf" sccm check --mp --mac 52:54:00:00:00:01 \
	--uuid 01234567-89AB-CDEF-0123-456789ABCDEF 2>&1)
rc=$?
case $rc:$out in 0:*"lookup request (MP_ClientIDManager)"*"HTTP status: 200"*"reply: <ClientIDReply>"*"ok   site_facts   site PS1"*"ok   lookup"*"ok   boot_action"*"decision: boot by sccm_mp_http"*"every check passed"*)
	ok ctl_check_mp ;; *) not_ok ctl_check_mp "exit $rc: $(printf '%s' "$out" | tail -12 | tr '\n' '|')" ;; esac
# the same with a key the site never registered: the check says why
sed "s|^signing_key = .*|signing_key = $T/pki/other.key|" "$T/plugins.d/sccm_mp_http.conf" >"$T/other.conf.tmp"
mkdir -p "$T/pd2" && mv "$T/other.conf.tmp" "$T/pd2/sccm_mp_http.conf"
sed "s|^conf_dir = .*|conf_dir = $T/pd2|" "$T/c.conf" >"$T/c2.conf"
out=$($IN "$PXHCTL" -c "$T/c2.conf" sccm check --mp --mac 52:54:00:00:00:01 2>&1)
rc=$?
case $rc:$out in 1:*"HTTP status: 403"*"FAIL lookup"*"client authentication refused"*"FAILED"*) ok ctl_check_mp_unregistered ;;
*) not_ok ctl_check_mp_unregistered "exit $rc: $(printf '%s' "$out" | tail -8 | tr '\n' '|')" ;; esac

# ---- available deployment: key prompt first --------------------------------
s=$(script "mac=52-54-00-00-00-03&uuid=&arch=x86_64&platform=efi")
case $s in *"prompt --timeout 5000"*"item d0 PS120002 - PS100007"*) ok available_prompt ;;
*) not_ok available_prompt "got: $(printf '%s' "$s" | head -4 | tr '\n' '|')" ;; esac

# ---- unknown computer (x64 object) and one without a deployment (x86) ---
s=$(script "mac=02-00-00-00-00-99&uuid=&arch=x86_64&platform=efi")
case $s in *"menu Configuration Manager: unknown computer"*"item d0 PS120009 - PS100009"*) ok unknown_computer ;;
*) not_ok unknown_computer "got: $(printf '%s' "$s" | head -4 | tr '\n' '|')" ;; esac
grep -q 'client=2a4e09ce-0002-4c18-bd7d-f8d32f4e3b58 -> PS120009' "$T/mp.log" && ok unknown_uses_site_guid ||
	not_ok unknown_uses_site_guid "$(tail -2 "$T/mp.log")"
s=$(script "mac=02-00-00-00-00-98&uuid=&arch=i386&platform=pcbios")
case $s in *"PS1200"*) not_ok unknown_bios_none "got a deployment" ;; *) ok unknown_bios_none ;; esac

# ---- no deployment, already run -------------------------------------------
s=$(script "mac=52-54-00-00-00-02&uuid=&arch=x86_64&platform=efi")
grep -q 'sccm_mp_http: 52:54:00:00:00:02 guid -: machine 16777221 (PC-NODEPLOY): no deployment' "$T/pxehubd.log" &&
	case $s in *"PS1200"*) false ;; *) true ;; esac && ok no_deployment || not_ok no_deployment "$(printf '%s' "$s" | head -3 | tr '\n' '|')"
s=$(script "mac=52-54-00-00-00-04&uuid=&arch=x86_64&platform=efi")
grep -q 'PC-RAN): required deployment PS120003 already ran' "$T/pxehubd.log" && ok already_run ||
	not_ok already_run "$(grep 52:54:00:00:00:04 "$T/pxehubd.log" | tail -1)"

# ---- duplicate identifiers ---------------------------------------------------
# MAC shared by two machines: asked again by GUID alone
s=$(script "mac=52-54-00-00-00-0d&uuid=11111111-1111-1111-1111-111111111111&arch=x86_64&platform=efi")
case $s in *"menu Configuration Manager: PC-DUP-A"*"PS120004"*) ok duplicate_mac ;;
*) not_ok duplicate_mac "got: $(printf '%s' "$s" | head -3 | tr '\n' '|')" ;; esac
grep -q 'lookup mac=- guid=11111111-1111-1111-1111-111111111111 -> PC-DUP-A' "$T/mp.log" && ok duplicate_mac_reasked ||
	not_ok duplicate_mac_reasked "$(grep 11111111 "$T/mp.log" | tail -2)"
# SMBIOS GUID shared (cloned firmware): asked again by MAC alone
s=$(script "mac=52-54-00-00-00-22&uuid=33333333-3333-3333-3333-333333333333&arch=x86_64&platform=efi")
case $s in *"menu Configuration Manager: PC-CLONE-2"*"PS120005"*) ok duplicate_guid ;;
*) not_ok duplicate_guid "got: $(printf '%s' "$s" | head -3 | tr '\n' '|')" ;; esac
# both shared: an unknown computer
s=$(script "mac=52-54-00-00-00-0d&uuid=33333333-3333-3333-3333-333333333333&arch=x86_64&platform=efi")
case $s in *"menu Configuration Manager: unknown computer"*) ok duplicate_both_unknown ;;
*) not_ok duplicate_both_unknown "got: $(printf '%s' "$s" | head -3 | tr '\n' '|')" ;; esac

# ---- mp1 slow, then failing: answers still come, through mp2 ------------
start_mp mp1 8001 --cert "$T/pki/mp.pem" --key "$T/pki/mp.key" --delay 3 || not_ok mp1_up "mp1 did not start"
MP1=$_pid
sleep 1.1 # down_time of mp1's earlier failure
t0=$(date +%s%N)
s=$(script "mac=52-54-00-00-00-01&uuid=&arch=x86_64&platform=efi")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
case $s in *"PC-KNOWN"*) ok slow_mp_failover ;; *) not_ok slow_mp_failover "got: $(printf '%s' "$s" | head -2 | tr '\n' '|')" ;; esac
echo "# mp1 slow (3 s, timeout 700 ms): /boot.ipxe answered in $ms ms through mp2"
kill $MP1; wait $MP1 2>/dev/null
start_mp mp1 8001 --cert "$T/pki/mp.pem" --key "$T/pki/mp.key" --status 503 || not_ok mp1_up "mp1 did not start"
MP1=$_pid
# until mp1's down_time is over (a fixed sleep was too short under ASan)
i=0
while [ $i -lt 50 ] && ! $IN curl -s "$U/metrics" | grep -q '^pxehub_plugin_sccm_mp_http_mps_up 2'; do
	sleep 0.1; i=$((i + 1))
done
s=$(script "mac=52-54-00-00-00-03&uuid=01234567-0000-0000-0000-000000000003&arch=x86_64&platform=efi")
case $s in *"PC-AVAIL"*) ok failing_mp_failover ;; *) not_ok failing_mp_failover "got: $(printf '%s' "$s" | head -2 | tr '\n' '|')" ;; esac
grep -q 'mp1 CCM_POST 503' "$T/mp.log" && ok mp1_was_asked || not_ok mp1_was_asked "mp1 never asked"

m=$($IN curl -s "$U/metrics")
f=$(printf '%s\n' "$m" | sed -n 's/^pxehub_plugin_sccm_mp_http_mp_failovers \([0-9]*\).*/\1/p')
[ "${f:-0}" -ge 2 ] && ok metrics_failovers || not_ok metrics_failovers "mp_failovers=${f:-none}"
echo "# mp_failovers=$f"

# ---- both MPs down: fail policy within the deadline, event says why ----
kill $MP1 $MP2; wait $MP1 $MP2 2>/dev/null
t0=$(date +%s%N)
s=$(script "mac=52-54-00-00-00-0f&uuid=&arch=x86_64&platform=efi")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
case $s in *"PS1200"*) not_ok down_fail_policy "got a deployment" ;; *) ok down_fail_policy ;; esac
[ $ms -lt 3500 ] && ok down_within_deadline || not_ok down_within_deadline "$ms ms"
echo "# both MPs down: /boot.ipxe answered in $ms ms"
i=0
while [ $i -lt 30 ] && ! grep -q 'event=plugin.*sccm_mp_http.*fail policy menu' "$T/pxehubd.log"; do
	sleep 0.1; i=$((i + 1))
done
grep -q 'event=plugin.*fail policy menu' "$T/pxehubd.log" && ok down_event || not_ok down_event "no plugin event"
kill -0 $PXH_PID && ok daemon_alive || not_ok daemon_alive "pxehubd died"
exit 0
