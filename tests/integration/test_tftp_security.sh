#!/bin/sh
# TFTP refusals and protocol corner cases: traversal attempts, symlinks,
# devices, long names, WRQ, modes, the EDK2 tsize probe, max_transfers,
# lock-step duplicate ACKs and the windowed restart.  Replies are decoded by
# tests/tools/tftp_probe.py (Python), not by pxehub's parser.
set -u
. "$(dirname "$0")/../lib.sh"
. "$PXH_TOP/tests/tools/tftp_net.sh"
pxh_init
PROBE="/usr/bin/python3 $PXH_TOP/tests/tools/tftp_probe.py"
NS=$(pxh_netns sec)
tftp_conf "$T/c.conf" port_range=64001-64050 max_transfers=3 timeout=300ms retries=2
R=$T/tftp
head -c 3000 /dev/urandom >"$R/file.bin"
head -c 8192 /dev/urandom >"$R/win.bin"
mkdir -p "$R/dir" "$R/Boot/x64" "$T/outside"
echo secret >"$T/outside/secret.txt"
ln -s "$T/outside/secret.txt" "$R/link-out"
ln -s file.bin "$R/link-in"
mknod "$R/null" c 1 3 2>/dev/null || ln -s /dev/null "$R/null"
echo efi >"$R/Boot/x64/bootmgfw.efi"
pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon "did not start"; exit 1; }
run() { ip netns exec "$NS" $PROBE 127.0.0.1 "$@" 2>&1; }

# refused requests: NAME EXPECTED-PREFIX REQUEST...
expect() {
	_name=$1 _want=$2; shift 2
	_got=$(run "$@")
	case "$_got" in
	"$_want"*) ok "$_name" ;;
	*) not_ok "$_name" "got: $_got" ;;
	esac
}
expect traversal_dotdot "ERROR 2" req ../outside/secret.txt
expect traversal_deep "ERROR 2" req ../../../../../../etc/passwd
expect traversal_mid "ERROR 2" req dir/../../outside/secret.txt
expect traversal_backslash "ERROR 2" req '..\outside\secret.txt'
expect traversal_absolute "ERROR 1" req /etc/passwd
expect traversal_pct2e "ERROR 1" req %2e%2e/outside/secret.txt
expect traversal_nul "ERROR 4" req 'file.bin\0../../etc/passwd'
expect symlink_out "ERROR 2" req link-out
expect symlink_in "DATA 1 512" req link-in
expect directory "ERROR 2" req dir
expect device "ERROR 2" req null
expect long_name "ERROR 2" req "$(printf 'a%.0s' $(seq 1 300))"
expect very_long_name "ERROR 2" req "$(printf 'a%.0s' $(seq 1 2000))"
expect not_found "ERROR 1" req nothing-here
expect wrq_refused "ERROR 2" req upload.bin --wrq
expect mode_unknown "ERROR 4" req file.bin --mode binary
expect mode_mail "ERROR 4" req file.bin --mode mail
expect windows_path "DATA 1 4" req '\BOOT\X64\BootMgFw.EFI'
expect oack_options "OACK blksize=1468 tsize=3000 windowsize=4" \
	req file.bin --opt blksize 1468 --opt tsize 0 --opt windowsize 4
expect oack_clamp "OACK blksize=65464 windowsize=64" \
	req file.bin --opt blksize 99999 --opt windowsize 65535
expect oack_bad_ignored "DATA 1 512" req file.bin --opt blksize 7 --opt timeout 0
expect oack_unknown_ignored "DATA 1 512" req file.bin --opt foo bar
expect oack_timeout "OACK timeout=3" req file.bin --opt timeout 3
expect msftwindow_not_acked "OACK windowsize=8" \
	req file.bin --opt windowsize 8 --opt msftwindow 31416

# the data port comes from port_range
port=$(run req file.bin | sed -n 's/.*port=\([0-9]*\).*/\1/p')
if [ -n "$port" ] && [ "$port" -ge 64001 ] && [ "$port" -le 64050 ]; then
	ok port_range
else
	not_ok port_range "data port $port"
fi

# tftp-hpa refuses to put; the server says so
echo x >"$T/up.txt"
if (cd "$T" && ip netns exec "$NS" timeout 10 tftp 127.0.0.1 -c put up.txt) 2>&1 |
	grep -qi 'refused\|violation'; then
	ok wrq_tftp_hpa
