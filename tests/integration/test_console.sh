#!/bin/sh
# The console at / in a real browser (headless Chromium + Selenium,
# console_browser.py) while real clients boot against the same pxehubd:
# scapy DHCP, tftp-hpa, curl and a slow HTTP download.  The live view shows
# the download in progress and then done, a machine's story lists its
# events in order, the filter finds a machine by serial (a hostile one is
# shown as text), plugin health shows a referral upstream going down when
# the test stops it, no console errors and no CSP violations.  The page's
# headers (CSP, cookie) and its sign-in page are checked with curl.  A
# screenshot lands in build/test-logs/console.png.
#
#   [c 10.54.0.77] -- veth -- [srv 10.54.0.1] pxehubd + an upstream (http.server)
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
for t in curl tftp chromium chromedriver; do
	command -v $t >/dev/null 2>&1 || { echo "skip test_console # $t missing"; exit 77; }
done
$PY -c 'import selenium, scapy' 2>/dev/null || { echo "skip test_console # python3-selenium or scapy missing"; exit 77; }

SRV=$(pxh_netns srv) C=$(pxh_netns c)
pxh_veth "$SRV" s0 10.54.0.1/24 "$C" c0 10.54.0.77/24
INC="ip netns exec $C"
U=http://10.54.0.1
TOK=console-token-1
LOGS=$PXH_TOP/$B/test-logs
mkdir -p "$LOGS"

pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOC
[boot]
loader_bios = undionly.kpxe
[dhcp]
rate_per_mac = 0
[log]
series_interval = 2
EOC
sed -i "s|^\[http\]|[http]\napi_token = $TOK\nstuck_after = 4s|" "$T/pxehub.conf"
head -c 100000 /dev/urandom >"$T/tftp/undionly.kpxe"
head -c 4000000 /dev/urandom >"$T/http/big.img"
# the referral plugin's upstream: a plain web server with a boot script
mkdir -p "$T/up"
printf '#!ipxe\necho upstream\n' >"$T/up/boot.ipxe"
ip netns exec "$SRV" $PY -m http.server -d "$T/up" -b 10.54.0.1 8081 >"$T/up.log" 2>&1 &
UP=$!
pxh_track $UP
cat >"$T/plugins.d/referral.conf" <<EOC
[referral]
enabled = yes
timeout = 2s
connect_timeout = 1s
health_interval = 1s
[referral.up]
match = 52:54:00:99
phase = ipxe
script_url = http://10.54.0.1:8081/boot.ipxe
EOC
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start "see log"; exit 1; }

# ---- the page's headers and the sign-in page (curl) ------------------------------
$INC curl -s -D "$T/h.txt" -o "$T/page.html" "$U/"
csp=$(grep -i '^content-security-policy:' "$T/h.txt" | tr -d '\r')
case "$csp" in
*"default-src 'self'"*"script-src 'self'"*"style-src 'self'"*)
	case "$csp" in *unsafe*) not_ok strict_csp "$csp" ;; *) ok strict_csp ;; esac ;;
*) not_ok strict_csp "$csp" ;;
esac
if grep -q '<script>' "$T/page.html" || grep -qi ' style=\| on[a-z]*=' "$T/page.html"; then
	not_ok no_inline_script_or_style "$(grep -o '<script>.\{0,40\}\| style=.\{0,20\}\| on[a-z]*=.\{0,20\}' "$T/page.html" | head -3)"
else ok no_inline_script_or_style; fi
c=$($INC curl -s -o /dev/null -w '%{http_code} %{content_type}' "$U/console.js")
[ "$c" = "200 text/javascript; charset=utf-8" ] && ok script_served_from_the_binary || not_ok script_served_from_the_binary "$c"
cmp -s "$PXH_TOP/core/http/console/console.js" - <<EOF2 && ok script_is_the_source_file || not_ok script_is_the_source_file
$($INC curl -s "$U/console.js")
EOF2
loc=$($INC curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -d "token=$TOK" "$U/login")
setc=$($INC curl -s -D - -o /dev/null -d "token=$TOK" "$U/login" | tr -d '\r' | grep -i '^set-cookie:')
case "$loc $setc" in
"303 $U/ Set-Cookie: pxehub_token=$TOK; Path=/; HttpOnly; SameSite=Strict") ok signin_sets_cookie ;;
*) not_ok signin_sets_cookie "$loc / $setc" ;;
esac
c=$($INC curl -s -o /dev/null -w '%{http_code}' -b "pxehub_token=$TOK" "$U/api/v1/clients?steps=no")
c2=$($INC curl -s -o /dev/null -w '%{http_code}' -b "pxehub_token=$TOK" -X POST \
	-H 'Content-Type: application/json' -d '{"mac":"52:54:00:54:00:09","status":"x"}' "$U/api/v1/report")
[ "$c" = 200 ] && [ "$c2" = 401 ] && ok cookie_reads_but_does_not_write || not_ok cookie_reads_but_does_not_write "GET $c POST $c2"

# ---- the browser ------------------------------------------------------------------
$INC $PY "$PXH_TOP/tests/integration/console_browser.py" "$U" "$TOK" "$PXH_TOP" \
	"$LOGS/console.png" "$UP" "$T/chromium" 2>"$T/browser.err"
rc=$?
[ $rc = 0 ] || echo "# browser: $(tail -5 "$T/browser.err" | tr '\n' ' ')"
[ -s "$LOGS/console.png" ] && ok "screenshot ($LOGS/console.png)" || not_ok screenshot

# ---- require_auth: the sign-in page alone ----------------------------------------
sed -i "s|^api_token = $TOK|api_token = $TOK\nrequire_auth = yes|" "$T/pxehub.conf"
kill -HUP $PXH_PID
i=0
while [ $i -lt 50 ] && [ "$($INC curl -s -o /dev/null -w '%{http_code}' "$U/")" != 401 ]; do sleep 0.1; i=$((i + 1)); done
$INC curl -s -o "$T/signin.html" "$U/"
if grep -q 'id="signin"' "$T/signin.html" && ! grep -q 'machines-table' "$T/signin.html"; then
	ok require_auth_shows_only_signin
else not_ok require_auth_shows_only_signin "$(head -c 300 "$T/signin.html")"; fi
c=$($INC curl -s -o /dev/null -w '%{http_code}' -b "pxehub_token=$TOK" "$U/")
[ "$c" = 200 ] && ok require_auth_cookie_opens || not_ok require_auth_cookie_opens "$c"
c=$($INC curl -s -o /dev/null -w '%{http_code}' -b "pxehub_token=nope" "$U/api/v1/now")
[ "$c" = 401 ] && ok wrong_cookie_401 || not_ok wrong_cookie_401 "$c"
kill $PXH_PID
wait $PXH_PID 2>/dev/null
exit $_pxh_failed
