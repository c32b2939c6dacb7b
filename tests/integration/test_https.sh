#!/bin/sh
# HTTPS: the generated self-signed certificate (RSA, FQDN and addresses as
# SANs, fingerprint logged), TLS 1.2/1.3 only, curl over TLS with Range and
# keep-alive, client certificates (right one accepted, wrong one refused),
# and testssl.sh with no finding rated HIGH or CRITICAL.
. "$(dirname "$0")/../lib.sh"
pxh_init
for t in curl gnutls-cli certtool; do
	command -v $t >/dev/null || { echo "skip test_https # $t missing"; exit 77; }
done
NS=$(pxh_netns tls) || exit 1
IN="ip netns exec $NS"
PORT=8050

base_conf() {
	pxh_conf "$1"
	sed -i 's/^\[server\]$/[server]\nlisten = 127.0.0.1\nfqdn = pxe.test/' "$1"
	cat >>"$1" <<EOF
[dhcp]
enabled = no
[tftp]
port = 0
EOF
}
base_conf "$T/gen.conf"
cat >>"$T/gen.conf" <<EOF
[http]
port = 0
https_port = $PORT
EOF
head -c 2000000 /dev/urandom >"$T/http/big.bin"
echo "hello tls" >"$T/http/hello.txt"

pxh_daemon "$T/gen.conf" "$NS" || { not_ok daemon_start; exit 1; }
ok daemon_start
CERT=$T/state/https-cert.pem
[ -s "$CERT" ] && ok cert_generated || not_ok cert_generated "no $CERT"
certtool -i --infile "$CERT" >"$T/cert.txt" 2>&1
bits=$(sed -n 's/.*Algorithm Security Level: .*(\([0-9]*\) bits).*/\1/p' "$T/cert.txt" | head -1)
grep -q 'Subject Public Key Algorithm: RSA' "$T/cert.txt" && [ "${bits:-0}" -ge 2048 ] &&
	ok cert_rsa_2048_plus || not_ok cert_rsa_2048_plus "bits=$bits"
grep -q 'DNSname: pxe.test' "$T/cert.txt" && grep -q 'IPAddress: 127.0.0.1' "$T/cert.txt" &&
	ok cert_sans || not_ok cert_sans "$(grep -A4 'Subject Alternative' "$T/cert.txt")"
fp=$(certtool --fingerprint --hash sha256 --infile "$CERT" 2>/dev/null | tr 'a-f' 'A-F')
logfp=$(sed -n 's/.*SHA-256 fingerprint \([0-9A-F:]*\).*/\1/p' "$T/pxehubd.log" | head -1 | tr -d ':')
[ -n "$fp" ] && [ "$fp" = "$logfp" ] && ok fingerprint_logged || not_ok fingerprint_logged "cert $fp log $logfp"

CURL="$IN curl -s --cacert $CERT --resolve pxe.test:$PORT:127.0.0.1"
U=https://pxe.test:$PORT
[ "$($CURL "$U/files/hello.txt")" = "hello tls" ] && ok https_verified_by_name || not_ok https_verified_by_name
$CURL -o "$T/big" "$U/files/big.bin" && cmp -s "$T/big" "$T/http/big.bin" && ok https_download || not_ok https_download
$CURL -r 500000-500999 -o "$T/part" "$U/files/big.bin"
dd if="$T/http/big.bin" of="$T/want" bs=1000 skip=500 count=1 2>/dev/null
cmp -s "$T/part" "$T/want" && ok https_range || not_ok https_range
conns=$($CURL -o /dev/null -o /dev/null -w '%{num_connects}\n' "$U/files/hello.txt" "$U/files/hello.txt" | tr '\n' ' ')
[ "$conns" = "1 0 " ] && ok https_keep_alive || not_ok https_keep_alive "$conns"
case $($CURL "$U/boot.ipxe") in "#!ipxe"*"chain https://pxe.test:$PORT/boot.ipxe?"*) ok https_boot_stage_one ;;
*) not_ok https_boot_stage_one ;; esac

tls() { $IN gnutls-cli --x509cafile "$CERT" --verify-hostname pxe.test -p $PORT 127.0.0.1 --priority "$1" </dev/null >"$T/gc.out" 2>&1; }
tls "NORMAL:-VERS-ALL:+VERS-TLS1.3" && ok tls13_accepted || not_ok tls13_accepted "$(tail -2 "$T/gc.out")"
tls "NORMAL:-VERS-ALL:+VERS-TLS1.2" && ok tls12_accepted || not_ok tls12_accepted "$(tail -2 "$T/gc.out")"
tls "NORMAL:-VERS-ALL:+VERS-TLS1.1" && not_ok tls11_refused "handshake succeeded" || ok tls11_refused
tls "NORMAL:-VERS-ALL:+VERS-TLS1.0" && not_ok tls10_refused "handshake succeeded" || ok tls10_refused
# a reload (as nobody, after a start as root) keeps the generated certificate
kill -HUP "$PXH_PID"
wait_for grep -q 'reloaded TLS certificate' "$T/pxehubd.log"
fp1=$(certtool --fingerprint --hash sha256 --infile "$CERT" 2>/dev/null | tr 'a-f' 'A-F')
[ "$fp" = "$fp1" ] && [ "$(grep -c 'using generated certificate' "$T/pxehubd.log")" -ge 1 ] &&
	[ "$(grep -c 'generated a self-signed' "$T/pxehubd.log")" = 1 ] &&
	tls "NORMAL:-VERS-ALL:+VERS-TLS1.3" && ok reload_keeps_generated_cert ||
	not_ok reload_keeps_generated_cert "fingerprint $fp -> $fp1; $(grep 'http:' "$T/pxehubd.log" | tail -3 | tr '\n' ' ')"
