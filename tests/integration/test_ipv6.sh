#!/bin/sh
# TFTP, HTTP and HTTPS over IPv6 (issue 24), pxehubd in a namespace, real
# clients in another: tftp-hpa (-6), atftp, curl -6 (global and link-local
# with its zone), gnutls-cli.  Checked:
# - [server] listen = s0 (an interface: both families) serves v6 and v4;
# - files arrive byte-exact over v6 from every client; blksize over v6 is
#   the path MTU's (1500 - 40 - 8 - 4 = 1448, not IPv4's 1468);
# - link-local: fe80::1%c0 for HTTP and TFTP; the zone is the client's;
# - [access] IPv6 prefixes allow and deny by the peer's address, over TFTP
#   and HTTP;
# - /boot.ipxe writes URLs with bracketed literals (http://[2001:db8::1]/);
# - the status API lists the v6 sockets and the console's transfers/history
#   show the v6 client; events carry the v6 address;
# - pxehubctl decide --ip/--server-ip with v6 addresses;
# - pxehubd -t rejects link-local listen addresses without a zone and bad
#   v6 rules with FILE:LINE; listen = 2001:db8::1 (an address) works alone;
# - [http] max_per_client counts per IPv6 address, not per /64.
. "$(dirname "$0")/../lib.sh"
pxh_init
for c in curl tftp atftp gnutls-cli; do
	command -v $c >/dev/null || { echo "skip test_ipv6 # $c missing"; exit 77; }
done
[ -f "$PXH_PLUGINS/script_exec.so" ] || { echo "skip test_ipv6 # script_exec.so not built"; exit 77; }

SRV=$(pxh_netns srv) CLI=$(pxh_netns cli)
# no duplicate address detection: addresses are usable at once
for n in $SRV $CLI; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
pxh_veth "$SRV" s0 10.71.0.1/24 "$CLI" c0 10.71.0.2/24
ip -n "$SRV" addr add 2001:db8:71::1/64 dev s0 nodad
ip -n "$SRV" addr add 2001:db8:72::1/64 dev s0 nodad
ip -n "$SRV" addr add fe80::1/64 dev s0 nodad
ip -n "$CLI" addr add 2001:db8:71::2/64 dev c0 nodad
# deprecated (preferred_lft 0): never picked as a source unless bound
ip -n "$CLI" addr add 2001:db8:71::99/64 dev c0 nodad preferred_lft 0
ip -n "$CLI" addr add 2001:db8:72::5/64 dev c0 nodad preferred_lft 0
ip -n "$CLI" addr add 2001:db8:71::3/64 dev c0 nodad preferred_lft 0
ip -n "$CLI" addr add fe80::2/64 dev c0 nodad
IN="ip netns exec $CLI"
S6=2001:db8:71::1

pxh_conf "$T/pxehub.conf"
# allowed: 2001:db8:71::/64 (but not ::99), link-local, IPv4;
# 2001:db8:72::/64 is in no allow rule
sed -i 's|^allow = all|allow = 2001:db8:71::/64, fe80::/10, 10.71.0.0/24\ndeny = 2001:db8:71::99/128|' "$T/pxehub.conf"
sed -i "s|^\[server\]|[server]\nlisten = s0|" "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[http]
port = 8080
https_port = 8443
public_facts = yes
[log]
recent_clients = 64
EOF
mkdir -p "$T/scripts"
# a boot answer with URLs the server makes absolute with its own address
cat >"$T/scripts/kernel.sh" <<'EOF'
#!/bin/sh
printf '{"kernel": {"kernel": "/files/vmlinuz", "initrd": "/files/initrd.gz", "cmdline": "ip=dhcp%s"}}\n' \
	"${PXEHUB_DUID:+ duid=$PXEHUB_DUID link=$PXEHUB_LINK_ADDR relay=$PXEHUB_RELAY}"
EOF
chmod 755 "$T/scripts" "$T/scripts/kernel.sh"
cat >"$T/plugins.d/script_exec.conf" <<EOF
[script_exec]
enabled = yes
boot_images = $T/scripts/kernel.sh
timeout = 2s
EOF
head -c 300000 /dev/urandom >"$T/tftp/big.bin"
echo http-ok >"$T/http/h.bin"
chmod 644 "$T/tftp/big.bin" "$T/http/h.bin"

