#!/bin/sh
# Safe API defaults (issue 20, item 4), with curl as anonymous caller, with
# the API token and with a client certificate:
# - client facts (serial, asset, UUID) are hidden from anonymous callers of
#   /api/v1/clients, /api/v1/status and / unless [http] public_facts = yes,
#   even when no token is configured at all;
# - POST /api/v1/report needs the token (or a client certificate) as soon
#   as api_token or client_ca is set, whatever require_auth says;
# - /plugins/NAME/ routes obey require_auth;
# - a /boot.ipxe the server refused, and a report without the token, do not
#   move a MAC's history to the caller's address (downloads from that
#   address would then be attributed to the victim).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/syslog_lib.sh"
pxh_init
for t in curl certtool; do command -v $t >/dev/null || { echo "skip test_api_auth # $t missing"; exit 77; }; done
NS=$(pxh_netns api)
IN="ip netns exec $NS"
TP=$PXH_TOP/$B/tests/plugins
[ -f "$TP/tp_fixed.so" ] || { echo "skip test_api_auth # test plugins not built"; exit 77; }
U=http://127.0.0.1:8080
V=52:54:00:77:00:01
FACTS="mac=$V&uuid=01234567-89ab-cdef-0123-456789abcdef&arch=x86_64&platform=pcbios&serial=SER-VICTIM&asset=ASSET-9"
code() { $IN curl -s -o /dev/null -w '%{http_code}' "$@"; }
clients() { $IN curl -s "$@" "$U/api/v1/clients"; }
# ip of MAC in /api/v1/clients (with the curl options given)
ip_of() { _m=$1; shift; clients "$@" | /usr/bin/python3 -c "import json,sys; print(([c['ip'] for c in json.load(sys.stdin)['clients'] if c['mac'] == '$_m'] or ['-'])[0])"; }
stop() { kill "$PXH_PID"; wait "$PXH_PID" 2>/dev/null; }

# conf FILE EXTRA-HTTP-LINES: plain HTTP on 8080, tp_fixed (route
# /plugins/tp_fixed/), 127.0.0.1 and 127.0.0.3 allowed, 127.0.0.2 not
conf() {
	pxh_conf "$1"
	sed -i "s|^dir = .*|dir = $TP|; s|^allow = all|allow = 127.0.0.1, 127.0.0.3|" "$1"
	printf '[dhcp]\nenabled = no\n[tftp]\nport = 0\n[http]\nport = 8080\nhttps_port = 0\nreport_rate = 1000\n%s\n' "$2" >>"$1"
	printf '[tp_fixed]\nenabled = yes\nverdict = next\n' >"$T/plugins.d/tp_fixed.conf"
}
REP='{"mac": "'$V'", "status": "started", "message": "x"}'

# ---- 1. nothing configured: facts hidden anyway; a refused /boot.ipxe and
# an unauthenticated report do not re-point the history ----------------------
conf "$T/a.conf" ""
PXH_LOG=$T/a.log pxh_daemon "$T/a.conf" "$NS" || { not_ok daemon_a; exit 1; }
[ "$(code "$U/boot.ipxe?$FACTS")" = 200 ] || not_ok "victim's boot.ipxe served"
c=$(clients)
case $c in *SER-VICTIM*|*ASSET-9*|*01234567-89AB*) not_ok facts_hidden_without_any_token "$c" ;;
*$V*) ok facts_hidden_without_any_token ;; *) not_ok facts_hidden_without_any_token "$c" ;; esac
c=$($IN curl -s "$U/")
case $c in *SER-VICTIM*) not_ok status_page_hides_facts ;; *$V*) ok status_page_hides_facts ;; *) not_ok status_page_hides_facts "$c" ;; esac
c=$($IN curl -s "$U/api/v1/status")
case $c in *SER-VICTIM*) not_ok status_json_hides_facts ;; *) ok status_json_hides_facts ;; esac
# the attacker at 127.0.0.2 (not allowed) claims the victim's MAC
c=$(code --interface 127.0.0.2 "$U/boot.ipxe?mac=$V&serial=EVIL")
ip=$(ip_of $V)
[ "$c" = 403 ] && [ "$ip" = 127.0.0.1 ] && ok refused_boot_ipxe_does_not_repoint_history \
	|| not_ok refused_boot_ipxe_does_not_repoint_history "HTTP $c, victim now at $ip"