else
	not_ok wrq_tftp_hpa "no refusal seen"
fi
[ ! -e "$R/up.txt" ] && ok wrq_nothing_written || not_ok wrq_nothing_written

sleep 1 # transfers above end (timeout 300ms x 2 retries)
# EDK2: tsize probe, error 8, then nothing left behind
out=$(run probe file.bin)
case "$out" in
*tsize=3000*) ok edk2_probe_tsize ;;
*) not_ok edk2_probe_tsize "$out" ;;
esac
pport=$(echo "$out" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
sleep 0.2
if ip netns exec "$NS" ss -uan | grep -q ":$pport "; then
	not_ok edk2_probe_no_state "port $pport still open"
else
	ok edk2_probe_no_state
fi
grep -q "probe.*error 8" "$T/pxehubd.log" && ok edk2_probe_logged || not_ok edk2_probe_logged

# lock-step: a duplicate ACK must not trigger a second DATA (Sorcerer's
# Apprentice)
out=$(run dupack file.bin)
case "$out" in
DATA2=1\ *) ok lockstep_dup_ack ;;
*) not_ok lockstep_dup_ack "$out" ;;
esac
# windowed: ACK 2 of window 1-4 (three times): one restart at 3..6
out=$(run earlyack win.bin 4)
case "$out" in
"first=1,2,3,4 again=3,4,5,6") ok window_restart_once ;;
*) not_ok window_restart_once "$out" ;;
esac

# max_transfers = 3, all three started (each client ACKed once): the 4th
# request gets a clear busy error
sleep 1
out=$(run hold 4 file.bin 2.5 --ack)
if echo "$out" | grep -q '^3 ERROR 0 .*busy' && [ "$(echo "$out" | grep -c 'DATA 1')" = 3 ]; then
	ok max_transfers_busy
else
	not_ok max_transfers_busy "$(echo "$out" | tr '\n' ';')"
fi
# all three slots held by requests no client answered (forged sources): a
# new request takes the oldest one's place instead of being refused
ev0=$(grep -c 'tftp: aborted file.bin: evicted: server full' "$T/pxehubd.log")
out=$(run hold 4 file.bin 1.5)
ev1=$(grep -c 'tftp: aborted file.bin: evicted: server full' "$T/pxehubd.log")
if [ "$(echo "$out" | grep -c 'DATA 1')" = 4 ] && [ "$((ev1 - ev0))" = 1 ]; then
	ok full_of_unanswered_evicts_oldest
else
	not_ok full_of_unanswered_evicts_oldest "$(echo "$out" | tr '\n' ';') evicted $ev0 -> $ev1"
fi
# after their timeouts, no data socket is left: a transfer never answered
# waits out the whole retry schedule (300 ms doubling, 2 retries: 2.1 s)
# for a late first ACK, silently
i=0
while n=$(ip netns exec "$NS" ss -uan | grep -c ':640[0-9][0-9] ') && [ "$n" != 0 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
[ "$n" = 0 ] && ok no_sockets_left || not_ok no_sockets_left "$n sockets"
grep -q 'event=tftp_end.*action=timeout' "$T/pxehubd.log" && ok timeout_event || not_ok timeout_event
# a late duplicate of the request (sent before the OACK came, delivered
# after the client's ACK) leaves the running transfer alone
out=$(run latedup file.bin)
oport=$(echo "$out" | sed -n 's/^OACK:\([0-9]*\).*/\1/p')
case "$out" in
"OACK:$oport DATA:$oport"*) echo "$out" | grep -q "OACK:[0-9]* .*OACK" &&
	not_ok late_duplicate_rrq_ignored "$out" || ok late_duplicate_rrq_ignored ;;
*) not_ok late_duplicate_rrq_ignored "$out" ;;
esac
# a request asking "timeout 255" that never answers (spoofed, or gone)
# holds its slot for the server's own timeout (300ms) and one retry before
# any ACK (the OACK twice, then the end at 0.9 s), not 255 s and more per
# retry; retries = 2 applies only once the client answered
out=$(run silent file.bin 255 2)
n=$(echo "$out" | grep -o 'OACK@' | wc -l)
[ "$n" = 2 ] && ok silent_client_bounded_by_server_timeout ||
	not_ok silent_client_bounded_by_server_timeout "$out"
kill -0 "$PXH_PID" && ok daemon_alive || not_ok daemon_alive
exit 0
