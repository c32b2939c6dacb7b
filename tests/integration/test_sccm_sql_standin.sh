#!/bin/sh
# The TDS stand-in itself, checked with real clients and an independent
# decoder: FreeTDS's tsql (TDS 7.4, plain and TLS "encryption = require"),
# python3-pymssql (SQL batch with typed results, RPC through callproc,
# NULLs, GUID byte order, errors, login failure), and tshark's TDS
# dissector reading the packets on the wire.
. "$(dirname "$0")/../lib.sh"
pxh_init
PY=/usr/bin/python3
for t in tsql tshark openssl; do
	command -v $t >/dev/null || { echo "skip test_sccm_sql_standin # $t missing"; exit 77; }
done
$PY -c "import pymssql" 2>/dev/null || { echo "skip test_sccm_sql_standin # python3-pymssql missing"; exit 77; }
NS=$(pxh_netns tds) || exit 1
IN="ip netns exec $NS"
TDS=$PXH_TOP/tests/tds

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 1 -subj /CN=cmsql >/dev/null 2>&1
pxh_tshark "$NS" "$T/tds.pcap" -q -i lo -f "tcp port 1433" || { not_ok standin_up "no capture"; exit 1; }
$IN $PY "$TDS/tds_server.py" --schema "$TDS/schema.sql" --procs "$TDS/procs" --port 1433 \
	--login 'sa:Secret1' --cert "$T/cert.pem" --key "$T/key.pem" --log "$T/tds.log" &
pxh_track $!
wait_for $IN $PY -c "import socket; socket.create_connection(('127.0.0.1', 1433)).close()" ||
	{ not_ok standin_up "no listener"; exit 1; }
ok standin_up

printf '[global]\n\ttds version = 7.4\n\tencryption = off\n' >"$T/plain.conf"
printf '[global]\n\ttds version = 7.4\n\tencryption = require\n' >"$T/tls.conf"
tsql_q() { # CONF PASSWORD SQL
	printf '%s\ngo\n' "$3" | FREETDSCONF=$1 $IN timeout 20 tsql -H 127.0.0.1 -p 1433 -U sa -P "$2" 2>&1
}

# ---- tsql ------------------------------------------------------------------------
out=$(tsql_q "$T/plain.conf" Secret1 "SELECT ItemKey, Name0, SMBIOS_GUID0, Decommissioned0 FROM dbo.System_DISC WHERE ItemKey = 16777220")
case $out in *"16777220	PC-KNOWN	01234567-89AB-CDEF-0123-456789ABCDEF	0"*) ok tsql_select ;;
*) not_ok tsql_select "got: $out" ;; esac
# the public positional call; a call with guessed parameter names fails
out=$(tsql_q "$T/plain.conf" Secret1 "exec NBS_GetPXEBootAction N'16777220',N'2046820353',N'01234567-89AB-CDEF-0123-456789ABCDEF',N'52:54:00:00:00:01',N'dp01.corp.example'")
case $out in *"PS120001"*"http://dp01.corp.example/SMS_DP_SMSPKG\$/PS100004	PS100004	1"*"(return status = 0)"*) ok tsql_exec ;;
*) not_ok tsql_exec "got: $(printf '%s' "$out" | tail -4)" ;; esac
out=$(tsql_q "$T/plain.conf" Secret1 "EXEC NBS_GetPXEBootAction @MachineID = 16777221, @UnknownMachineID = 0, @SMBIOS = NULL, @MACAddress = NULL, @DPName = N'dp01.corp.example'")
case $out in *"Msg 8145"*"@machineid is not a parameter"*) ok tsql_named_refused ;;
*) not_ok tsql_named_refused "got: $(printf '%s' "$out" | tail -3)" ;; esac
out=$(tsql_q "$T/plain.conf" Secret1 "exec NBS_GetPXEBootAction N'16777220', N'0'")
case $out in *"Msg 201"*"expects parameter"*) ok tsql_too_few_refused ;;
*) not_ok tsql_too_few_refused "got: $(printf '%s' "$out" | tail -3)" ;; esac
out=$(tsql_q "$T/plain.conf" Secret1 "exec NBS_LookupPXEDevice N'01234567-89ab-cdef-0123-456789abcdef',N'52:54:00:00:00:01'")
case $out in *"16777220	1	16777220	1	0"*) ok tsql_lookup_shape ;;
*) not_ok tsql_lookup_shape "got: $(printf '%s' "$out" | tail -3)" ;; esac
out=$(tsql_q "$T/plain.conf" Secret1 "SELECT * FROM NoSuchTable")
case $out in *"Msg 208"*"Invalid object name"*) ok tsql_error ;; *) not_ok tsql_error "got: $out" ;; esac
out=$(tsql_q "$T/plain.conf" wrong "SELECT 1")
case $out in *"Login failed for user 'sa'"*) ok tsql_login_failed ;; *) not_ok tsql_login_failed "got: $out" ;; esac
out=$(tsql_q "$T/tls.conf" Secret1 "SELECT TOP 1 OfferID FROM Advertisement WHERE OfferID LIKE N'PS%' ORDER BY OfferID")
if printf '%s' "$out" | grep -q '^PS120001' && grep -q 'TLS up: TLSv1.2' "$T/tds.log"; then
	ok tsql_tls_require
