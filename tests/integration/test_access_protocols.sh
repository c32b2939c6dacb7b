#!/bin/sh
# [access] holds on every protocol (issue 20, items 1 and 10), in two
# namespaces: the server 10.70.0.1 and a client host with an allowed
# address (.2) and a refused one (.99).  Clients: curl (TFTP and HTTP, bound
# to one address with --interface) and scapy-built DHCP packets
# (access_client.py).  Checked:
# - TFTP, /files/, /tftp/, /boot.ipxe refuse the address outside allow;
# - a REQUEST to 4011 whose ciaddr claims an allowed address is judged by
#   its real source; a DISCOVER with a forged giaddr is dropped (no offer
#   reaches that "relay");
# - MAC rules on HTTP match only the MAC the DHCP phase saw at that address,
#   never a ?mac= claim;
# - [access] tftp = any / files = any open those protocols (after a reload);
# - a flood of random MACs from the refused address evicts no machine from
#   the history and is counted by reason in /metrics.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
AC="$PY $PXH_TOP/tests/integration/access_client.py"
command -v curl >/dev/null || { echo "skip test_access_protocols # curl missing"; exit 77; }
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_access_protocols # python3-scapy missing"; exit 77; }
SRV=$(pxh_netns srv) CLI=$(pxh_netns cli)
pxh_veth "$SRV" s0 10.70.0.1/24 "$CLI" c0 10.70.0.2/24
ip -n "$CLI" addr add 10.70.0.99/24 dev c0
ip -n "$CLI" addr add 10.70.0.5/24 dev c0
IN="ip netns exec $CLI"
S=10.70.0.1
code() { _from=$1; shift; $IN curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface "$_from" "$@"; }
tftp_get() { $IN curl -s --max-time 5 --interface "$1" "tftp://$S/$2"; }
metric() { $IN curl -s --interface 10.70.0.2 "http://$S/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }

pxh_conf "$T/pxehub.conf"
sed -i 's|^allow = all|allow = 10.70.0.0/28, 52:54:00:aa|' "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[http]
https_port = 0
[boot]
loader_efi_x64 = snponly.efi
[dhcp]
rate_per_mac = 0
[log]
recent_clients = 64
EOF
echo tftp-ok >"$T/tftp/t.bin"
echo http-ok >"$T/http/h.bin"
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start; exit 1; }

# ---- TFTP and HTTP by the peer's address --------------------------------------
[ "$(tftp_get 10.70.0.2 t.bin)" = tftp-ok ] && ok tftp_allowed_address_served || not_ok tftp_allowed_address_served
[ -z "$(tftp_get 10.70.0.99 t.bin)" ] && ok tftp_refused_outside_allow || not_ok tftp_refused_outside_allow "served"
[ "$(code 10.70.0.2 "http://$S/files/h.bin")" = 200 ] && ok files_allowed_address_served || not_ok files_allowed_address_served
c=$(code 10.70.0.99 "http://$S/files/h.bin")
[ "$c" = 403 ] && ok files_refused_outside_allow || not_ok files_refused_outside_allow "HTTP $c"
c=$(code 10.70.0.99 "http://$S/tftp/t.bin")
[ "$c" = 403 ] && ok http_tftp_refused_outside_allow || not_ok http_tftp_refused_outside_allow "HTTP $c"
c=$(code 10.70.0.99 "http://$S/boot.ipxe?mac=52:54:00:aa:00:09&arch=x86_64")
[ "$c" = 403 ] && ok boot_ipxe_refused_by_peer_address || not_ok boot_ipxe_refused_by_peer_address "HTTP $c"

# ---- MAC rules on HTTP: only what the DHCP phase saw at that address -----------
# .99 is outside the subnet rule; 52:54:00:aa is an allowed MAC prefix
c=$(code 10.70.0.99 "http://$S/files/h.bin?mac=52:54:00:aa:00:01")
[ "$c" = 403 ] && ok http_mac_claim_in_query_ignored || not_ok http_mac_claim_in_query_ignored "HTTP $c"
r=$($IN $AC pxe 10.70.0.99 $S 52:54:00:aa:00:01)
case $r in "ack snponly.efi") ok dhcp_4011_allowed_by_mac ;; *) not_ok dhcp_4011_allowed_by_mac "$r" ;; esac
c=$(code 10.70.0.99 "http://$S/files/h.bin")
[ "$c" = 200 ] && ok http_mac_rule_matches_dhcp_seen_mac || not_ok http_mac_rule_matches_dhcp_seen_mac "HTTP $c"
[ "$(tftp_get 10.70.0.99 t.bin)" = tftp-ok ] && ok tftp_mac_rule_matches_dhcp_seen_mac || not_ok tftp_mac_rule_matches_dhcp_seen_mac

