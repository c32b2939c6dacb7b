# Shared by the syslog_stifler tests (sourced after tests/lib.sh, pxh_init
# and NS=$(pxh_netns ...)): certificates, a private rsyslog, counters.
SL_PY=/usr/bin/python3
SL_TOOLS="$SL_PY $PXH_TOP/tests/integration/syslog_tools.py"

sl_need() { # TEST-NAME: exit 77 unless the tools are there
	for _t in rsyslogd certtool tshark tftp curl; do
		command -v $_t >/dev/null 2>&1 || { echo "skip $1 # $_t missing"; exit 77; }
	done
	ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || { echo "skip $1 # rsyslog-gnutls missing"; exit 77; }
	[ -f "$PXH_PLUGINS/syslog_stifler.so" ] || { echo "skip $1 # plugin not built"; exit 77; }
}

# (never background inns: $! would be the subshell, not the program)
inns() { ip netns exec "$NS" "$@"; }

# sl_pki: $P/{ca,other,srv,cli}.{pem,key}: a CA, an unrelated CA, the
# collector's certificate (localhost, 127.0.0.1) and a client certificate.
_sl_cert() { # NAME TEMPLATE-LINES [ISSUER]
	certtool --generate-privkey --key-type=ecdsa --outfile "$P/$1.key" >/dev/null 2>&1
	printf "$2" >"$P/$1.tmpl"
	if [ -z "${3:-}" ]; then
		certtool --generate-self-signed --load-privkey "$P/$1.key" --template "$P/$1.tmpl" \
			--outfile "$P/$1.pem" >/dev/null 2>&1
	else
		certtool --generate-certificate --load-privkey "$P/$1.key" --load-ca-certificate "$P/$3.pem" \
			--load-ca-privkey "$P/$3.key" --template "$P/$1.tmpl" --outfile "$P/$1.pem" >/dev/null 2>&1
	fi
}
sl_pki() {
	P=$T/pki
	mkdir -p "$P"
	_sl_cert ca 'cn = "pxehub test CA"\nca\ncert_signing_key\nexpiration_days = 2\n'
	_sl_cert other 'cn = "some other CA"\nca\ncert_signing_key\nexpiration_days = 2\n'
	_sl_cert srv 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' ca
	_sl_cert cli 'cn = "pxehub-client"\ndns_name = "pxehub-client"\ntls_www_client\nsigning_key\nexpiration_days = 2\n' ca
	chmod 644 "$P"/*.key # pxehubd reads them as nobody
	[ -s "$P/cli.pem" ]
}

# sl_rsyslog_conf FILE: the head of an rsyslog config: TLS files, input
# modules, mmpstrucdata and the JSON template; then sl_listener per port.
sl_rsyslog_conf() {
	mkdir -p "$T/rs-work"
	cat >"$1" <<EOC
global(workDirectory="$T/rs-work"
       DefaultNetstreamDriverCAFile="$P/ca.pem"
       DefaultNetstreamDriverCertFile="$P/srv.pem"
       DefaultNetstreamDriverKeyFile="$P/srv.key")
module(load="imudp")
module(load="imtcp")
module(load="mmpstrucdata")
template(name="json" type="list") {
  constant(value="{")
  property(outname="msgid" name="msgid" format="jsonf") constant(value=",")
  property(outname="app" name="app-name" format="jsonf") constant(value=",")
  property(outname="host" name="hostname" format="jsonf") constant(value=",")
  property(outname="pri" name="pri" format="jsonf") constant(value=",")
  property(outname="procid" name="procid" format="jsonf") constant(value=",")
  property(outname="ts" name="timereported" dateFormat="rfc3339" format="jsonf") constant(value=",")
  property(outname="msg" name="msg" format="jsonf") constant(value=",")
  constant(value="\"sd\":") property(name="\$!rfc5424-sd")
  constant(value="}\n")
}
EOC
}
# sl_listener FILE NAME INPUT-PARAMS: events arriving there go to
# $T/out-NAME.json, one JSON object a line.
sl_listener() {
	cat >>"$1" <<EOC
input($3 ruleset="r_$2")
ruleset(name="r_$2") {
  action(type="mmpstrucdata")
  action(type="omfile" file="$T/out-$2.json" template="json")
}
EOC
}

sl_listening() { inns ss -Hltn "sport = :$1" | grep -q .; }
# sl_rsyslog CONF NAME PORT: start rsyslogd -n in $NS (pid in RS_PID), wait
# until PORT listens.
sl_rsyslog() {
	ip netns exec "$NS" rsyslogd -n -f "$1" -i "$T/rsyslog-$2.pid" >>"$T/rsyslog-$2.log" 2>&1 &
	RS_PID=$!
	pxh_track $RS_PID
	wait_for sl_listening "$3"
}
# sl_stop PID: SIGTERM and wait (5 s at most) until it is gone.
sl_stop() {
	kill "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	wait "$1" 2>/dev/null
	! kill -0 "$1" 2>/dev/null
}

sl_metric() { inns curl -s http://127.0.0.1:8080/metrics | awk -v n="pxehub_plugin_syslog_stifler_$1" '$1 == n { print $2 }'; }
sl_lines() { grep -c . "$1" 2>/dev/null || echo 0; }
sl_wait_lines() { # FILE N: until FILE has N lines (10 s at most)
	_i=0
	while [ $_i -lt 100 ]; do [ "$(sl_lines "$1")" -ge "$2" ] && return 0; sleep 0.1; _i=$((_i + 1)); done
	return 1
}

# sl_pxh_conf FILE: pxh_conf plus HTTP on 8080 only and a loader for PXE.
sl_pxh_conf() {
	pxh_conf "$1"
	sed -i "s|^root = $T/http|&\nport = 8080\nhttps_port = 0\nreport_rate = 1000|" "$1"
	printf '[boot]\nloader_efi_x64 = snponly.efi\n[dhcp]\nrate_per_mac = 0\n' >>"$1"
}