# a restart keeps the generated certificate
kill "$PXH_PID"; wait "$PXH_PID" 2>/dev/null
PXH_LOG=$T/gen2.log pxh_daemon "$T/gen.conf" "$NS" || not_ok restart
fp2=$(certtool --fingerprint --hash sha256 --infile "$CERT" 2>/dev/null | tr 'a-f' 'A-F')
[ "$fp" = "$fp2" ] && grep -q 'using generated certificate' "$T/gen2.log" && ok cert_reused || not_ok cert_reused
kill "$PXH_PID"; wait "$PXH_PID" 2>/dev/null

# ---- a site CA: server cert with CRL URL, client certificates --------------
P=$T/pki; mkdir -p "$P"
cat >"$P/ca.tmpl" <<EOF
cn = pxehub test CA
ca
cert_signing_key
crl_signing_key
expiration_days = 400
EOF
cat >"$P/srv.tmpl" <<EOF
cn = pxe.test
dns_name = pxe.test
ip_address = 127.0.0.1
tls_www_server
signing_key
encryption_key
crl_dist_points = http://pxe.test/ca.crl
expiration_days = 365
EOF
cat >"$P/cli.tmpl" <<EOF
cn = admin
tls_www_client
signing_key
expiration_days = 30
EOF
mk() { certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$P/$1.key" >/dev/null 2>&1; }
mk ca; mk srv; mk cli; mk other; mk rogue
certtool --generate-self-signed --load-privkey "$P/ca.key" --template "$P/ca.tmpl" --outfile "$P/ca.pem" >/dev/null 2>&1
certtool --generate-self-signed --load-privkey "$P/rogue.key" --template "$P/ca.tmpl" --outfile "$P/rogue.pem" >/dev/null 2>&1
certtool --generate-certificate --load-privkey "$P/srv.key" --load-ca-certificate "$P/ca.pem" \
	--load-ca-privkey "$P/ca.key" --template "$P/srv.tmpl" --outfile "$P/srv.pem" >/dev/null 2>&1
certtool --generate-certificate --load-privkey "$P/cli.key" --load-ca-certificate "$P/ca.pem" \
	--load-ca-privkey "$P/ca.key" --template "$P/cli.tmpl" --outfile "$P/cli.pem" >/dev/null 2>&1
certtool --generate-certificate --load-privkey "$P/other.key" --load-ca-certificate "$P/rogue.pem" \
	--load-ca-privkey "$P/rogue.key" --template "$P/cli.tmpl" --outfile "$P/other.pem" >/dev/null 2>&1
chmod 600 "$P"/*.key
[ -s "$P/srv.pem" ] && [ -s "$P/cli.pem" ] && [ -s "$P/other.pem" ] || { not_ok pki "certtool failed"; exit 1; }

base_conf "$T/ca.conf"
cat >>"$T/ca.conf" <<EOF
[http]
port = 0
https_port = $PORT
cert = $P/srv.pem
key = $P/srv.key
client_ca = $P/ca.pem
require_auth = yes
EOF
PXH_LOG=$T/ca.log pxh_daemon "$T/ca.conf" "$NS" || { not_ok ca_daemon; exit 1; }
CURL="$IN curl -s --cacert $P/ca.pem --resolve pxe.test:$PORT:127.0.0.1 -o /dev/null -w %{http_code}"
c=$($CURL --cert "$P/cli.pem" --key "$P/cli.key" "$U/api/v1/status")
[ "$c" = 200 ] && ok client_cert_accepted || not_ok client_cert_accepted "status $c"
c=$($CURL "$U/api/v1/status")
[ "$c" = 401 ] && ok no_client_cert_401 || not_ok no_client_cert_401 "status $c"
c=$($CURL "$U/files/hello.txt")
[ "$c" = 200 ] && ok files_without_client_cert || not_ok files_without_client_cert "status $c"
c=$($CURL --cert "$P/other.pem" --key "$P/other.key" "$U/api/v1/status")
case $c in 2??|4??) not_ok wrong_client_cert_refused "status $c" ;; *) ok wrong_client_cert_refused ;; esac
# TLS 1.3 checks the client's certificate after the client finished its
# handshake: what counts is that no answer comes back
printf 'GET /files/hello.txt HTTP/1.0\r\n\r\n' | $IN gnutls-cli --x509cafile "$P/ca.pem" \
	--x509certfile "$P/other.pem" --x509keyfile "$P/other.key" \
	-p $PORT 127.0.0.1 --verify-hostname pxe.test >"$T/gc.out" 2>&1
grep -q 'hello tls' "$T/gc.out" && not_ok wrong_client_cert_gnutls "served" || ok wrong_client_cert_gnutls
printf 'GET /files/hello.txt HTTP/1.0\r\n\r\n' | $IN gnutls-cli --x509cafile "$P/ca.pem" \
	--x509certfile "$P/cli.pem" --x509keyfile "$P/cli.key" \
	-p $PORT 127.0.0.1 --verify-hostname pxe.test >"$T/gc.out" 2>&1
grep -q 'hello tls' "$T/gc.out" && ok right_client_cert_gnutls || not_ok right_client_cert_gnutls "$(tail -3 "$T/gc.out")"

# ---- certificate renewal: SIGHUP reads cert and key again -------------------
# (same file names, new key, as certbot or an admin's renewal leaves them);
# a download open across the reload finishes on the old credentials
served_fp() {
	$IN gnutls-cli --x509cafile "$P/ca.pem" --verify-hostname pxe.test -p $PORT \
		--print-cert 127.0.0.1 </dev/null 2>/dev/null |
		sed -n '/BEGIN CERT/,/END CERT/p' | head -n "$(grep -c '' "$P/srv.pem")" >"$T/served.pem"
	certtool --fingerprint --hash sha256 --infile "$T/served.pem" 2>/dev/null
}
file_fp() { certtool --fingerprint --hash sha256 --infile "$1" 2>/dev/null; }
fp_old=$(file_fp "$P/srv.pem")
[ -n "$fp_old" ] && [ "$(served_fp)" = "$fp_old" ] && ok served_cert_before_renewal ||
	not_ok served_cert_before_renewal "served $(served_fp), file $fp_old"
$IN curl -s --cacert "$P/ca.pem" --resolve pxe.test:$PORT:127.0.0.1 --limit-rate 400k \
	-o "$T/slow.bin" "$U/files/big.bin" &
SLOW=$!
pxh_track $SLOW
sleep 1
mk srv2
certtool --generate-certificate --load-privkey "$P/srv2.key" --load-ca-certificate "$P/ca.pem" \
	--load-ca-privkey "$P/ca.key" --template "$P/srv.tmpl" --outfile "$P/srv2.pem" >/dev/null 2>&1
# the daemon runs as nobody after start: a reload reads the key as nobody
chown nobody "$P/srv.key"
cp "$P/srv2.pem" "$P/srv.pem"; cp "$P/srv2.key" "$P/srv.key"
fp_new=$(file_fp "$P/srv.pem")
kill -HUP "$PXH_PID"
wait_for grep -q 'reloaded TLS certificate' "$T/ca.log" && [ "$(served_fp)" = "$fp_new" ] &&
	[ "$fp_new" != "$fp_old" ] && ok sighup_serves_renewed_cert ||
	not_ok sighup_serves_renewed_cert "served $(served_fp), new $fp_new, old $fp_old"
wait $SLOW; rc=$?
[ $rc = 0 ] && cmp -s "$T/slow.bin" "$T/http/big.bin" && ok download_open_across_reload ||
	not_ok download_open_across_reload "curl rc $rc"
# a key that does not match: the reload says so and the last good pair stays
cp "$P/other.key" "$P/srv.key"
kill -HUP "$PXH_PID"
wait_for grep -q 'reload refused: the HTTPS certificate' "$T/ca.log" &&
	[ "$(served_fp)" = "$fp_new" ] && kill -0 "$PXH_PID" && ok bad_key_keeps_last_cert ||
	not_ok bad_key_keeps_last_cert "served $(served_fp); $(grep 'http:' "$T/ca.log" | tail -2 | tr '\n' ' ')"
cp "$P/srv2.key" "$P/srv.key"

# ---- testssl.sh: nothing rated HIGH or CRITICAL -----------------------------
if ! command -v testssl >/dev/null; then
	skip testssl_no_high_findings "testssl.sh not installed"
	exit 0
fi
kill "$PXH_PID"; wait "$PXH_PID" 2>/dev/null
sed -i '/^client_ca/d; /^require_auth/d' "$T/ca.conf"
PXH_LOG=$T/ts.log pxh_daemon "$T/ca.conf" "$NS" || { not_ok testssl_daemon; exit 1; }
echo "127.0.0.1 pxe.test" >"$T/hosts"
# testssl resolves pxe.test through the namespace's view of /etc/hosts
$IN unshare -m sh -c "mount --bind '$T/hosts' /etc/hosts && timeout 400 testssl --quiet --warnings off \
	--add-ca '$P/ca.pem' --severity HIGH --jsonfile '$T/ts.json' pxe.test:$PORT" >"$T/ts.out" 2>&1
if [ -s "$T/ts.json" ]; then
	bad=$(/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
print(' '.join(f['id'] for f in d if f.get('severity') in ('HIGH', 'CRITICAL')))" "$T/ts.json")
	[ -z "$bad" ] && ok testssl_no_high_findings || not_ok testssl_no_high_findings "$bad"
else
	not_ok testssl_no_high_findings "no JSON output: $(tail -3 "$T/ts.out")"
fi
exit 0