# ---- -t: zones and prefixes, FILE:LINE ------------------------------------------
printf '[server]\nlisten = fe80::1\n[access]\nallow = all\ndeny = 2001:db8::/129\n' >"$T/bad.conf"
out=$("$PXHD" -t -c "$T/bad.conf" 2>&1)
if echo "$out" | grep -q "bad.conf:2: .*listen.*link-local" &&
   echo "$out" | grep -q "bad.conf:5: .*deny.*2001:db8::/129"; then ok t_v6_listen_and_rule_errors_with_line
else not_ok t_v6_listen_and_rule_errors_with_line "$out"; fi

pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start; exit 1; }

# ---- TFTP over IPv6 ---------------------------------------------------------------
rm -f "$T/o1"
$IN timeout 30 tftp -6 $S6 -m binary -c get big.bin "$T/o1" >/dev/null 2>&1
cmp -s "$T/o1" "$T/tftp/big.bin" && ok tftp_hpa_v6_byte_exact || not_ok tftp_hpa_v6_byte_exact "$(ls -l "$T/o1" 2>&1)"
rm -f "$T/o2"
$IN timeout 30 atftp --option "blksize 1468" --option "windowsize 8" -g -r big.bin -l "$T/o2" $S6 >/dev/null 2>&1
cmp -s "$T/o2" "$T/tftp/big.bin" && ok atftp_v6_window_byte_exact || not_ok atftp_v6_window_byte_exact "$(ls -l "$T/o2" 2>&1)"
# 1500 (veth MTU) - 40 (IPv6) - 8 (UDP) - 4 (TFTP) = 1448
if grep -q "tftp: sending big.bin .*blksize=1448 windowsize=8" "$T/pxehubd.log"; then ok tftp_v6_blksize_path_mtu
else not_ok tftp_v6_blksize_path_mtu "$(grep 'tftp: sending big.bin' "$T/pxehubd.log" | tail -2)"; fi
rm -f "$T/o3"
$IN timeout 30 curl -s -g -o "$T/o3" --tftp-blksize 1400 "tftp://[$S6]/big.bin"
cmp -s "$T/o3" "$T/tftp/big.bin" && ok curl_tftp_v6_byte_exact || not_ok curl_tftp_v6_byte_exact
rm -f "$T/o4"
$IN timeout 30 tftp -6 fe80::1%c0 -m binary -c get big.bin "$T/o4" >/dev/null 2>&1
cmp -s "$T/o4" "$T/tftp/big.bin" && ok tftp_hpa_link_local_byte_exact || not_ok tftp_hpa_link_local_byte_exact "$(ls -l "$T/o4" 2>&1)"
# IPv4 beside it, from the same sockets' server
rm -f "$T/o5"
$IN timeout 30 tftp -4 10.71.0.1 -m binary -c get big.bin "$T/o5" >/dev/null 2>&1
cmp -s "$T/o5" "$T/tftp/big.bin" && ok tftp_v4_still_served || not_ok tftp_v4_still_served

# ---- [access] by IPv6 prefix, TFTP --------------------------------------------------
tftp_from() { $IN timeout 10 curl -s -g --max-time 5 --interface "$1" "tftp://[$S6]/big.bin" | wc -c; }
[ "$(tftp_from 2001:db8:71::2)" = 300000 ] && ok tftp_v6_allowed_prefix || not_ok tftp_v6_allowed_prefix
[ "$(tftp_from 2001:db8:71::99)" = 0 ] && ok tftp_v6_denied_address || not_ok tftp_v6_denied_address "served"
[ "$(tftp_from 2001:db8:72::5)" = 0 ] && ok tftp_v6_outside_allow || not_ok tftp_v6_outside_allow "served"
grep -q "tftp refused: ip=2001:db8:71::99 denied by \[access\] deny rule '2001:db8:71::99/128'" "$T/pxehubd.log" \
	&& ok tftp_v6_refusal_logged || not_ok tftp_v6_refusal_logged