m=$($IN curl -s "$U/metrics" | awk '$1 == "pxehub_http_rejected_total{reason=\"access\"}" { print $2 }')
[ "${m:-0}" -ge 1 ] && ok refused_boot_ipxe_counted || not_ok refused_boot_ipxe_counted "metric '$m'"
# an allowed address reports for the victim without a token (none is set:
# the report is taken, but as a claim)
c=$(code --interface 127.0.0.3 -H 'Content-Type: application/json' --data "$REP" "$U/api/v1/report")
ip=$(ip_of $V)
[ "$c" = 202 ] && [ "$ip" = 127.0.0.1 ] && ok anonymous_report_does_not_repoint_history \
	|| not_ok anonymous_report_does_not_repoint_history "HTTP $c, victim now at $ip"
stop

# ---- 2. public_facts = yes: the admin opted in -------------------------------
conf "$T/b.conf" "public_facts = yes"
PXH_LOG=$T/b.log pxh_daemon "$T/b.conf" "$NS" || { not_ok daemon_b; exit 1; }
$IN curl -s -o /dev/null "$U/boot.ipxe?$FACTS"
case $(clients) in *SER-VICTIM*) ok public_facts_opt_in ;; *) not_ok public_facts_opt_in ;; esac
stop

# ---- 3. a token, require_auth = no: reports need it, facts need it ----------
conf "$T/c.conf" "api_token = tok-123"
PXH_LOG=$T/c.log pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon_c; exit 1; }
$IN curl -s -o /dev/null "$U/boot.ipxe?$FACTS"
[ "$(code -H 'Content-Type: application/json' --data "$REP" "$U/api/v1/report")" = 401 ] \
	&& ok report_needs_token_once_set || not_ok report_needs_token_once_set
[ "$(code -H 'Authorization: Bearer tok-123' -H 'Content-Type: application/json' --data "$REP" "$U/api/v1/report")" = 202 ] \
	&& ok report_with_token_accepted || not_ok report_with_token_accepted
case $(clients -H 'Authorization: Bearer tok-123') in *SER-VICTIM*) ok facts_shown_with_token ;; *) not_ok facts_shown_with_token ;; esac
case $(clients) in *SER-VICTIM*) not_ok facts_hidden_token_anonymous ;; *) ok facts_hidden_token_anonymous ;; esac
[ "$(code "$U/plugins/tp_fixed/x")" = 200 ] && ok plugin_route_open_without_require_auth \
	|| not_ok plugin_route_open_without_require_auth
stop

# ---- 4. require_auth = yes: plugin routes too -----------------------------------
conf "$T/d.conf" "api_token = tok-123
require_auth = yes"
PXH_LOG=$T/d.log pxh_daemon "$T/d.conf" "$NS" || { not_ok daemon_d; exit 1; }
[ "$(code "$U/plugins/tp_fixed/x")" = 401 ] && ok plugin_route_obeys_require_auth \
	|| not_ok plugin_route_obeys_require_auth "$(code "$U/plugins/tp_fixed/x")"
[ "$(code -H 'Authorization: Bearer tok-123' "$U/plugins/tp_fixed/x")" = 200 ] \
	&& ok plugin_route_with_token || not_ok plugin_route_with_token
[ "$(code "$U/boot.ipxe")" = 200 ] && ok boot_path_needs_no_token || not_ok boot_path_needs_no_token
stop

# ---- 5. a client CA (HTTPS), no token: reports need a certificate ------------
if sl_pki; then
	conf "$T/e.conf" "client_ca = $P/ca.pem
cert = $P/srv.pem
key = $P/srv.key"
	sed -i 's/^https_port = 0/https_port = 8443/' "$T/e.conf"
	PXH_LOG=$T/e.log pxh_daemon "$T/e.conf" "$NS" || { not_ok daemon_e; exit 1; }
	S="--cacert $P/ca.pem https://127.0.0.1:8443/api/v1/report"
	[ "$(code -H 'Content-Type: application/json' --data "$REP" $S)" = 401 ] \
		&& ok report_needs_client_cert_once_ca_set || not_ok report_needs_client_cert_once_ca_set
	[ "$(code --cert "$P/cli.pem" --key "$P/cli.key" -H 'Content-Type: application/json' --data "$REP" $S)" = 202 ] \
		&& ok report_with_client_cert_accepted || not_ok report_with_client_cert_accepted
	[ "$(code -H 'Content-Type: application/json' --data "$REP" "$U/api/v1/report")" = 401 ] \
		&& ok report_plain_http_needs_auth_once_ca_set || not_ok report_plain_http_needs_auth_once_ca_set
	c=$($IN curl -s --cert "$P/cli.pem" --key "$P/cli.key" --cacert "$P/ca.pem" https://127.0.0.1:8443/api/v1/clients)
	case $c in *"$V"*) ok clients_with_client_cert ;; *) not_ok clients_with_client_cert "$c" ;; esac
	stop
else
	not_ok "test certificates made"
fi
exit $_pxh_failed