else
	not_ok tsql_tls_require "got: $out"
fi

# ---- pymssql -------------------------------------------------------------------------
cat >"$T/py.py" <<'EOF'
import datetime, uuid, pymssql
c = pymssql.connect(server="127.0.0.1", port=1433, user="sa", password="Secret1",
                    database="CM_PS1", tds_version="7.3")
cur = c.cursor(as_dict=True)
cur.execute("SELECT d.ItemKey, d.SMBIOS_GUID0, d.Decommissioned0, a.PresentTime "
            "FROM System_DISC d, Advertisement a WHERE d.ItemKey IN (%s, %s) "
            "AND a.OfferID = %s ORDER BY d.ItemKey", (16777220, 16777228, "PS120001"))
rows = cur.fetchall()
assert rows[0]["SMBIOS_GUID0"] == uuid.UUID("01234567-89AB-CDEF-0123-456789ABCDEF"), rows
assert rows[0]["Decommissioned0"] is False and rows[1]["Decommissioned0"] is True, rows
assert rows[0]["PresentTime"] == datetime.datetime(2024, 3, 1, 8, 0), rows
print("batch ok")
plain = c.cursor()
plain.execute("exec NBS_LookupPXEDevice %s, %s", ("00000000-0000-0000-0000-00000000000C", "52:54:00:00:00:0D"))
rows = plain.fetchall()
assert rows == [(16777224, 2, 16777225, 1, 0)], rows
# RPC with five positional parameters, as FreeTDS and the stock responder's
# callers send them
cur.callproc("NBS_GetPXEBootAction", ("16777221", "2046820353", "", "52:54:00:00:00:02", "dp02.corp.example"))
rows = cur.fetchall()
assert [r["OfferID"] for r in rows] == ["PS12000B", "PS120003", "PS120002"], rows
assert rows[0]["PackagePath"].startswith("\\\\dp02.corp.example\\REMINST\\"), rows
assert rows[0]["LastPXEAdvertisementID"] == "PS120001", rows
print("rpc ok")
try:
    cur.execute("EXEC NoSuchProc")
    print("no error")
except pymssql.Error as e:
    assert "2812" in str(e), e
    print("error ok")
EOF
out=$($IN timeout 30 $PY "$T/py.py" 2>&1)
case $out in *"batch ok"*) ok pymssql_batch_types ;; *) not_ok pymssql_batch_types "$out" ;; esac
case $out in *"rpc ok"*) ok pymssql_rpc ;; *) not_ok pymssql_rpc "$out" ;; esac
case $out in *"error ok"*) ok pymssql_error ;; *) not_ok pymssql_error "$out" ;; esac

# ---- tshark's reading of the plain connections ------------------------------------------
sleep 1
pxh_tshark_stop
types=$(tshark -r "$T/tds.pcap" -Y tds -T fields -e tds.type 2>/dev/null | tr ',' '\n' | sort -nu | tr '\n' ' ')
case $types in *"1 "*"3 "*"4 "*"16 "*"18 "*) ok tshark_packet_types ;; *) not_ok tshark_packet_types "types: $types" ;; esac
cols=$(tshark -r "$T/tds.pcap" -Y "tds.colmetadata" -T fields -e tds.colmetadata.colname 2>/dev/null | tr '\n' ' ')
case $cols in *"ItemKey,Name0,SMBIOS_GUID0,Decommissioned0"*) ok tshark_colmetadata ;; *) not_ok tshark_colmetadata "cols: $cols" ;; esac
errs=$(tshark -r "$T/tds.pcap" -Y "tds.error" -T fields -e tds.error.number 2>/dev/null | tr '\n' ' ')
case $errs in *208*18456*|*18456*208*) ok tshark_errors ;; *) not_ok tshark_errors "errors: $errs" ;; esac
exit 0