# ---- HTTP and HTTPS over IPv6 -------------------------------------------------------
code() { _from=$1; shift; $IN curl -s -g -o /dev/null -w '%{http_code}' --max-time 5 --interface "$_from" "$@"; }
[ "$($IN curl -s -g -6 --max-time 5 "http://[$S6]:8080/files/h.bin")" = http-ok ] \
	&& ok http_v6_global || not_ok http_v6_global
[ "$($IN curl -s -g -6 --max-time 5 "http://[fe80::1%25c0]:8080/files/h.bin")" = http-ok ] \
	&& ok http_v6_link_local_zone || not_ok http_v6_link_local_zone
[ "$($IN curl -s -g -k -6 --max-time 5 "https://[$S6]:8443/files/h.bin")" = http-ok ] \
	&& ok https_v6_curl || not_ok https_v6_curl
r=$(printf 'GET /files/h.bin HTTP/1.0\r\nHost: [%s]\r\n\r\n' "$S6" |
	$IN timeout 10 gnutls-cli --insecure --port 8443 "$S6" 2>/dev/null | tr -d '\r')
echo "$r" | grep -q '^http-ok$' && ok https_v6_gnutls_cli || not_ok https_v6_gnutls_cli "$(echo "$r" | head -3)"
[ "$($IN curl -s --max-time 5 "http://10.71.0.1:8080/files/h.bin")" = http-ok ] \
	&& ok http_v4_still_served || not_ok http_v4_still_served
c=$(code 2001:db8:71::99 "http://[$S6]:8080/files/h.bin")
[ "$c" = 403 ] && ok http_v6_denied_address || not_ok http_v6_denied_address "HTTP $c"
c=$(code 2001:db8:72::5 "http://[2001:db8:72::1]:8080/files/h.bin")
[ "$c" = 403 ] && ok http_v6_outside_allow || not_ok http_v6_outside_allow "HTTP $c"
c=$(code 2001:db8:71::99 "http://[$S6]:8080/boot.ipxe?mac=52:54:00:aa:00:09&arch=x86_64")
[ "$c" = 403 ] && ok boot_ipxe_v6_denied || not_ok boot_ipxe_v6_denied "HTTP $c"

# ---- /boot.ipxe: bracketed URLs ----------------------------------------------------
s=$($IN curl -s -g --max-time 10 "http://[$S6]:8080/boot.ipxe?mac=52:54:00:71:00:02&arch=x86_64")
if echo "$s" | grep -q "^kernel http://\[$S6\]:8080/files/vmlinuz ip=dhcp" &&
   echo "$s" | grep -q "^initrd -n initrd.gz http://\[$S6\]:8080/files/initrd.gz"; then ok boot_ipxe_v6_bracketed_urls
else not_ok boot_ipxe_v6_bracketed_urls "$(echo "$s" | tr '\n' '|')"; fi
# the history has the machine at its v6 address
cl=$($IN curl -s -g --max-time 5 "http://[$S6]:8080/api/v1/clients")
echo "$cl" | grep -q '"2001:db8:71::2"' && ok history_shows_v6_client || not_ok history_shows_v6_client "$(echo "$cl" | head -c 400)"
# link-local: the URL has no zone (iPXE takes the booting interface)
s=$($IN curl -s -g --max-time 10 "http://[fe80::1%25c0]:8080/boot.ipxe?mac=52:54:00:71:00:02&arch=x86_64")
echo "$s" | grep -q "^kernel http://\[fe80::1\]:8080/files/vmlinuz" && ok boot_ipxe_link_local_no_zone \
	|| not_ok boot_ipxe_link_local_no_zone "$(echo "$s" | tr '\n' '|')"

# ---- status, history, events ------------------------------------------------------
st=$($IN curl -s -g --max-time 5 "http://[$S6]:8080/api/v1/status")
echo "$st" | /usr/bin/python3 -c '
import json, sys
l = json.load(sys.stdin)["listening"]
want = {("udp6", "::", 69), ("tcp6", "2001:db8:71::1", 8080), ("tcp6", "fe80::1", 8443), ("udp", "0.0.0.0", 69)}
have = {(s["proto"], s["address"], s["port"]) for s in l}
sys.exit(0 if want <= have else print(sorted(have)) or 1)' && ok status_lists_v6_sockets || not_ok status_lists_v6_sockets "$(echo "$st" | head -c 600)"

# ---- pxehubctl decide with a v6 client ------------------------------------------------
d=$("$PXHCTL" -c "$T/pxehub.conf" decide --phase ipxe --mac 52:54:00:71:00:02 --arch efi-x64 \
	--ip 2001:db8:71::2 --server-ip 2001:db8:71::1 2>&1)
echo "$d" | grep -q "^kernel http://\[2001:db8:71::1\]:8080/files/vmlinuz" && ok decide_v6_client \
	|| not_ok decide_v6_client "$(echo "$d" | tr '\n' '|')"
# the ABI 1.1 facts reach a plugin (script_exec's environment)
d=$("$PXHCTL" -c "$T/pxehub.conf" decide --phase ipxe --mac 52:54:00:71:00:02 --arch efi-x64 \
	--ip 2001:db8:71::2 --server-ip 2001:db8:71::1 --duid 00030001525400710002 \
	--relay 2001:db8:71::fe --link-addr 2001:db8:71:: 2>&1)
echo "$d" | grep -q "ip=dhcp duid=00:03:00:01:52:54:00:71:00:02 link=2001:db8:71:: relay=2001:db8:71::fe" \
	&& ok decide_v6_duid_relay_facts || not_ok decide_v6_duid_relay_facts "$(echo "$d" | tr '\n' '|')"
"$PXHCTL" -c "$T/pxehub.conf" decide --mac 52:54:00:71:00:02 --ip 2001:db8::zz >/dev/null 2>&1 \
	&& not_ok decide_bad_v6_refused || ok decide_bad_v6_refused
d=$("$PXHCTL" -c "$T/pxehub.conf" decide --mac 52:54:00:71:00:02 --arch efi-x64 --ip 2001:db8:72::5 2>&1)
echo "$d" | grep -q "reason: no \[access\] allow rule matches" && ok decide_v6_outside_allow \
	|| not_ok decide_v6_outside_allow "$(echo "$d" | tr '\n' '|')"

# ---- listen = an IPv6 address alone --------------------------------------------------
kill $PXH_PID; wait $PXH_PID 2>/dev/null
sed -i "s|^listen = s0|listen = $S6, fe80::1%s0|; s|^public_facts = yes|public_facts = yes\nmax_per_client = 1|" "$T/pxehub.conf"
PXH_LOG=$T/pxehubd2.log pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_v6_only_start; exit 1; }
[ "$($IN curl -s -g --max-time 5 "http://[$S6]:8080/files/h.bin")" = http-ok ] \
	&& ok listen_v6_address_http || not_ok listen_v6_address_http
[ "$($IN curl -s -g --max-time 5 "http://[fe80::1%25c0]:8080/files/h.bin")" = http-ok ] \
	&& ok listen_link_local_zone_http || not_ok listen_link_local_zone_http
[ -z "$($IN curl -s --max-time 3 "http://10.71.0.1:8080/files/h.bin")" ] \
	&& ok listen_v6_only_no_v4 || not_ok listen_v6_only_no_v4 "served on IPv4"
# pxehubctl finds the daemon at its first IPv6 listen address
out=$(ip netns exec "$SRV" "$PXHCTL" -c "$T/pxehub.conf" status 2>&1) && ok ctl_status_v6_listen \
	|| not_ok ctl_status_v6_listen "$(echo "$out" | head -3 | tr '\n' '|')"
rm -f "$T/o6"
$IN timeout 30 tftp -6 $S6 -m binary -c get big.bin "$T/o6" >/dev/null 2>&1
cmp -s "$T/o6" "$T/tftp/big.bin" && ok listen_v6_address_tftp || not_ok listen_v6_address_tftp
# max_per_client counts per IPv6 address, not per /64: ::2 holding its one
# connection is refused a second, ::3 on the same /64 is served
sleep 0.5
$IN /usr/bin/python3 -c 'import socket, time
s = socket.create_connection(("'$S6'", 8080), source_address=("2001:db8:71::2", 0))
time.sleep(8)' &
HOLD=$!
pxh_track $HOLD
sleep 1
c=$(code 2001:db8:71::2 "http://[$S6]:8080/files/h.bin")
[ "$c" = 503 ] && ok http_max_per_client_v6_address || not_ok http_max_per_client_v6_address "HTTP $c"
c=$(code 2001:db8:71::3 "http://[$S6]:8080/files/h.bin")
[ "$c" = 200 ] && ok http_max_per_client_not_per_64 || not_ok http_max_per_client_not_per_64 "HTTP $c"
kill $HOLD 2>/dev/null
exit $_pxh_failed