# ---- DHCP: ciaddr and giaddr are the client's words -------------------------------
# a new refused address for these: .77 (outside the /28, no MAC rule match)
ip -n "$CLI" addr add 10.70.0.77/24 dev c0
r=$($IN $AC pxe 10.70.0.77 $S 02:00:00:00:00:77 --ciaddr 10.70.0.2)
[ "$r" = none ] && ok dhcp_forged_ciaddr_not_trusted || not_ok dhcp_forged_ciaddr_not_trusted "$r"
r=$($IN $AC pxe 10.70.0.2 $S 02:00:00:00:00:02)
case $r in ack*) ok dhcp_4011_allowed_by_source ;; *) not_ok dhcp_4011_allowed_by_source "$r" ;; esac
before=$(metric 'pxehub_dhcp_dropped_total{reason="relay"}')
r=$($IN $AC giaddr 10.70.0.77 $S 02:00:00:00:00:78 10.70.0.5)
after=$(metric 'pxehub_dhcp_dropped_total{reason="relay"}')
[ "$r" = none ] && [ "${after:-0}" -gt "${before:-0}" ] && ok dhcp_forged_giaddr_dropped \
	|| not_ok dhcp_forged_giaddr_dropped "$r, relay drops ${before:-?} -> ${after:-?}"

# ---- item 10: a flood of random MACs from the refused address ------------------------
# the real machine (02:..:02 at .2, seen above) must stay in the 64-entry history
$IN $AC flood 10.70.0.77 $S 300 >/dev/null
sleep 0.5
hist=$($IN curl -s --interface 10.70.0.2 "http://$S/api/v1/clients")
n=$(echo "$hist" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["clients"]))')
case $hist in *02:00:00:00:00:02*) ok flood_keeps_real_client_history ;;
*) not_ok flood_keeps_real_client_history "$n clients in the history" ;; esac
d=$(metric 'pxehub_dhcp_dropped_total{reason="access"}')
[ "${d:-0}" -ge 300 ] && ok flood_counted_as_access_drops || not_ok flood_counted_as_access_drops "dropped ${d:-?}"
lines=$(grep -c 'dhcp refused' "$T/pxehubd.log")
[ "$lines" -le 40 ] && ok flood_refusals_log_rate_limited || not_ok flood_refusals_log_rate_limited "$lines lines"

# ---- the opt-out: [access] tftp = any, files = any (applied by a reload) -----------
sed -i 's|^allow = .*|&\ntftp = any\nfiles = any|' "$T/pxehub.conf"
kill -HUP "$PXH_PID"
wait_for grep -q 'reload' "$T/pxehubd.log"
open_tftp() { [ "$(tftp_get 10.70.0.77 t.bin)" = tftp-ok ]; }
if wait_for open_tftp; then ok tftp_any_serves_everyone; else not_ok tftp_any_serves_everyone; fi
c=$(code 10.70.0.77 "http://$S/files/h.bin")
[ "$c" = 200 ] && ok files_any_serves_everyone || not_ok files_any_serves_everyone "HTTP $c"
c=$(code 10.70.0.77 "http://$S/boot.ipxe?mac=02:00:00:00:00:77")
[ "$c" = 403 ] && ok files_any_leaves_boot_ipxe_guarded || not_ok files_any_leaves_boot_ipxe_guarded "HTTP $c"
kill -0 "$PXH_PID" && ok pxehubd_still_running || not_ok pxehubd_still_running
exit $_pxh_failed
